import type { Deps } from '../../deps.js';
import type { ProductSearchDocument } from '../../ports/search-index.js';
import { productFromDoc } from '../../projections/catalog/catalog.js';
import {
  BRANDS,
  CATEGORIES,
  FRONTEND_BY_BACKEND,
  FRONTEND_CATEGORIES,
  PRODUCTS,
  STOCK,
  type BrandDoc,
  type CategoryDoc,
  type FrontendByBackendDoc,
  type FrontendCategoryDoc,
  type ProductDoc,
  type StockDoc,
} from '../../projections/catalog/documents.js';
import { ancestorsOf } from './catalog.js';

/**
 * Everything the search index needs about one product, built from the catalog read model, or null if
 * there is no such product. For the search projection:
 *
 * - Call it once the `catalog` projection has applied the event being indexed, e.g.
 *   `await deps.projections.waitFor(event.position, timeout, ['catalog'])`, or it may see older data.
 * - Events that change a product's document: every `product-*` event (productId in data), `StockSet` and
 *   `StockAdjusted` (`inventory-*`, productId in data); and, for many products at once, `CategoryMoved`
 *   / `CategoryRenamed` (categoryIds of the products below), `FrontendCategoryMapped` / `FrontendCategoryMoved`
 *   (frontendCategoryIds). `revision` is the highest position of every document read, so it grows with
 *   each of those changes.
 * - `salesCount` is 0 until orders exist.
 */
export async function productSearchDocument(deps: Pick<Deps, 'views'>, productId: string): Promise<ProductSearchDocument | null> {
  const doc = await deps.views.get<ProductDoc>(PRODUCTS, productId);
  if (!doc) return null;
  const product = productFromDoc(doc);
  const positions = [doc.position];

  const leaf = await deps.views.get<CategoryDoc>(CATEGORIES, product.category.id);
  const categories = leaf ? [...(await ancestorsOf(deps, leaf)), leaf] : [];
  positions.push(...categories.map((category) => category.position));
  const categoryIds = categories.length > 0 ? categories.map((category) => category.id) : [product.category.id];

  const frontendCategoryIds = await frontendCategoriesOf(deps, categoryIds, positions);

  const stock = await Promise.all(product.skus.map((sku) => deps.views.get<StockDoc>(STOCK, sku.skuId)));
  positions.push(...stock.map((entry) => entry?.position ?? 0));
  const inStock = stock.some((entry) => entry !== null && entry.onHand - entry.reserved > 0);

  const brand = (await deps.views.get<BrandDoc>(BRANDS, product.brand.id)) ?? { id: product.brand.id, name: product.brand.name };
  const prices = product.skus.map((sku) => sku.price.amount);

  return {
    id: product.productId,
    title: product.title,
    description: product.description,
    brand: { id: brand.id, name: brand.name },
    categoryId: product.category.id,
    categoryIds,
    frontendCategoryIds,
    attributes: attributeValues(product),
    minPrice: Math.min(...prices),
    maxPrice: Math.max(...prices),
    currency: product.skus[0]?.price.currency ?? 'CNY',
    inStock,
    salesCount: 0,
    listedAt: product.listedAt,
    image: product.images[0] ?? null,
    status: product.status,
    revision: Math.max(...positions),
  };
}

/** Name → distinct values: key and general attributes, and the sales attributes of every SKU. */
function attributeValues(product: ReturnType<typeof productFromDoc>): Record<string, string[]> {
  const values = new Map<string, Set<string>>();
  const add = (name: string, value: string) => values.set(name, (values.get(name) ?? new Set()).add(value));
  for (const [name, value] of Object.entries({ ...product.generalAttributes, ...product.keyAttributes })) add(name, value);
  for (const sku of product.skus) for (const [name, value] of Object.entries(sku.salesAttributes)) add(name, value);
  return Object.fromEntries([...values.entries()].map(([name, set]) => [name, [...set].sort()]));
}

/** Frontend categories mapped to any of the backend categories, with their frontend ancestors (a parent shows its children's products). */
async function frontendCategoriesOf(deps: Pick<Deps, 'views'>, backendIds: string[], positions: number[]): Promise<string[]> {
  const found = new Set<string>();
  for (const backendId of backendIds) {
    const mapping = await deps.views.get<FrontendByBackendDoc>(FRONTEND_BY_BACKEND, backendId);
    if (!mapping) continue;
    positions.push(mapping.position);
    const queue = [...mapping.frontendCategoryIds];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (found.has(id)) continue;
      const node = await deps.views.get<FrontendCategoryDoc>(FRONTEND_CATEGORIES, id);
      if (!node) continue;
      found.add(id);
      positions.push(node.position);
      if (node.parentId) queue.push(node.parentId);
    }
  }
  return [...found].sort();
}

/**
 * Ids of the products filed under a backend category or any of its sub-categories: the documents to
 * rebuild after a CategoryMoved / CategoryRenamed, or a FrontendCategoryMapped / FrontendCategoryMoved
 * (for each backend category in its old and new mapping).
 */
export async function* productIdsUnder(deps: Pick<Deps, 'views'>, categoryId: string): AsyncGenerator<string> {
  const queue = [categoryId];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for await (const product of everyDoc<ProductDoc>(deps, PRODUCTS, { 'category.id': id })) yield product.id;
    for await (const child of everyDoc<CategoryDoc>(deps, CATEGORIES, { parentId: id })) queue.push(child.id);
  }
}

async function* everyDoc<T extends Record<string, unknown>>(deps: Pick<Deps, 'views'>, collection: string, where: Record<string, string>): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const page: { items: T[]; nextCursor: string | null } = await deps.views.find<T>(collection, { where, limit: 200, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}
