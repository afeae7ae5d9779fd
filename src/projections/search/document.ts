import type { ProductSearchDocument } from '../../ports/search-index.js';
import { productInStock, salesShown, SEARCH_CATEGORIES, SEARCH_FRONTEND, SEARCH_PRODUCTS, type CategoryEntry, type FrontendEntry, type ProductEntry } from './state.js';

/** Bounds the walk up a (corrupt) cyclic tree, as MAX_CATEGORY_DEPTH does on the write side. */
const MAX_DEPTH = 32;

export type ReadEntry = <T extends Record<string, unknown>>(collection: string, id: string) => Promise<T | null>;

/**
 * The search document of a product from the projection's own state: the product entry, its category
 * chain (root first) and the frontend categories reachable from it. Pure: equal entries give an equal
 * document, revision included (the highest position of the entries it reads), which is what makes a
 * rebuild equal to incremental updates. Null while the product does not exist.
 */
export function searchDocument(entry: ProductEntry, chain: CategoryEntry[], frontends: FrontendEntry[]): ProductSearchDocument | null {
  const product = entry.product;
  if (!product || entry.categoryId === null) return null;
  const prices = product.skus.map((sku) => sku.price.amount);
  const inStock = productInStock(product, entry.stock);
  const leaf = chain[chain.length - 1];
  const leafName = leaf?.id === entry.categoryId ? leaf.name : undefined;
  return {
    id: entry.id,
    title: product.title,
    description: product.description,
    brand: product.brand,
    categoryId: entry.categoryId,
    ...(leafName !== undefined ? { categoryName: leafName } : {}),
    categoryNames: chain.flatMap((category) => (category.name !== undefined ? [category.name] : [])),
    skuCodes: product.skus.flatMap((sku) => (sku.skuCode ? [sku.skuCode] : [])),
    categoryIds: chain.length > 0 ? chain.map((category) => category.id) : [entry.categoryId],
    frontendCategoryIds: frontends.map((frontend) => frontend.id).sort(),
    attributes: attributeValues(product),
    minPrice: prices.length > 0 ? Math.min(...prices) : 0,
    maxPrice: prices.length > 0 ? Math.max(...prices) : 0,
    currency: product.skus[0]?.price.currency ?? 'CNY',
    inStock,
    salesCount: salesShown(entry.sold ?? 0),
    listedAt: product.listedAt,
    image: product.image,
    status: product.status,
    revision: Math.max(entry.position, ...chain.map((category) => category.position), ...frontends.map((frontend) => frontend.position)),
  };
}

/** Name → distinct values, sorted: key and general attributes, and the sales attributes of every SKU. */
function attributeValues(product: NonNullable<ProductEntry['product']>): Record<string, string[]> {
  const values = new Map<string, Set<string>>();
  const add = (name: string, value: string) => values.set(name, (values.get(name) ?? new Set()).add(value));
  for (const [name, value] of Object.entries({ ...product.generalAttributes, ...product.keyAttributes })) add(name, value);
  for (const sku of product.skus) for (const [name, value] of Object.entries(sku.salesAttributes)) add(name, value);
  return Object.fromEntries([...values.entries()].map(([name, set]) => [name, [...set].sort()]));
}

/** Loads what searchDocument needs for one product through `read`, and builds it. */
export async function loadSearchDocument(productId: string, read: ReadEntry): Promise<ProductSearchDocument | null> {
  const entry = await read<ProductEntry>(SEARCH_PRODUCTS, productId);
  if (!entry?.product || entry.categoryId === null) return null;
  const chain: CategoryEntry[] = [];
  for (let id: string | null = entry.categoryId; id !== null && chain.length < MAX_DEPTH; ) {
    const category: CategoryEntry | null = await read<CategoryEntry>(SEARCH_CATEGORIES, id);
    if (!category) break;
    chain.unshift(category);
    id = category.parentId;
  }
  const frontends = new Map<string, FrontendEntry>();
  for (const category of chain) {
    for (const mapped of category.frontendIds) {
      let id: string | null = mapped;
      for (let depth = 0; id !== null && !frontends.has(id) && depth < MAX_DEPTH; depth++) {
        const frontend: FrontendEntry | null = await read<FrontendEntry>(SEARCH_FRONTEND, id);
        if (!frontend) break;
        frontends.set(id, frontend);
        id = frontend.parentId;
      }
    }
  }
  return searchDocument(entry, chain, [...frontends.values()]);
}
