import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ConflictError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Money } from '../../domain/common/money.js';
import { attributeErrors, type AttributeTemplate, type AttributeValues } from '../../domain/catalog/attributes.js';
import { productDecider, productStream, type ActiveProduct, type ProductCommand, type ProductInfoChanges, type TakeStockAt } from '../../domain/catalog/product.js';
import { spuStream } from '../../domain/catalog/spu.js';
import { inventoryStream } from '../../domain/inventory/inventory.js';
import { categoryChain, ownProduct, ownSku, referencedBrand, resolveMerchant, templatesOf, type CatalogActor } from './lookups.js';
import { releaseAll, reserveUnique, type UniqueValue } from './uniqueness.js';
import { productResource, type ProductResource } from './product-resource.js';
import { SKUS } from '../../projections/catalog/documents.js';
import { requireMerchantTemplate } from '../shipping/templates.js';

export interface NewSku {
  skuCode: string;
  salesAttributes?: AttributeValues;
  price: Money;
  stock: number;
  weightGrams?: number;
}

/** The body of POST /admin/products: SKU-first (title, categoryId, brandId, attributes) or under a platform SPU (spuId). */
export interface CreateProductInput {
  merchantId?: string;
  spuId?: string;
  title?: string;
  categoryId?: string;
  brandId?: string;
  /** SKU-first: key and general attributes; under an SPU: general attributes only. */
  attributes?: AttributeValues;
  description?: string;
  images?: string[];
  skus: NewSku[];
  status?: 'draft' | 'listed';
  takeStockAt?: TakeStockAt;
  shippingTemplateId?: string;
}

/** Where ids come from: fresh ulids over HTTP; derived from the job and row in a bulk upload, so a resumed job re-creates nothing. */
export interface ProductIds {
  productId: string;
  skuId(skuCode: string): string;
}

export const freshIds = (): ProductIds => ({ productId: ulid(), skuId: () => ulid() });

export interface CreatedProduct {
  id: string;
  skus: Array<{ id: string; skuCode: string }>;
  product: ProductResource;
  position: number;
}

const skuCodeUnique = (merchantId: string, skuCode: string): UniqueValue => ({ kind: 'sku-code', value: `${merchantId}/${skuCode}` });

/**
 * Creates a product in either mode. Everything is validated before the first append (the deciders are
 * pure, so they are dry-run on the input); then SKU codes are reserved, the generated SPU (SKU-first
 * mode) and the inventories are written, and the product last: it is the commit point. When a step
 * fails, the reservations are released and the generated SPU discarded.
 */
export async function createProduct(
  deps: Deps,
  actor: CatalogActor,
  input: CreateProductInput,
  metadata: EventMetadata,
  ids: ProductIds = freshIds(),
): Promise<CreatedProduct> {
  const merchantId = await resolveMerchant(deps, actor, input.merchantId);
  const at = deps.clock.now().toISOString();
  const definition = input.spuId ? await underSpu(deps, input.spuId, input.attributes ?? {}) : await skuFirst(deps, input);
  const { productId } = ids;
  const skus = input.skus.map((sku) => ({
    skuId: ids.skuId(sku.skuCode),
    skuCode: sku.skuCode,
    salesAttributes: sku.salesAttributes ?? {},
    price: sku.price,
    ...(sku.weightGrams !== undefined ? { weightGrams: sku.weightGrams } : {}),
  }));
  if (input.shippingTemplateId !== undefined) await requireMerchantTemplate(deps, merchantId, input.shippingTemplateId, 'shippingTemplateId');
  const command: Extract<ProductCommand, { type: 'CreateProduct' }> = {
    type: 'CreateProduct',
    productId,
    merchantId,
    spuId: input.spuId ?? productId,
    title: definition.title,
    description: input.description ?? '',
    images: input.images ?? [],
    category: definition.category,
    brand: definition.brand,
    keyAttributes: definition.keyAttributes,
    generalAttributes: definition.generalAttributes,
    skus,
    takeStockAt: input.takeStockAt ?? 'order',
    ...(input.shippingTemplateId !== undefined ? { shippingTemplateId: input.shippingTemplateId } : {}),
    status: input.status ?? 'draft',
    templates: definition.templates,
    at,
  };
  dryRun(command, definition.errors, input.skus);

  const taken: Array<{ unique: UniqueValue; ownerId: string }> = [];
  let generatedSpu = false;
  try {
    for (const [index, sku] of skus.entries()) {
      const unique = skuCodeUnique(merchantId, sku.skuCode);
      const conflict = new ConflictError('SKU_CODE_TAKEN', `SKU code "${sku.skuCode}" is already used by another of your SKUs`, { errors: [{ path: `skus.${index}.skuCode`, message: 'already used' }] });
      await reserveUnique(deps, unique, sku.skuId, conflict, async (owner) => (await deps.views.get(SKUS, owner)) !== null, metadata);
      taken.push({ unique, ownerId: sku.skuId });
    }
    if (!input.spuId) {
      const { title, category, brand, keyAttributes, templates } = definition;
      await deps.handlers.spu.handle(
        spuStream(productId),
        { type: 'CreateSpu', spuId: productId, origin: 'generated', title, categoryId: category.id, brandId: brand.id, keyAttributes, templates, at },
        { metadata },
      );
      generatedSpu = true;
    }
    for (const [index, sku] of skus.entries()) {
      await deps.handlers.inventory.handle(inventoryStream(sku.skuId), { type: 'InitializeStock', skuId: sku.skuId, productId, onHand: input.skus[index]!.stock, at }, { metadata });
    }
    const result = await deps.handlers.product.handle(productStream(productId), command, { metadata });
    const product = result.state as ActiveProduct;
    return {
      id: productId,
      skus: product.skus.map((sku) => ({ id: sku.skuId, skuCode: sku.skuCode })),
      product: await productResource(deps, product, result.revision),
      position: result.position,
    };
  } catch (error) {
    await releaseAll(deps, taken, metadata);
    if (generatedSpu) {
      await deps.handlers.spu.handle(spuStream(productId), { type: 'DiscardSpu', reason: 'the product could not be created', at }, { metadata }).catch((e: unknown) => {
        deps.logger.error({ err: e, spuId: productId }, 'could not discard a generated SPU');
      });
    }
    throw error;
  }
}

interface Definition {
  title: string;
  category: { id: string; name: string };
  brand: { id: string; name: string };
  keyAttributes: AttributeValues;
  generalAttributes: AttributeValues;
  templates: AttributeTemplate[];
  /** Problems found while splitting the attributes, reported with the decider's. */
  errors: FieldError[];
}

async function skuFirst(deps: Deps, input: CreateProductInput): Promise<Definition> {
  const missing = (['title', 'categoryId', 'brandId'] as const).filter((field) => !input[field]);
  if (missing.length > 0) {
    throw new ValidationError('give spuId, or title, categoryId and brandId', missing.map((path) => ({ path, message: 'required without spuId' })));
  }
  const chain = await categoryChain(deps, input.categoryId!);
  const brand = await referencedBrand(deps, input.brandId!);
  const templates = templatesOf(chain);
  const keyNames = new Set(templates.filter((template) => template.kind === 'key').map((template) => template.name));
  const attributes = Object.entries(input.attributes ?? {});
  const keyAttributes = Object.fromEntries(attributes.filter(([name]) => keyNames.has(name)));
  const generalAttributes = Object.fromEntries(attributes.filter(([name]) => !keyNames.has(name)));
  return {
    title: input.title!,
    category: { id: chain[0]!.categoryId, name: chain[0]!.name },
    brand,
    keyAttributes,
    generalAttributes,
    templates,
    errors: attributeErrors(templates, keyAttributes, 'attributes', { kind: 'key', requireAll: true }),
  };
}

async function underSpu(deps: Deps, spuId: string, attributes: AttributeValues): Promise<Definition> {
  const { state: spu } = await deps.handlers.spu.load(spuStream(spuId));
  if (spu.status !== 'active' || spu.origin !== 'platform') throw new ValidationError('unknown SPU', [{ path: 'spuId', message: `no platform SPU ${spuId}` }]);
  const chain = await categoryChain(deps, spu.categoryId, 'spuId');
  const brand = await referencedBrand(deps, spu.brandId, 'spuId');
  const errors = Object.keys(attributes)
    .filter((name) => name in spu.keyAttributes)
    .map((name) => ({ path: `attributes.${name}`, message: `"${name}" is a key attribute and comes from the SPU` }));
  return {
    title: spu.title,
    category: { id: chain[0]!.categoryId, name: chain[0]!.name },
    brand,
    keyAttributes: spu.keyAttributes,
    generalAttributes: Object.fromEntries(Object.entries(attributes).filter(([name]) => !(name in spu.keyAttributes))),
    templates: templatesOf(chain),
    errors,
  };
}

/** Runs the pure decider on an empty product so that every rule is checked before anything is written. */
function dryRun(command: Extract<ProductCommand, { type: 'CreateProduct' }>, earlier: FieldError[], skus: NewSku[]): void {
  const errors = [...earlier];
  skus.forEach((sku, index) => {
    if (!Number.isSafeInteger(sku.stock) || sku.stock < 0) errors.push({ path: `skus.${index}.stock`, message: 'must be an integer ≥ 0' });
  });
  try {
    productDecider.decide(command, productDecider.initialState());
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.errors);
  }
  if (errors.length > 0) throw new ValidationError('the product is not valid', errors);
}

export interface ProductCommandResult {
  product: ProductResource;
  position: number;
}

export async function editProductInfo(
  deps: Deps,
  actor: CatalogActor,
  input: { productId: string; changes: ProductInfoChanges; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<ProductCommandResult> {
  const { product } = await ownProduct(deps, actor, input.productId);
  if (input.changes.shippingTemplateId) await requireMerchantTemplate(deps, product.merchantId, input.changes.shippingTemplateId, 'shippingTemplateId');
  const templates = input.changes.generalAttributes ? templatesOf(await categoryChain(deps, product.category.id)) : [];
  const result = await deps.handlers.product.handle(
    productStream(input.productId),
    { type: 'EditProductInfo', changes: input.changes, templates, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return { product: await productResource(deps, result.state as ActiveProduct, result.revision), position: result.position };
}

export async function setProductStatus(
  deps: Deps,
  actor: CatalogActor,
  input: { productId: string; status: 'listed' | 'delisted'; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<ProductCommandResult> {
  await ownProduct(deps, actor, input.productId);
  const result = await deps.handlers.product.handle(
    productStream(input.productId),
    { type: 'SetProductStatus', status: input.status, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return { product: await productResource(deps, result.state as ActiveProduct, result.revision), position: result.position };
}

export async function changeSkuPrice(
  deps: Deps,
  actor: CatalogActor,
  input: { skuId: string; price: Money; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<ProductCommandResult> {
  const { sku } = await ownSku(deps, actor, input.skuId);
  const result = await deps.handlers.product.handle(
    productStream(sku.productId),
    { type: 'ChangeSkuPrice', skuId: input.skuId, price: input.price, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedVersion },
  );
  return { product: await productResource(deps, result.state as ActiveProduct, result.revision), position: result.position };
}

export interface StockResult {
  skuId: string;
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
  version: number;
  position: number;
}

/** Sets the stock of a SKU or changes it by a delta; the result may not go below what is reserved (0 today). */
export async function changeStock(
  deps: Deps,
  actor: CatalogActor,
  input: { skuId: string; change: { set: number } | { delta: number }; expectedVersion?: number | undefined },
  metadata: EventMetadata,
): Promise<StockResult> {
  const { sku } = await ownSku(deps, actor, input.skuId);
  const at = deps.clock.now().toISOString();
  const command = 'set' in input.change
    ? { type: 'SetStock' as const, skuId: sku.id, productId: sku.productId, onHand: input.change.set, at }
    : { type: 'AdjustStock' as const, delta: input.change.delta, at };
  // If-Match: the stock version (the SKU's inventory stream revision) the client last saw; stale → 412.
  const result = await deps.handlers.inventory.handle(inventoryStream(sku.id), command, { metadata, ...(input.expectedVersion === undefined ? {} : { expectedRevision: input.expectedVersion }) });
  const state = result.state;
  const onHand = state.status === 'tracked' ? state.onHand : 0;
  const reserved = state.status === 'tracked' ? state.reserved : 0;
  return { skuId: sku.id, productId: sku.productId, onHand, reserved, available: onHand - reserved, version: result.revision, position: result.position };
}
