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
import { CATEGORY_TREE, FAMILIES, FRONTEND_TREE, type Family, type FrontendSpec, type LeafSpec } from './demo-data.js';

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
}

const ACTOR: CatalogActor = { id: 'seed', role: 'admin' };
const METADATA: EventMetadata = { correlationId: 'demo-seed', actor: { id: 'seed', role: 'system' } };
const WAIT_MS = 30_000;

interface Leaf {
  id: string;
  spec: LeafSpec;
  family: Family;
}

export async function seedDemoStore(deps: Deps, options: { products: number; onProgress?: (done: number) => void }): Promise<SeedResult> {
  await caughtUp(deps);
  const { leaves, byPath } = await ensureCategories(deps);
  const brands = await ensureBrands(deps);
  await ensureFrontend(deps, FRONTEND_TREE, null, byPath);

  const result: SeedResult = { created: 0, existing: 0, listed: 0 };
  for (let i = 0; i < options.products; i++) {
    const leaf = leaves[i % leaves.length]!;
    const product = demoProduct(i, leaf, brands);
    if (product.status === 'listed') result.listed++;
    if ((await deps.handlers.product.load(productStream(product.ids.productId))).state.status !== 'none') {
      result.existing++;
    } else {
      await createProduct(deps, ACTOR, product.input, METADATA, product.ids);
      result.created++;
    }
    options.onProgress?.(i + 1);
  }
  return result;
}

/** Name lookups go through the catalog view: let it catch up first. */
async function caughtUp(deps: Deps): Promise<void> {
  await deps.projections.waitFor(await deps.store.headPosition(), WAIT_MS, ['catalog']);
}

async function findOne<T extends Record<string, unknown>>(deps: Deps, collection: string, where: Record<string, string | null>): Promise<T | null> {
  return (await deps.views.find<T>(collection, { where, limit: 1 })).items[0] ?? null;
}

async function ensureCategories(deps: Deps): Promise<{ leaves: Leaf[]; byPath: Map<string, string> }> {
  const byPath = new Map<string, string>();
  const leaves: Leaf[] = [];
  const category = async (name: string, parentId: string | null) =>
    (await findOne<CategoryDoc>(deps, CATEGORIES, { parentId, name }))?.id ?? (await createCategory(deps, { name, parentId }, METADATA)).id;

  for (const root of CATEGORY_TREE) {
    const rootId = await category(root.name, null);
    byPath.set(root.name, rootId);
    const family = FAMILIES[root.family]!;
    for (const spec of root.leaves) {
      const id = await category(spec.name, rootId);
      byPath.set(`${root.name}/${spec.name}`, id);
      leaves.push({ id, spec, family });
      await caughtUp(deps);
      const defined = new Set(((await deps.views.get<CategoryDoc>(CATEGORIES, id))?.attributes ?? []).map((attribute) => attribute.name));
      for (const attribute of family.attributes) {
        if (!defined.has(attribute.name)) await defineAttribute(deps, { categoryId: id, ...attribute }, METADATA);
      }
    }
  }
  return { leaves, byPath };
}

async function ensureBrands(deps: Deps): Promise<Map<string, { id: string; name: string }>> {
  const brands = new Map<string, { id: string; name: string }>();
  for (const name of new Set(Object.values(FAMILIES).flatMap((family) => family.brands))) {
    const id = (await findOne<BrandDoc>(deps, BRANDS, { name }))?.id ?? (await createBrand(deps, { name }, METADATA)).id;
    brands.set(name, { id, name });
  }
  return brands;
}

async function ensureFrontend(deps: Deps, specs: FrontendSpec[], parentId: string | null, byPath: Map<string, string>): Promise<void> {
  for (const spec of specs) {
    await caughtUp(deps);
    const backendCategoryIds = spec.backend.map((path) => byPath.get(path)!);
    const existing = await findOne<FrontendCategoryDoc>(deps, FRONTEND_CATEGORIES, { parentId, name: spec.name });
    const id = existing?.id ?? (await createFrontendCategory(deps, { name: spec.name, parentId, backendCategoryIds }, METADATA)).id;
    await ensureFrontend(deps, spec.children ?? [], id, byPath);
  }
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

/** Product number i: everything drawn from a PRNG seeded with i, so it never depends on the other products. */
function demoProduct(i: number, leaf: Leaf, brands: Map<string, { id: string; name: string }>) {
  const random = prng(0x5eed + i * 7919);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const { family, spec } = leaf;

  const rawItem = pick(spec.items);
  const cut = rawItem.indexOf(':');
  const brandName = cut > 0 ? rawItem.slice(0, cut) : pick(family.brands);
  const item = cut > 0 ? rawItem.slice(cut + 1) : rawItem;
  const edition = pick(family.editions);
  const isBook = family === FAMILIES.book;
  const title = isBook ? `${item} ${edition}` : `${brandName} ${item} ${edition}`;

  const sales = family.attributes.filter((attribute) => attribute.kind === 'sales');
  const combinations = sales.reduce<Array<Record<string, string>>>(
    (all, attribute) => all.flatMap((partial) => attribute.values.map((value) => ({ ...partial, [attribute.name]: value }))),
    [{}],
  );
  const skuCount = 1 + Math.floor(random() * Math.min(4, combinations.length));
  const start = Math.floor(random() * combinations.length);
  const [low, high] = spec.price ?? family.price;
  const base = Math.max(100, Math.round((low + random() * (high - low)) / 100) * 100 - 10);
  const productId = idFromSeed(`demo-product-${i}`);
  const skus: NewSku[] = Array.from({ length: skuCount }, (_, k) => ({
    skuCode: `DEMO-${i}-${k + 1}`,
    salesAttributes: combinations[(start + k) % combinations.length]!,
    price: { amount: base + k * Math.max(100, Math.round(base / 1000) * 100), currency: 'CNY' },
    stock: random() < 0.06 ? 0 : 1 + Math.floor(random() * 500),
  }));
  const attributes = Object.fromEntries(family.attributes.filter((attribute) => attribute.kind === 'general').map((attribute) => [attribute.name, pick(attribute.values)]));
  const status = random() < 0.9 ? ('listed' as const) : ('draft' as const);

  return {
    ids: { productId, skuId: (skuCode: string) => idFromSeed(`demo-product-${i}/${skuCode}`) },
    status,
    input: {
      title,
      categoryId: leaf.id,
      brandId: brands.get(brandName)!.id,
      attributes,
      description: `${title}。${spec.name}精选，${brandName}出品，正品保障，七天无理由退换。`,
      images: [`https://picsum.photos/seed/bazaar-${i}/600/600`],
      skus,
      status,
    },
  };
}
