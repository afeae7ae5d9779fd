import type { RecordedEvent } from '../../ports/event-store.js';
import type { ViewDocument } from '../../ports/view-store.js';
import type { DocumentKey, ViewProjection } from '../../kernel/view-projection.js';
import * as category from '../../domain/catalog/category.js';
import * as frontend from '../../domain/catalog/frontend-category.js';
import * as product from '../../domain/catalog/product.js';
import type { BrandEvent } from '../../domain/catalog/brand.js';
import type { SpuEvent } from '../../domain/catalog/spu.js';
import type { ApiKeyEvent } from '../../domain/catalog/api-key.js';
import type { InventoryEvent } from '../../domain/inventory/inventory.js';
import {
  API_KEYS,
  BRANDS,
  CATEGORIES,
  FRONTEND_BY_BACKEND,
  FRONTEND_CATEGORIES,
  PRODUCTS,
  SKUS,
  SNAPSHOTS,
  SPUS,
  STOCK,
  type CategoryDoc,
  type FrontendByBackendDoc,
  type FrontendCategoryDoc,
  type ProductDoc,
  type StockDoc,
} from './documents.js';

const CATEGORY_EVENTS = new Set(['CategoryCreated', 'CategoryRenamed', 'CategoryMoved', 'CategoryDeleted', 'AttributeDefined']);
const FRONTEND_EVENTS = new Set(['FrontendCategoryCreated', 'FrontendCategoryRenamed', 'FrontendCategoryMoved', 'FrontendCategoryMapped']);
const PRODUCT_EVENTS = new Set(['ProductCreated', 'ProductInfoEdited', 'SkuPriceChanged', 'SkuWeightChanged', 'ProductListed', 'ProductDelisted', 'ProductSnapshotTaken']);
const INVENTORY_EVENTS = new Set(['StockSet', 'StockAdjusted', 'StockReserved', 'ReservationReleased', 'ReservationCommitted', 'StockReturned']);

const key = (collection: string, id: string): DocumentKey => ({ collection, id });
const data = <T>(event: RecordedEvent) => event.data as T;

/**
 * The product center's read model, for the write side's lookups and the admin reads: categories (with
 * child and product counts; ancestor paths are walked at read time so a move never rewrites a subtree),
 * attribute templates inside their category, frontend categories and the backend → frontend mapping,
 * brands, SPUs, products (admin view), SKU → product, stock per SKU, item snapshots and API keys.
 */
export const catalogProjection: ViewProjection = {
  name: 'catalog',
  collections: [CATEGORIES, FRONTEND_CATEGORIES, FRONTEND_BY_BACKEND, BRANDS, SPUS, PRODUCTS, SKUS, STOCK, SNAPSHOTS, API_KEYS],
  indexes: {
    [CATEGORIES]: [['parentId']],
    [FRONTEND_CATEGORIES]: [['parentId']],
    [PRODUCTS]: [['merchantId'], ['status'], ['merchantId', 'status'], ['category.id'], ['brand.id']],
    [API_KEYS]: [['merchantId']],
  },
  route(event) {
    if (event.streamId.startsWith('catalog-category-') && CATEGORY_EVENTS.has(event.type)) return categoryKeys(event);
    if (event.streamId.startsWith('fe-category-') && FRONTEND_EVENTS.has(event.type)) return frontendKeys(event);
    if (event.streamId.startsWith('brand-') && event.type === 'BrandCreated') return [key(BRANDS, data<{ brandId: string }>(event).brandId)];
    if (event.streamId.startsWith('spu-') && event.type.startsWith('Spu')) return [key(SPUS, data<{ spuId: string }>(event).spuId)];
    if (event.streamId.startsWith('product-') && PRODUCT_EVENTS.has(event.type)) return productKeys(event);
    if (event.streamId.startsWith('inventory-') && INVENTORY_EVENTS.has(event.type)) return [key(STOCK, data<{ skuId: string }>(event).skuId)];
    if (event.streamId.startsWith('apikey-') && event.type.startsWith('ApiKey')) return [key(API_KEYS, data<{ apiKeyId: string }>(event).apiKeyId)];
    return [];
  },
  evolve(doc, event, target) {
    switch (target.collection) {
      case CATEGORIES:
        return evolveCategory(doc as CategoryDoc | null, event, target.id);
      case FRONTEND_CATEGORIES:
        return evolveFrontend(doc as FrontendCategoryDoc | null, event);
      case FRONTEND_BY_BACKEND:
        return evolveFrontendByBackend(doc as FrontendByBackendDoc | null, event, target.id);
      case BRANDS: {
        const { brandId, name, logoUrl, at } = data<BrandEvent['data']>(event);
        return { id: brandId, name, logoUrl, createdAt: at, position: event.position };
      }
      case SPUS:
        return evolveSpu(doc, event);
      case PRODUCTS:
        return evolveProduct(doc as ProductDoc | null, event);
      case SKUS: {
        const created = data<Extract<product.ProductEvent, { type: 'ProductCreated' }>['data']>(event);
        const sku = created.skus.find((candidate) => candidate.skuId === target.id);
        return sku ? { id: sku.skuId, productId: created.productId, merchantId: created.merchantId, skuCode: sku.skuCode } : doc;
      }
      case STOCK:
        return evolveStock(doc as StockDoc | null, event);
      case SNAPSHOTS: {
        const taken = data<Extract<product.ProductEvent, { type: 'ProductSnapshotTaken' }>['data']>(event);
        return doc ?? { id: taken.snapshotId, productId: taken.productId, content: taken.content, takenAt: taken.at };
      }
      case API_KEYS:
        return evolveApiKey(doc, event);
      default:
        return doc;
    }
  },
};

function categoryKeys(event: RecordedEvent): DocumentKey[] {
  const { categoryId, parentId, previousParentId } = data<{ categoryId: string; parentId?: string | null; previousParentId?: string | null }>(event);
  const keys = [key(CATEGORIES, categoryId)];
  if (event.type === 'CategoryCreated' || event.type === 'CategoryDeleted' || event.type === 'CategoryMoved') {
    if (parentId) keys.push(key(CATEGORIES, parentId));
    if (event.type === 'CategoryMoved' && previousParentId) keys.push(key(CATEGORIES, previousParentId));
  }
  return keys;
}

function evolveCategory(doc: CategoryDoc | null, event: RecordedEvent, id: string): ViewDocument | null {
  if (event.type === 'ProductCreated') return doc ? { ...doc, productCount: doc.productCount + 1, position: event.position } : doc;
  const own = data<{ categoryId: string }>(event).categoryId === id;
  if (!own) {
    // A child came, left or was deleted.
    if (!doc) return doc;
    const moved = data<{ parentId: string | null; previousParentId?: string | null }>(event);
    const arriving = event.type === 'CategoryCreated' || (event.type === 'CategoryMoved' && moved.parentId === id);
    return { ...doc, childCount: Math.max(0, doc.childCount + (arriving ? 1 : -1)), position: event.position };
  }
  if (event.type === 'CategoryDeleted') return null;
  const state: category.Category = doc
    ? { status: 'active', categoryId: doc.id, name: doc.name, parentId: doc.parentId, attributes: doc.attributes, createdAt: doc.createdAt }
    : { status: 'none' };
  const next = category.evolve(state, { type: event.type, data: event.data } as category.CategoryEvent);
  if (next.status === 'none') return null;
  const view: CategoryDoc = {
    id: next.categoryId,
    name: next.name,
    parentId: next.parentId,
    attributes: next.attributes,
    childCount: doc?.childCount ?? 0,
    productCount: doc?.productCount ?? 0,
    createdAt: next.createdAt,
    version: event.revision,
    position: event.position,
  };
  return view;
}

function frontendKeys(event: RecordedEvent): DocumentKey[] {
  const { frontendCategoryId, backendCategoryIds = [], previousBackendCategoryIds = [] } = data<{
    frontendCategoryId: string;
    backendCategoryIds?: string[];
    previousBackendCategoryIds?: string[];
  }>(event);
  const backend = [...new Set([...backendCategoryIds, ...previousBackendCategoryIds])];
  return [key(FRONTEND_CATEGORIES, frontendCategoryId), ...backend.map((id) => key(FRONTEND_BY_BACKEND, id))];
}

function evolveFrontend(doc: FrontendCategoryDoc | null, event: RecordedEvent): ViewDocument | null {
  const state: frontend.FrontendCategory = doc
    ? { status: 'active', frontendCategoryId: doc.id, name: doc.name, parentId: doc.parentId, backendCategoryIds: doc.backendCategoryIds, createdAt: doc.createdAt }
    : { status: 'none' };
  const next = frontend.evolve(state, { type: event.type, data: event.data } as frontend.FrontendCategoryEvent);
  if (next.status === 'none') return null;
  const view: FrontendCategoryDoc = {
    id: next.frontendCategoryId,
    name: next.name,
    parentId: next.parentId,
    backendCategoryIds: next.backendCategoryIds,
    createdAt: next.createdAt,
    version: event.revision,
    position: event.position,
  };
  return view;
}

function evolveFrontendByBackend(doc: FrontendByBackendDoc | null, event: RecordedEvent, backendId: string): ViewDocument | null {
  const { frontendCategoryId, backendCategoryIds = [] } = data<{ frontendCategoryId: string; backendCategoryIds?: string[] }>(event);
  const current = new Set(doc?.frontendCategoryIds ?? []);
  if (backendCategoryIds.includes(backendId)) current.add(frontendCategoryId);
  else current.delete(frontendCategoryId);
  if (current.size === 0) return null;
  const view: FrontendByBackendDoc = { id: backendId, frontendCategoryIds: [...current].sort(), position: event.position };
  return view;
}

function evolveSpu(doc: ViewDocument | null, event: RecordedEvent): ViewDocument | null {
  const spu = event as unknown as SpuEvent;
  switch (spu.type) {
    case 'SpuCreated': {
      const { spuId, at, ...rest } = spu.data;
      return { id: spuId, ...rest, status: 'active', createdAt: at, position: event.position };
    }
    case 'SpuDiscarded':
      return doc ? { ...doc, status: 'discarded', position: event.position } : doc;
  }
}

function productKeys(event: RecordedEvent): DocumentKey[] {
  const { productId } = data<{ productId: string }>(event);
  const keys = [key(PRODUCTS, productId)];
  if (event.type === 'ProductCreated') {
    const created = data<Extract<product.ProductEvent, { type: 'ProductCreated' }>['data']>(event);
    keys.push(...created.skus.map((sku) => key(SKUS, sku.skuId)), key(CATEGORIES, created.category.id));
  }
  if (event.type === 'ProductSnapshotTaken') keys.push(key(SNAPSHOTS, data<{ snapshotId: string }>(event).snapshotId));
  return keys;
}

function evolveProduct(doc: ProductDoc | null, event: RecordedEvent): ViewDocument | null {
  const state: product.Product = doc ? productFromDoc(doc) : { status: 'none' };
  const next = product.evolve(state, { type: event.type, data: event.data } as product.ProductEvent);
  if (next.status === 'none') return null;
  const view: ProductDoc = { id: next.productId, ...next, version: event.revision, position: event.position };
  return view;
}

export function productFromDoc(doc: ProductDoc): product.ActiveProduct {
  const { id: _id, version: _version, position: _position, ...state } = doc;
  return state;
}

function evolveStock(doc: StockDoc | null, event: RecordedEvent): ViewDocument | null {
  const stock = event as unknown as InventoryEvent;
  const view: StockDoc = {
    id: stock.data.skuId,
    productId: stock.data.productId,
    onHand: stock.data.onHand,
    reserved: 'reserved' in stock.data ? stock.data.reserved : (doc?.reserved ?? 0),
    version: event.revision,
    position: event.position,
  };
  return view;
}

function evolveApiKey(doc: ViewDocument | null, event: RecordedEvent): ViewDocument | null {
  const apiKey = event as unknown as ApiKeyEvent;
  switch (apiKey.type) {
    case 'ApiKeyIssued': {
      const { apiKeyId, merchantId, name, at } = apiKey.data;
      return { id: apiKeyId, merchantId, name, status: 'active', issuedAt: at, revokedAt: null };
    }
    case 'ApiKeyRevoked':
      return doc ? { ...doc, status: 'revoked', revokedAt: apiKey.data.at } : doc;
  }
}
