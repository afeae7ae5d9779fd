import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { idFromSeed } from '../../domain/catalog/canonical.js';
import { productStream } from '../../domain/catalog/product.js';
import { BRANDS, CATEGORIES, FRONTEND_CATEGORIES, type BrandDoc, type CategoryDoc, type FrontendCategoryDoc } from '../../projections/catalog/documents.js';
import { createCategory, defineAttribute } from './categories.js';
import { createBrand } from './brands-spus.js';
import { createFrontendCategory } from './frontend-categories.js';
import { createProduct, type NewSku } from './products.js';
import type { CatalogActor } from './lookups.js';
import { HOME_PAGE_STREAM, type HomePageContent } from '../../domain/catalog/home-page.js';
import { publishHomePage } from './home-page.js';
import { CATEGORY_TREE, FAMILIES, FRONTEND_TREE, HOME_PAGE, type Family, type FrontendSpec, type LeafSpec } from './demo-data.js';

/**
 * `bazaar seed`: a demo store made through the real commands (so every rule and every read model
 * applies), deterministic (product i is drawn from a PRNG seeded with i) and re-runnable: categories,
 * brands and frontend categories are looked up by name first, products have ids derived from their
 * number, so a second run creates only what is missing (a larger --products adds the difference).
 */
export interface SeedResult {
  created: number;
  existing: number;
  listed: number;
  /** `published`: this run published the demo home page; `kept`: a page was already published. */
  homePage: 'published' | 'kept';
}

const ACTOR: CatalogActor = { id: 'seed', role: 'admin' };
const METADATA: EventMetadata = { correlationId: 'demo-seed', actor: { id: 'seed', role: 'system' } };
const WAIT_MS = 30_000;

/** Every leaf of the demo tree, in order: product i belongs to leaf i mod their number. */
export const DEMO_LEAVES: ReadonlyArray<{ path: string; spec: LeafSpec; family: Family }> = CATEGORY_TREE.flatMap((root) =>
  root.leaves.map((spec) => ({ path: `${root.name}/${spec.name}`, spec, family: FAMILIES[spec.family ?? root.family] })),
);

export async function seedDemoStore(deps: Deps, options: { products: number; onProgress?: (done: number) => void }): Promise<SeedResult> {
  await caughtUp(deps);
  const { byPath } = await ensureCategories(deps);
  const brands = await ensureBrands(deps);
  const frontend = new Map<string, string>();
  await ensureFrontend(deps, FRONTEND_TREE, null, '', byPath, frontend);

  const result: SeedResult = { created: 0, existing: 0, listed: 0, homePage: 'kept' };
  const picks: string[] = [];
  for (let i = 0; i < options.products; i++) {
    const plan = demoProductPlan(i);
    const productId = demoProductId(i);
    if (plan.status === 'listed') {
      result.listed++;
      if (picks.length < HOME_PAGE.picks.count) picks.push(productId);
    }
    if ((await deps.handlers.product.load(productStream(productId))).state.status !== 'none') {
      result.existing++;
    } else {
      const { leafPath, brand, ...input } = plan;
      const ids = { productId, skuId: (skuCode: string) => idFromSeed(`demo-product-${i}/${skuCode}`) };
      await createProduct(deps, ACTOR, { ...input, categoryId: byPath.get(leafPath)!, brandId: brands.get(brand)! }, METADATA, ids);
      result.created++;
    }
    options.onProgress?.(i + 1);
  }
  result.homePage = await ensureHomePage(deps, frontend, picks);
  return result;
}

/** Name lookups go through the catalog view: let it catch up first. */
async function caughtUp(deps: Deps): Promise<void> {
  await deps.projections.waitFor(await deps.store.headPosition(), WAIT_MS, ['catalog']);
}

async function findOne<T extends Record<string, unknown>>(deps: Deps, collection: string, where: Record<string, string | null>): Promise<T | null> {
  return (await deps.views.find<T>(collection, { where, limit: 1 })).items[0] ?? null;
}

async function ensureCategories(deps: Deps): Promise<{ byPath: Map<string, string> }> {
  const byPath = new Map<string, string>();
  const category = async (name: string, parentId: string | null) =>
    (await findOne<CategoryDoc>(deps, CATEGORIES, { parentId, name }))?.id ?? (await createCategory(deps, { name, parentId }, METADATA)).id;

  for (const root of CATEGORY_TREE) {
    const rootId = await category(root.name, null);
    byPath.set(root.name, rootId);
    for (const spec of root.leaves) {
      const id = await category(spec.name, rootId);
      byPath.set(`${root.name}/${spec.name}`, id);
      await caughtUp(deps);
      const defined = new Set(((await deps.views.get<CategoryDoc>(CATEGORIES, id))?.attributes ?? []).map((attribute) => attribute.name));
      for (const attribute of FAMILIES[spec.family ?? root.family].attributes) {
        if (!defined.has(attribute.name)) await defineAttribute(deps, { categoryId: id, ...attribute }, METADATA);
      }
    }
  }
  return { byPath };
}

async function ensureBrands(deps: Deps): Promise<Map<string, string>> {
  const brands = new Map<string, string>();
  for (const name of new Set(DEMO_LEAVES.flatMap((leaf) => leaf.spec.brands))) {
    brands.set(name, (await findOne<BrandDoc>(deps, BRANDS, { name }))?.id ?? (await createBrand(deps, { name }, METADATA)).id);
  }
  return brands;
}

/** Creates the missing storefront categories; `ids` collects every one by path (`root` or `root/child`). */
async function ensureFrontend(deps: Deps, specs: FrontendSpec[], parentId: string | null, prefix: string, byPath: Map<string, string>, ids: Map<string, string>): Promise<void> {
  for (const spec of specs) {
    await caughtUp(deps);
    const backendCategoryIds = spec.backend.map((path) => byPath.get(path)!);
    const existing = await findOne<FrontendCategoryDoc>(deps, FRONTEND_CATEGORIES, { parentId, name: spec.name });
    const id = existing?.id ?? (await createFrontendCategory(deps, { name: spec.name, parentId, backendCategoryIds }, METADATA)).id;
    const path = `${prefix}${spec.name}`;
    ids.set(path, id);
    await ensureFrontend(deps, spec.children ?? [], id, `${path}/`, byPath, ids);
  }
}

/**
 * Publishes the demo home page (HOME_PAGE) unless a page is already published: a store's own page is
 * never replaced, and a second run appends nothing.
 */
async function ensureHomePage(deps: Deps, frontend: Map<string, string>, picks: string[]): Promise<SeedResult['homePage']> {
  if ((await deps.handlers.homePage.load(HOME_PAGE_STREAM)).state.status !== 'none') return 'kept';
  const content: HomePageContent = {
    banners: HOME_PAGE.banners.map((banner) => ({ title: banner.title, imageUrl: banner.imageUrl, linkUrl: `/frontend-categories/${frontend.get(banner.frontendCategory)!}` })),
    featuredFrontendCategoryIds: HOME_PAGE.featured.map((path) => frontend.get(path)!),
    collections: [
      ...(picks.length > 0 ? [{ title: HOME_PAGE.picks.title, kind: 'manual' as const, productIds: picks }] : []),
      ...HOME_PAGE.collections.map((collection) => ({
        title: collection.title,
        kind: 'rule' as const,
        rule: { ...('frontendCategory' in collection ? { frontendCategoryId: frontend.get(collection.frontendCategory)! } : {}), sort: collection.sort, limit: collection.limit },
      })),
    ],
  };
  await publishHomePage(deps, { content }, METADATA);
  return 'published';
}

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const demoProductId = (i: number): string => idFromSeed(`demo-product-${i}`);

/**
 * Demo product number i, before it meets the store (categories and brands by name): everything drawn
 * from a PRNG seeded with i, so it never depends on the other products. Its brand is one of its leaf's
 * brands; a title is brand + item + edition (books: item + edition, the brand is the publisher).
 */
export function demoProductPlan(i: number) {
  const random = prng(0x5eed + i * 7919);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const { path, family, spec } = DEMO_LEAVES[i % DEMO_LEAVES.length]!;

  const rawItem = pick(spec.items);
  const cut = rawItem.indexOf(':');
  const brand = cut > 0 ? rawItem.slice(0, cut) : pick(spec.brands);
  const item = cut > 0 ? rawItem.slice(cut + 1) : rawItem;
  const edition = pick(spec.editions ?? family.editions);
  const title = family.publisher ? `${item} ${edition}` : `${brand} ${item} ${edition}`;
  const description = family.publisher
    ? `${title}。${spec.name}精选，${brand}出版，正品保障，七天无理由退换。A ${spec.en} published by ${brand}.`
    : `${title}。${spec.name}精选，${brand}出品，正品保障，七天无理由退换。Genuine ${brand} ${spec.en}, 7-day returns.`;

  const sales = family.attributes.filter((attribute) => attribute.kind === 'sales');
  const combinations = sales.reduce<Array<Record<string, string>>>(
    (all, attribute) => all.flatMap((partial) => attribute.values.map((value) => ({ ...partial, [attribute.name]: value }))),
    [{}],
  );
  const skuCount = 1 + Math.floor(random() * Math.min(4, combinations.length));
  const start = Math.floor(random() * combinations.length);
  const [low, high] = spec.price ?? family.price;
  const base = Math.max(100, Math.round((low + random() * (high - low)) / 100) * 100 - 10);
  const skus: NewSku[] = Array.from({ length: skuCount }, (_, k) => ({
    skuCode: `DEMO-${i}-${k + 1}`,
    salesAttributes: combinations[(start + k) % combinations.length]!,
    price: { amount: base + k * Math.max(100, Math.round(base / 1000) * 100), currency: 'CNY' },
    stock: random() < 0.06 ? 0 : 1 + Math.floor(random() * 500),
  }));
  const attributes = Object.fromEntries(family.attributes.filter((attribute) => attribute.kind === 'general').map((attribute) => [attribute.name, pick(attribute.values)]));
  const status = random() < 0.9 ? ('listed' as const) : ('draft' as const);

  return { leafPath: path, brand, title, attributes, description, images: [`https://picsum.photos/seed/bazaar-${i}/600/600`], skus, status };
}
