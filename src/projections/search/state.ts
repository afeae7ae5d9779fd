import type { RecordedEvent } from '../../ports/event-store.js';
import type { ViewDocument } from '../../ports/view-store.js';
import type { DocumentKey, ViewProjection } from '../../kernel/view-projection.js';
import type { Money } from '../../domain/common/money.js';
import type { AttributeValues } from '../../domain/catalog/attributes.js';
import type { ProductEvent, ProductStatus } from '../../domain/catalog/product.js';
import type { CategoryEvent } from '../../domain/catalog/category.js';
import type { FrontendCategoryEvent } from '../../domain/catalog/frontend-category.js';
import type { InventoryEvent } from '../../domain/inventory/inventory.js';
import { SYNONYMS_STREAM, type SynonymEvent } from '../../domain/search/synonyms.js';

/**
 * The search projection's own fold of the catalog events: just what a search document needs, kept in
 * the ViewStore beside (not inside) the catalog read model, so a document is a pure function of the
 * events the projection has applied and never of another projection's progress. Every entry records the
 * position of the last event that changed it; a document's revision is the highest of its entries.
 */
export const SEARCH_PRODUCTS = 'search_products';
export const SEARCH_CATEGORIES = 'search_categories';
export const SEARCH_FRONTEND = 'search_frontend_categories';
/** Synonym groups (src/domain/search/synonyms.ts): applied by searches when they run, never to documents. */
export const SEARCH_SYNONYMS = 'search_synonyms';

export interface SynonymEntry {
  [key: string]: unknown;
  id: string;
  terms: string[];
  position: number;
}

export interface ProductFacts {
  title: string;
  description: string;
  image: string | null;
  brand: { id: string; name: string };
  keyAttributes: AttributeValues;
  generalAttributes: AttributeValues;
  /** `skuCode` is absent in entries folded before codes were kept (a rebuild fills it). */
  skus: Array<{ skuId: string; skuCode?: string; salesAttributes: AttributeValues; price: Money }>;
  status: ProductStatus;
  listedAt: string | null;
}

/** A product and the stock of its SKUs. Stock arrives before the product (InitializeStock runs first): `product` is null until then. */
export interface ProductEntry {
  [key: string]: unknown;
  id: string;
  categoryId: string | null;
  product: ProductFacts | null;
  stock: Record<string, { onHand: number; reserved: number }>;
  /** Units committed to orders (ReservationCommitted); absent in entries folded before sales were counted. */
  sold?: number;
  position: number;
}

/**
 * The sales a search document shows: the units sold to two significant digits (1–99 exactly, then 100,
 * 110, …, 990, 1,000, 1,100, …). Ranking uses their logarithm, so the rounding changes nothing it can
 * tell, and a best seller's document is rewritten about 90 times per tenfold of its sales, not per order.
 */
export function salesShown(sold: number): number {
  const units = Math.max(0, Math.floor(sold));
  if (units < 100) return units;
  const step = 10 ** (String(units).length - 2);
  return Math.floor(units / step) * step;
}

/** A backend category: its name, its parent and the frontend categories mapped to it directly. */
export interface CategoryEntry {
  [key: string]: unknown;
  id: string;
  /** Absent in entries folded before names were kept (a rebuild fills it). */
  name?: string;
  parentId: string | null;
  frontendIds: string[];
  position: number;
}

export interface FrontendEntry {
  [key: string]: unknown;
  id: string;
  parentId: string | null;
  backendIds: string[];
  position: number;
}

const PRODUCT_EVENTS = new Set(['ProductCreated', 'ProductInfoEdited', 'SkuPriceChanged', 'ProductListed', 'ProductDelisted']);
const STOCK_EVENTS = new Set(['StockSet', 'StockAdjusted', 'StockReserved', 'ReservationReleased', 'ReservationCommitted', 'StockReturned']);
const CATEGORY_EVENTS = new Set(['CategoryCreated', 'CategoryRenamed', 'CategoryMoved', 'CategoryDeleted']);
const FRONTEND_EVENTS = new Set(['FrontendCategoryCreated', 'FrontendCategoryMoved', 'FrontendCategoryMapped']);

const key = (collection: string, id: string): DocumentKey => ({ collection, id });

type Data<E extends { type: string; data: unknown }, T extends E['type']> = Extract<E, { type: T }>['data'];

export const searchState: ViewProjection = {
  name: 'search',
  collections: [SEARCH_PRODUCTS, SEARCH_CATEGORIES, SEARCH_FRONTEND, SEARCH_SYNONYMS],
  indexes: { [SEARCH_PRODUCTS]: [['categoryId']], [SEARCH_CATEGORIES]: [['parentId']], [SEARCH_FRONTEND]: [['parentId']] },
  route(event) {
    const { streamId, type } = event;
    if (streamId === SYNONYMS_STREAM) return [key(SEARCH_SYNONYMS, (event.data as { groupId: string }).groupId)];
    if (streamId.startsWith('product-') && PRODUCT_EVENTS.has(type)) return [productKey(event)];
    if (streamId.startsWith('inventory-') && STOCK_EVENTS.has(type)) return [productKey(event)];
    if (streamId.startsWith('catalog-category-') && CATEGORY_EVENTS.has(type)) {
      return [key(SEARCH_CATEGORIES, (event.data as { categoryId: string }).categoryId)];
    }
    if (streamId.startsWith('fe-category-') && FRONTEND_EVENTS.has(type)) {
      const { frontendCategoryId, backendCategoryIds = [], previousBackendCategoryIds = [] } = event.data as {
        frontendCategoryId: string;
        backendCategoryIds?: string[];
        previousBackendCategoryIds?: string[];
      };
      const backend = new Set([...backendCategoryIds, ...previousBackendCategoryIds]);
      return [key(SEARCH_FRONTEND, frontendCategoryId), ...[...backend].map((id) => key(SEARCH_CATEGORIES, id))];
    }
    return [];
  },
  evolve(doc, event, target) {
    switch (target.collection) {
      case SEARCH_PRODUCTS:
        return evolveProduct(doc as ProductEntry | null, event, target.id);
      case SEARCH_CATEGORIES:
        return event.streamId.startsWith('fe-category-') ? evolveMapping(doc as CategoryEntry | null, event, target.id) : evolveCategory(doc as CategoryEntry | null, event);
      case SEARCH_FRONTEND:
        return evolveFrontend(doc as FrontendEntry | null, event);
      case SEARCH_SYNONYMS: {
        const synonym = event as unknown as SynonymEvent;
        if (synonym.type === 'SynonymGroupDeleted') return null;
        return { id: synonym.data.groupId, terms: synonym.data.terms, position: event.position } satisfies SynonymEntry;
      }
      default:
        return doc;
    }
  },
};

/** Whether any SKU of the product has units available. */
export function productInStock(product: ProductFacts | null, stock: ProductEntry['stock']): boolean {
  return (
    product?.skus.some((sku) => {
      const units = stock[sku.skuId];
      return units !== undefined && units.onHand - units.reserved > 0;
    }) ?? false
  );
}

function productKey(event: RecordedEvent): DocumentKey {
  return key(SEARCH_PRODUCTS, (event.data as { productId: string }).productId);
}

function evolveProduct(doc: ProductEntry | null, event: RecordedEvent, id: string): ViewDocument | null {
  const entry: ProductEntry = doc ?? { id, categoryId: null, product: null, stock: {}, position: 0 };
  const next = (changes: Partial<ProductEntry>): ProductEntry => ({ ...entry, ...changes, position: event.position });
  if (STOCK_EVENTS.has(event.type)) {
    const { skuId, onHand, ...rest } = event.data as InventoryEvent['data'];
    const reserved = 'reserved' in rest ? rest.reserved : (entry.stock[skuId]?.reserved ?? 0);
    const stock = { ...entry.stock, [skuId]: { onHand, reserved } };
    // Of the stock, only whether the product is in stock reaches its search document: a count that moves
    // without flipping it keeps the entry's position (the document's revision), so the document is not
    // rewritten for every reservation.
    const flipped = productInStock(entry.product, entry.stock) !== productInStock(entry.product, stock);
    const sold = (entry.sold ?? 0) + (event.type === 'ReservationCommitted' ? (event.data as { quantity: number }).quantity : 0);
    // Sales likewise: only when what the document shows of them moves.
    const soldMoved = salesShown(sold) !== salesShown(entry.sold ?? 0);
    return { ...entry, stock, ...(sold > 0 ? { sold } : {}), position: flipped || soldMoved ? event.position : entry.position };
  }
  if (event.type === 'ProductCreated') {
    const created = event.data as Data<ProductEvent, 'ProductCreated'>;
    const product: ProductFacts = {
      title: created.title,
      description: created.description,
      image: created.images[0] ?? null,
      brand: { id: created.brand.id, name: created.brand.name },
      keyAttributes: created.keyAttributes,
      generalAttributes: created.generalAttributes,
      skus: created.skus.map(({ skuId, skuCode, salesAttributes, price }) => ({ skuId, skuCode, salesAttributes, price })),
      status: 'draft',
      listedAt: null,
    };
    return next({ categoryId: created.category.id, product });
  }
  const product = entry.product;
  if (!product) return doc;
  switch (event.type) {
    case 'ProductInfoEdited': {
      const { changes } = event.data as Data<ProductEvent, 'ProductInfoEdited'>;
      return next({
        product: {
          ...product,
          ...(changes.title !== undefined ? { title: changes.title } : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.images !== undefined ? { image: changes.images[0] ?? null } : {}),
          ...(changes.generalAttributes !== undefined ? { generalAttributes: changes.generalAttributes } : {}),
        },
      });
    }
    case 'SkuPriceChanged': {
      const { skuId, price } = event.data as Data<ProductEvent, 'SkuPriceChanged'>;
      return next({ product: { ...product, skus: product.skus.map((sku) => (sku.skuId === skuId ? { ...sku, price } : sku)) } });
    }
    case 'ProductListed': {
      const { at } = event.data as Data<ProductEvent, 'ProductListed'>;
      return next({ product: { ...product, status: 'listed', listedAt: product.listedAt ?? at } });
    }
    case 'ProductDelisted':
      return next({ product: { ...product, status: 'delisted' } });
    default:
      return doc;
  }
}

function evolveCategory(doc: CategoryEntry | null, event: RecordedEvent): ViewDocument | null {
  switch (event.type) {
    case 'CategoryCreated': {
      const { categoryId, name, parentId } = event.data as Data<CategoryEvent, 'CategoryCreated'>;
      return { id: categoryId, name, parentId, frontendIds: doc?.frontendIds ?? [], position: event.position } satisfies CategoryEntry;
    }
    case 'CategoryRenamed':
      return doc ? { ...doc, name: (event.data as Data<CategoryEvent, 'CategoryRenamed'>).name, position: event.position } : doc;
    case 'CategoryMoved':
      return doc ? { ...doc, parentId: (event.data as Data<CategoryEvent, 'CategoryMoved'>).parentId, position: event.position } : doc;
    case 'CategoryDeleted':
      return null;
    default:
      return doc;
  }
}

/** A frontend category (re)mapped: add or drop it on each backend category of its old and new mapping. */
function evolveMapping(doc: CategoryEntry | null, event: RecordedEvent, categoryId: string): ViewDocument | null {
  if (!doc) return doc;
  const { frontendCategoryId, backendCategoryIds = [] } = event.data as { frontendCategoryId: string; backendCategoryIds?: string[] };
  const mapped = backendCategoryIds.includes(categoryId);
  if (mapped === doc.frontendIds.includes(frontendCategoryId)) return doc;
  const frontendIds = mapped ? [...doc.frontendIds, frontendCategoryId].sort() : doc.frontendIds.filter((id) => id !== frontendCategoryId);
  return { ...doc, frontendIds, position: event.position };
}

function evolveFrontend(doc: FrontendEntry | null, event: RecordedEvent): ViewDocument | null {
  const frontend = event as unknown as FrontendCategoryEvent;
  switch (frontend.type) {
    case 'FrontendCategoryCreated': {
      const { frontendCategoryId, parentId, backendCategoryIds } = frontend.data;
      return { id: frontendCategoryId, parentId, backendIds: backendCategoryIds, position: event.position } satisfies FrontendEntry;
    }
    case 'FrontendCategoryMoved':
      return doc ? { ...doc, parentId: frontend.data.parentId, position: event.position } : doc;
    case 'FrontendCategoryMapped':
      return doc ? { ...doc, backendIds: frontend.data.backendCategoryIds, position: event.position } : doc;
    default:
      return doc;
  }
}

/** What an event changes in the search index: products directly, or every product below categories / frontend categories. */
export interface Affected {
  products: string[];
  categories: string[];
  frontends: string[];
}

export function affectedBy(event: RecordedEvent): Affected {
  const none: Affected = { products: [], categories: [], frontends: [] };
  const [target] = searchState.route(event);
  if (!target || target.collection === SEARCH_SYNONYMS) return none;
  if (target.collection === SEARCH_PRODUCTS) return { ...none, products: [target.id] };
  if (event.type === 'CategoryMoved' || event.type === 'CategoryRenamed') return { ...none, categories: [target.id] };
  if (event.type === 'FrontendCategoryMoved') return { ...none, frontends: [target.id] };
  if (event.type === 'FrontendCategoryCreated' || event.type === 'FrontendCategoryMapped') {
    return { ...none, categories: searchState.route(event).slice(1).map((entry) => entry.id) };
  }
  return none;
}
