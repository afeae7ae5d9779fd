import type { Deps } from '../../deps.js';
import type { Money } from '../../domain/common/money.js';
import type { ProductResource } from '../../projections/catalog/product-resource.js';
import { PRODUCT_DETAIL_TTL_MS, productChangedKey, productDetailKey } from '../../projections/search/product-cache.js';
import { getProduct } from './catalog.js';

/** A product as the app's detail page shows it. */
export interface ProductDetail {
  id: string;
  title: string;
  description: string;
  brand: { id: string; name: string };
  category: { id: string; name: string };
  images: string[];
  /** Key and general attributes, name → value. */
  attributes: Record<string, string>;
  status: ProductResource['status'];
  skus: Array<{ id: string; skuCode: string; salesAttributes: Record<string, string>; price: Money; available: number }>;
}

interface CacheEntry {
  /** The `catalog` checkpoint before the view was read. */
  builtAt: number;
  detail: ProductDetail;
}

/** A listed product, or null (unknown, draft or delisted). */
export async function getListedProduct(deps: Pick<Deps, 'views' | 'kv' | 'projections'>, productId: string): Promise<ProductDetail | null> {
  const detail = await cachedDetail(deps, productId);
  return detail?.status === 'listed' ? detail : null;
}

/**
 * Through the KeyValue cache: an entry counts only if it was built after the product's last change
 * (projections/search/product-cache.ts), so a change is never hidden, even after a racing fill.
 */
async function cachedDetail(deps: Pick<Deps, 'views' | 'kv' | 'projections'>, productId: string): Promise<ProductDetail | null> {
  const builtAt = deps.projections.checkpoint('catalog');
  const [cached, changed] = await Promise.all([deps.kv.get(productDetailKey(productId)), deps.kv.get(productChangedKey(productId))]);
  if (cached !== null) {
    const entry = JSON.parse(cached) as CacheEntry;
    if (changed === null || entry.builtAt >= Number(changed)) return entry.detail;
  }
  const product = await getProduct(deps, productId);
  if (!product) return null;
  const detail = toDetail(product);
  const entry: CacheEntry = { builtAt, detail };
  await deps.kv.set(productDetailKey(productId), JSON.stringify(entry), { ttlMs: PRODUCT_DETAIL_TTL_MS });
  return detail;
}

function toDetail(product: ProductResource): ProductDetail {
  return {
    id: product.id,
    title: product.title,
    description: product.description,
    brand: product.brand,
    category: product.category,
    images: product.images,
    attributes: { ...product.attributes, ...product.keyAttributes },
    status: product.status,
    skus: product.skus.map((sku) => ({ id: sku.id, skuCode: sku.skuCode, salesAttributes: sku.salesAttributes, price: sku.price, available: sku.available })),
  };
}
