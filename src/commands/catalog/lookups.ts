import type { Deps } from '../../deps.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import { categoryStream, MAX_CATEGORY_DEPTH, type ActiveCategory } from '../../domain/catalog/category.js';
import { frontendCategoryStream } from '../../domain/catalog/frontend-category.js';
import { brandStream } from '../../domain/catalog/brand.js';
import { productStream, type ActiveProduct } from '../../domain/catalog/product.js';
import type { AttributeTemplate } from '../../domain/catalog/attributes.js';
import { userStream } from '../../domain/users/user.js';
import { SKUS, type SkuDoc } from '../../projections/catalog/documents.js';
import { LruMap } from '../../kernel/lru-map.js';
import type { ViewStore } from '../../ports/view-store.js';

/** Products an admin creates without naming a merchant belong to the platform's own store. */
export const PLATFORM_MERCHANT = 'platform';

/** Who runs a product-center command: an admin (every product) or a merchant (its own products). */
export interface CatalogActor {
  id: string;
  role: 'admin' | 'merchant';
}

export const canTouch = (actor: CatalogActor, merchantId: string): boolean => actor.role === 'admin' || actor.id === merchantId;

/** The merchant a new product or job belongs to: a merchant's own id; for an admin the one named, or the platform. */
export async function resolveMerchant(deps: Deps, actor: CatalogActor, requested: string | undefined): Promise<string> {
  if (actor.role === 'merchant') {
    if (requested !== undefined && requested !== actor.id) throw new ForbiddenError('a merchant creates products only for itself');
    return actor.id;
  }
  if (requested === undefined || requested === PLATFORM_MERCHANT) return PLATFORM_MERCHANT;
  const { state } = await deps.handlers.user.load(userStream(requested));
  if (state.status !== 'active' || !state.roles.includes('merchant')) {
    throw new ValidationError('unknown merchant', [{ path: 'merchantId', message: `no merchant ${requested}` }]);
  }
  return requested;
}

/** A category referenced by a request body; unknown or deleted → 400 on `path`. */
export async function referencedCategory(deps: Deps, categoryId: string, path: string): Promise<ActiveCategory> {
  const { state } = await deps.handlers.category.load(categoryStream(categoryId));
  if (state.status !== 'active') throw new ValidationError('unknown category', [{ path, message: `no category ${categoryId}` }]);
  return state;
}

/** The category and its ancestors, leaf first, read from their streams (strongly consistent). */
export async function categoryChain(deps: Deps, categoryId: string, path = 'categoryId'): Promise<ActiveCategory[]> {
  const chain = [await referencedCategory(deps, categoryId, path)];
  while (chain[chain.length - 1]!.parentId !== null) {
    if (chain.length > MAX_CATEGORY_DEPTH) throw new ValidationError('the category tree is too deep', [{ path, message: `at most ${MAX_CATEGORY_DEPTH} levels` }]);
    chain.push(await referencedCategory(deps, chain[chain.length - 1]!.parentId!, path));
  }
  return chain;
}

/** Own and inherited attribute templates of a category. */
export const templatesOf = (chain: ActiveCategory[]): AttributeTemplate[] => chain.flatMap((category) => category.attributes);

/** The frontend category and its ancestors' ids, read from their streams. */
export async function frontendPath(deps: Deps, frontendCategoryId: string, path = 'parentId'): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = frontendCategoryId;
  while (next !== null) {
    if (ids.length > MAX_CATEGORY_DEPTH) throw new ValidationError('the frontend category tree is too deep', [{ path, message: `at most ${MAX_CATEGORY_DEPTH} levels` }]);
    const { state } = await deps.handlers.frontendCategory.load(frontendCategoryStream(next));
    if (state.status !== 'active') throw new ValidationError('unknown frontend category', [{ path, message: `no frontend category ${next}` }]);
    ids.push(next);
    next = state.parentId;
  }
  return ids;
}

export async function referencedBrand(deps: Deps, brandId: string, path = 'brandId'): Promise<{ id: string; name: string }> {
  const { state } = await deps.handlers.brand.load(brandStream(brandId));
  if (state.status !== 'active') throw new ValidationError('unknown brand', [{ path, message: `no brand ${brandId}` }]);
  return { id: state.brandId, name: state.name };
}

/** A product this actor may change, with its revision; another merchant's product is 404 (its existence is not revealed). */
export async function ownProduct(deps: Deps, actor: CatalogActor, productId: string): Promise<{ product: ActiveProduct; revision: number }> {
  const { state, revision } = await deps.handlers.product.load(productStream(productId));
  if (state.status === 'none' || !canTouch(actor, state.merchantId)) throw new NotFoundError('product');
  return { product: state, revision };
}

/** SKU → product is fixed when the product is created: a SKU found once is kept (per view store). */
const knownSkus = new WeakMap<ViewStore, LruMap<string, SkuDoc>>();

/** SKU → product through the catalog view; a SKU created a moment ago may not be projected yet, so wait (bounded) for the head. */
export async function lookupSku(deps: Deps, skuId: string): Promise<SkuDoc | null> {
  let known = knownSkus.get(deps.views);
  if (!known) knownSkus.set(deps.views, (known = new LruMap(50_000)));
  const remembered = known.get(skuId);
  if (remembered) return remembered;
  const find = async () => {
    const doc = await deps.views.get<SkuDoc>(SKUS, skuId);
    if (doc) known.set(skuId, Object.freeze(doc));
    return doc;
  };
  const found = await find();
  if (found) return found;
  const head = await deps.store.headPosition();
  if (deps.projections.checkpoint('catalog') >= head) return null;
  await deps.projections.waitFor(head, 2000, ['catalog']);
  return find();
}

/** A SKU of a product this actor may change; unknown or another merchant's → 404. */
export async function ownSku(deps: Deps, actor: CatalogActor, skuId: string): Promise<{ sku: SkuDoc; product: ActiveProduct; revision: number }> {
  const sku = await lookupSku(deps, skuId);
  if (!sku || !canTouch(actor, sku.merchantId)) throw new NotFoundError('SKU');
  const { product, revision } = await ownProduct(deps, actor, sku.productId);
  return { sku, product, revision };
}
