import type { Deps } from '../../deps.js';
import type { FindPage } from '../../ports/view-store.js';
import type { AttributeTemplate } from '../../domain/catalog/attributes.js';
import { productFromDoc } from '../../projections/catalog/catalog.js';
import {
  API_KEYS,
  BRANDS,
  CATEGORIES,
  FRONTEND_CATEGORIES,
  JOBS,
  PRODUCTS,
  SNAPSHOTS,
  SPUS,
  STOCK,
  type ApiKeyDoc,
  type BrandDoc,
  type CategoryDoc,
  type FrontendCategoryDoc,
  type JobDoc,
  type ProductDoc,
  type SnapshotDoc,
  type SpuDoc,
  type StockDoc,
} from '../../projections/catalog/documents.js';
import { productView, type ProductResource } from '../../projections/catalog/product-resource.js';
import { MAX_CATEGORY_DEPTH } from '../../domain/catalog/category.js';

type Views = Pick<Deps, 'views'>;

export interface CategoryView {
  [key: string]: unknown;
  id: string;
  name: string;
  parentId: string | null;
  /** From the root down to the parent. */
  path: Array<{ id: string; name: string }>;
  /** Own and inherited templates (`categoryId` says where each is defined). */
  attributes: AttributeTemplate[];
  childCount: number;
  productCount: number;
  version: number;
}

/** Ancestors of a category, root first, walked through the view (moves never rewrite a subtree). */
export async function ancestorsOf(deps: Views, category: CategoryDoc): Promise<CategoryDoc[]> {
  const ancestors: CategoryDoc[] = [];
  let parentId = category.parentId;
  while (parentId !== null && ancestors.length < MAX_CATEGORY_DEPTH) {
    const parent = await deps.views.get<CategoryDoc>(CATEGORIES, parentId);
    if (!parent) break;
    ancestors.unshift(parent);
    parentId = parent.parentId;
  }
  return ancestors;
}

export async function getCategory(deps: Views, id: string): Promise<CategoryView | null> {
  const category = await deps.views.get<CategoryDoc>(CATEGORIES, id);
  return category ? categoryView(deps, category) : null;
}

async function categoryView(deps: Views, category: CategoryDoc): Promise<CategoryView> {
  const ancestors = await ancestorsOf(deps, category);
  return {
    id: category.id,
    name: category.name,
    parentId: category.parentId,
    path: ancestors.map(({ id, name }) => ({ id, name })),
    attributes: [...ancestors.flatMap((ancestor) => ancestor.attributes), ...category.attributes],
    childCount: category.childCount,
    productCount: category.productCount,
    version: category.version,
  };
}

/** Categories under a parent (`null`: the roots), by id. */
export async function listCategories(deps: Views, query: { parentId?: string | null; limit: number; cursor?: string | null }): Promise<FindPage<CategoryView>> {
  const where: Record<string, string | null> = query.parentId === undefined ? {} : { parentId: query.parentId };
  const page = await deps.views.find<CategoryDoc>(CATEGORIES, { where, limit: query.limit, cursor: query.cursor });
  return { items: await Promise.all(page.items.map((category) => categoryView(deps, category))), nextCursor: page.nextCursor };
}

export const listFrontendCategories = (deps: Views, query: { parentId?: string | null; limit: number; cursor?: string | null }) =>
  deps.views.find<FrontendCategoryDoc>(FRONTEND_CATEGORIES, { where: query.parentId === undefined ? {} : { parentId: query.parentId }, limit: query.limit, cursor: query.cursor });

export const listBrands = (deps: Views, query: { limit: number; cursor?: string | null }) => deps.views.find<BrandDoc>(BRANDS, query);

export const getSpu = (deps: Views, id: string) => deps.views.get<SpuDoc>(SPUS, id);

/** A product with the stock of each SKU, or null. */
export async function getProduct(deps: Views, id: string): Promise<ProductResource | null> {
  const doc = await deps.views.get<ProductDoc>(PRODUCTS, id);
  return doc ? withStock(deps, doc) : null;
}

async function withStock(deps: Views, doc: ProductDoc): Promise<ProductResource> {
  const stock = new Map<string, StockDoc | null>();
  for (const sku of doc.skus) stock.set(sku.skuId, await deps.views.get<StockDoc>(STOCK, sku.skuId));
  return productView(productFromDoc(doc), doc.version, (skuId) => stock.get(skuId));
}

/** Products of one merchant (or all, for an admin), optionally by status, backend category and brand. */
export async function listProducts(
  deps: Views,
  query: { merchantId?: string; status?: string; categoryId?: string; brandId?: string; q?: string; limit: number; cursor?: string | null },
): Promise<FindPage<ProductResource>> {
  const where: Record<string, string> = {};
  // Drafts and delisted products are not in the search index: the console's keyword scans the titles and brands.
  const q = query.q?.trim();
  if (query.merchantId !== undefined) where.merchantId = query.merchantId;
  if (query.status !== undefined) where.status = query.status;
  if (query.categoryId !== undefined) where['category.id'] = query.categoryId;
  if (query.brandId !== undefined) where['brand.id'] = query.brandId;
  const page = await deps.views.find<ProductDoc>(PRODUCTS, { where, limit: query.limit, cursor: query.cursor, ...(q ? { contains: { fields: ['title', 'brand.name'], text: q } } : {}) });
  return { items: await Promise.all(page.items.map((doc) => withStock(deps, doc))), nextCursor: page.nextCursor };
}

export const getSnapshot = (deps: Views, snapshotId: string) => deps.views.get<SnapshotDoc>(SNAPSHOTS, snapshotId);

export const getJob = (deps: Views, jobId: string) => deps.views.get<JobDoc>(JOBS, jobId);

export const listApiKeys = (deps: Views, query: { merchantId?: string; limit: number; cursor?: string | null }) =>
  deps.views.find<ApiKeyDoc>(API_KEYS, { where: query.merchantId === undefined ? {} : { merchantId: query.merchantId }, limit: query.limit, cursor: query.cursor });
