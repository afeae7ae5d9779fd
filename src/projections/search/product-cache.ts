import type { KeyValue } from '../../ports/key-value.js';

/**
 * The product-detail cache (KeyValue) and its invalidation. An entry records the `catalog` checkpoint
 * it was built at; the search projection, which sees every product and inventory event, leaves a
 * "changed at position P" marker per product. An entry built before the catalog view had applied P is
 * stale, whenever it was written: this also covers a reader that fills the cache from an old view just
 * after the invalidation (the race a plain delete would lose).
 */
export const PRODUCT_DETAIL_TTL_MS = 60_000;
/** Longer than any entry lives, so no entry outlives the marker that invalidates it. */
export const PRODUCT_CHANGED_TTL_MS = 5 * PRODUCT_DETAIL_TTL_MS;

export const productDetailKey = (productId: string) => `product-detail:${productId}`;
export const productChangedKey = (productId: string) => `product-changed:${productId}`;

/**
 * Records, per product, the position of its latest change. A marker never goes down (a rebuild replays
 * old positions); the search projection is its only writer, so read-then-write is enough.
 */
export async function markProductsChanged(kv: KeyValue, changes: Map<string, number>): Promise<void> {
  await Promise.all(
    [...changes].map(async ([productId, position]) => {
      const key = productChangedKey(productId);
      const current = Number((await kv.get(key)) ?? 0);
      if (position > current) await kv.set(key, String(position), { ttlMs: PRODUCT_CHANGED_TTL_MS });
    }),
  );
}
