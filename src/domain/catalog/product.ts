import { ConflictError, InvalidStateTransition, NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';
import { attributeErrors, combinationKey, requireAttributes, type AttributeTemplate, type AttributeValues } from './attributes.js';
import { snapshotContent, snapshotId, type SnapshotContent } from './snapshot.js';

/**
 * A product (`product-<id>`): what a merchant sells, made of SKUs. Title, category, brand
 * and key attributes come from its SPU; SKUs carry the sales attributes and the price. Stock lives in
 * the inventory aggregate of each SKU. Every change of buyer-relevant content gets a snapshot id (the
 * content digest); a digest the product never had is recorded once with ProductSnapshotTaken.
 */
export const PRODUCT_STATUSES = ['draft', 'listed', 'delisted'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];
export const TAKE_STOCK_AT = ['order', 'payment'] as const;
export type TakeStockAt = (typeof TAKE_STOCK_AT)[number];
export const PRODUCT_CURRENCY = 'CNY';
/** The heaviest a SKU may be for shipping (grams). */
export const MAX_SKU_WEIGHT_GRAMS = 1_000_000;

export interface Sku {
  skuId: string;
  skuCode: string;
  salesAttributes: AttributeValues;
  price: Money;
  /** Shipping weight in grams (templates that charge by weight); absent: weighs nothing. */
  weightGrams?: number;
}

export interface Ref {
  id: string;
  name: string;
}

export interface ProductInfoChanges {
  title?: string;
  description?: string;
  images?: string[];
  generalAttributes?: AttributeValues;
  takeStockAt?: TakeStockAt;
  /** null: back to the merchant's default shipping template. */
  shippingTemplateId?: string | null;
}

interface ProductDefinition {
  productId: string;
  merchantId: string;
  spuId: string;
  title: string;
  description: string;
  images: string[];
  category: Ref;
  brand: Ref;
  keyAttributes: AttributeValues;
  generalAttributes: AttributeValues;
  skus: Sku[];
  takeStockAt: TakeStockAt;
  /** The merchant's shipping template that prices this product; absent or null: the merchant's default. */
  shippingTemplateId?: string | null;
}

export type ProductEvent =
  | { type: 'ProductCreated'; data: ProductDefinition & { at: string } }
  | { type: 'ProductInfoEdited'; data: { productId: string; changes: ProductInfoChanges; at: string } }
  | { type: 'SkuPriceChanged'; data: { productId: string; skuId: string; price: Money; previousPrice: Money; at: string } }
  /** Shipping weight only: not buyer-visible content, so no new snapshot. null: no weight. */
  | { type: 'SkuWeightChanged'; data: { productId: string; skuId: string; weightGrams: number | null; at: string } }
  | { type: 'ProductListed'; data: { productId: string; at: string } }
  | { type: 'ProductDelisted'; data: { productId: string; at: string } }
  | { type: 'ProductSnapshotTaken'; data: { productId: string; snapshotId: string; content: SnapshotContent; at: string } };

export type ProductCommand =
  /** `templates`: the category's effective attribute templates (own and inherited). */
  | ({ type: 'CreateProduct'; status: 'draft' | 'listed'; templates: AttributeTemplate[]; at: string } & ProductDefinition)
  | { type: 'EditProductInfo'; changes: ProductInfoChanges; templates: AttributeTemplate[]; at: string }
  | { type: 'ChangeSkuPrice'; skuId: string; price: Money; at: string }
  | { type: 'ChangeSkuWeight'; skuId: string; weightGrams: number | null; at: string }
  | { type: 'SetProductStatus'; status: 'listed' | 'delisted'; at: string };

export type ActiveProduct = ProductDefinition & {
  status: ProductStatus;
  /** Digest of the current buyer-relevant content. */
  currentSnapshotId: string;
  /** Every snapshot id this product has recorded. */
  snapshotIds: string[];
  /** When the product was first listed. */
  listedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type Product = { status: 'none' } | ActiveProduct;

const withSnapshotId = (product: Omit<ActiveProduct, 'currentSnapshotId'> & { currentSnapshotId?: string }): ActiveProduct => ({
  ...product,
  currentSnapshotId: snapshotId(snapshotContent(product)),
});

export function evolve(state: Product, event: ProductEvent): Product {
  switch (event.type) {
    case 'ProductCreated': {
      const { at, ...definition } = event.data;
      return withSnapshotId({ ...definition, status: 'draft', snapshotIds: [], listedAt: null, createdAt: at, updatedAt: at });
    }
    case 'ProductInfoEdited':
      if (state.status === 'none') return state;
      return withSnapshotId({ ...state, ...event.data.changes, updatedAt: event.data.at });
    case 'SkuPriceChanged':
      if (state.status === 'none') return state;
      return withSnapshotId({
        ...state,
        skus: state.skus.map((sku) => (sku.skuId === event.data.skuId ? { ...sku, price: event.data.price } : sku)),
        updatedAt: event.data.at,
      });
    case 'SkuWeightChanged': {
      if (state.status === 'none') return state;
      const { skuId, weightGrams } = event.data;
      const skus = state.skus.map((sku) => {
        if (sku.skuId !== skuId) return sku;
        const { weightGrams: _previous, ...rest } = sku;
        return weightGrams === null ? rest : { ...rest, weightGrams };
      });
      return { ...state, skus, updatedAt: event.data.at };
    }
    case 'ProductListed':
      if (state.status === 'none') return state;
      return { ...state, status: 'listed', listedAt: state.listedAt ?? event.data.at, updatedAt: event.data.at };
    case 'ProductDelisted':
      return state.status === 'none' ? state : { ...state, status: 'delisted', updatedAt: event.data.at };
    case 'ProductSnapshotTaken':
      if (state.status === 'none' || state.snapshotIds.includes(event.data.snapshotId)) return state;
      return { ...state, snapshotIds: [...state.snapshotIds, event.data.snapshotId] };
  }
}

export function decide(command: ProductCommand, state: Product): ProductEvent[] {
  switch (command.type) {
    case 'CreateProduct':
      return withSnapshot(state, create(command, state), command.at);
    case 'EditProductInfo':
      return withSnapshot(state, edit(command, requireProduct(state)), command.at);
    case 'ChangeSkuPrice':
      return withSnapshot(state, changePrice(command, requireProduct(state)), command.at);
    case 'ChangeSkuWeight':
      return changeWeight(command, requireProduct(state));
    case 'SetProductStatus':
      return setStatus(command, requireProduct(state));
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function create(command: Extract<ProductCommand, { type: 'CreateProduct' }>, state: Product): ProductEvent[] {
  if (state.status !== 'none') {
    if (state.productId === command.productId && state.merchantId === command.merchantId) return []; // resent
    throw new ConflictError('PRODUCT_EXISTS', 'this product already exists');
  }
  const { type: _type, status, templates, at, ...definition } = command;
  const errors = [
    ...attributeErrors(templates, command.generalAttributes, 'attributes', { kind: 'general', requireAll: false }),
    ...skuErrors(command.skus, templates),
  ];
  if (errors.length > 0) throw new ValidationError('the product does not fit its category', errors);
  const events: ProductEvent[] = [{ type: 'ProductCreated', data: { ...definition, at } }];
  if (status === 'listed') events.push(...listing(command.productId, command.skus, at));
  return events;
}

/** Every SKU: code unique within the product, price positive in CNY, sales attributes exactly the templates, combination unique. */
function skuErrors(skus: Sku[], templates: AttributeTemplate[]): FieldError[] {
  const errors: FieldError[] = [];
  if (skus.length === 0) errors.push({ path: 'skus', message: 'a product needs at least one SKU' });
  const codes = new Map<string, number>();
  const combinations = new Map<string, number>();
  skus.forEach((sku, index) => {
    const path = `skus.${index}`;
    const sameCode = codes.get(sku.skuCode);
    if (sameCode !== undefined) errors.push({ path: `${path}.skuCode`, message: `duplicates the SKU code of skus.${sameCode}` });
    else codes.set(sku.skuCode, index);
    errors.push(...priceErrors(sku.price, `${path}.price`));
    errors.push(...weightErrors(sku.weightGrams, `${path}.weightGrams`));
    const salesErrors = attributeErrors(templates, sku.salesAttributes, `${path}.salesAttributes`, { kind: 'sales', requireAll: true });
    errors.push(...salesErrors);
    if (salesErrors.length === 0) {
      const key = combinationKey(sku.salesAttributes);
      const same = combinations.get(key);
      if (same !== undefined) errors.push({ path: `${path}.salesAttributes`, message: `the same sales attributes as skus.${same}` });
      else combinations.set(key, index);
    }
  });
  return errors;
}

function weightErrors(weightGrams: number | undefined, path: string): FieldError[] {
  if (weightGrams === undefined || (Number.isSafeInteger(weightGrams) && weightGrams >= 1 && weightGrams <= MAX_SKU_WEIGHT_GRAMS)) return [];
  return [{ path, message: `an integer number of grams from 1 to ${MAX_SKU_WEIGHT_GRAMS}` }];
}

export function priceErrors(price: Money, path: string): FieldError[] {
  if (price.currency !== PRODUCT_CURRENCY) return [{ path: `${path}.currency`, message: `prices are in ${PRODUCT_CURRENCY}` }];
  if (!Number.isSafeInteger(price.amount) || price.amount <= 0) return [{ path: `${path}.amount`, message: 'must be a positive integer number of minor units (fen)' }];
  return [];
}

function edit(command: Extract<ProductCommand, { type: 'EditProductInfo' }>, product: ActiveProduct): ProductEvent[] {
  const changes = Object.fromEntries(
    Object.entries(command.changes).filter(([key, value]) => value !== undefined && JSON.stringify(product[key as keyof ProductInfoChanges]) !== JSON.stringify(value)),
  ) as ProductInfoChanges;
  if (changes.generalAttributes) {
    requireAttributes(command.templates, changes.generalAttributes, 'attributes', { kind: 'general', requireAll: false });
  }
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'ProductInfoEdited', data: { productId: product.productId, changes, at: command.at } }];
}

function changePrice(command: Extract<ProductCommand, { type: 'ChangeSkuPrice' }>, product: ActiveProduct): ProductEvent[] {
  const sku = product.skus.find((candidate) => candidate.skuId === command.skuId);
  if (!sku) throw new NotFoundError('SKU');
  const errors = priceErrors(command.price, 'price');
  if (errors.length > 0) throw new ValidationError('invalid price', errors);
  if (sku.price.amount === command.price.amount && sku.price.currency === command.price.currency) return [];
  return [{ type: 'SkuPriceChanged', data: { productId: product.productId, skuId: sku.skuId, price: command.price, previousPrice: sku.price, at: command.at } }];
}

function changeWeight(command: Extract<ProductCommand, { type: 'ChangeSkuWeight' }>, product: ActiveProduct): ProductEvent[] {
  const sku = product.skus.find((candidate) => candidate.skuId === command.skuId);
  if (!sku) throw new NotFoundError('SKU');
  const errors = weightErrors(command.weightGrams ?? undefined, 'weightGrams');
  if (errors.length > 0) throw new ValidationError('invalid weight', errors);
  if ((sku.weightGrams ?? null) === command.weightGrams) return [];
  return [{ type: 'SkuWeightChanged', data: { productId: product.productId, skuId: sku.skuId, weightGrams: command.weightGrams, at: command.at } }];
}

function setStatus(command: Extract<ProductCommand, { type: 'SetProductStatus' }>, product: ActiveProduct): ProductEvent[] {
  if (product.status === command.status) return [];
  if (command.status === 'listed') return listing(product.productId, product.skus, command.at);
  if (product.status !== 'listed') throw new InvalidStateTransition(product.status, 'delist a product that is not listed');
  return [{ type: 'ProductDelisted', data: { productId: product.productId, at: command.at } }];
}

function listing(productId: string, skus: Sku[], at: string): ProductEvent[] {
  if (!skus.some((sku) => sku.price.amount > 0)) throw new InvalidStateTransition('draft', 'list a product without a priced SKU');
  return [{ type: 'ProductListed', data: { productId, at } }];
}

/** Appends ProductSnapshotTaken when the decided events lead to content this product never had. */
function withSnapshot(state: Product, events: ProductEvent[], at: string): ProductEvent[] {
  if (events.length === 0) return events;
  const next = events.reduce(evolve, state);
  if (next.status === 'none' || next.snapshotIds.includes(next.currentSnapshotId)) return events;
  const content = snapshotContent(next);
  return [...events, { type: 'ProductSnapshotTaken', data: { productId: next.productId, snapshotId: next.currentSnapshotId, content, at } }];
}

function requireProduct(state: Product): ActiveProduct {
  if (state.status === 'none') throw new NotFoundError('product');
  return state;
}

export const productDecider: Decider<ProductCommand, ProductEvent, Product> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const productStream = (productId: string) => `product-${productId}`;
