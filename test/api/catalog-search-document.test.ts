import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productIdsUnder, productSearchDocument } from '../../src/queries/catalog/search-document.js';
import { catalogWorld, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';

let world: CatalogWorld;
let t: Taxonomy;
const admin = (method: string, path: string, body?: unknown) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body });

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
});
afterAll(() => world.runtime.close());

describe('the search document of a product', () => {
  it('gathers what the search index needs from the catalog read model, and its revision grows with every input', async () => {
    const top = await admin('POST', '/frontend-categories', { name: '女装', backendCategoryIds: [t.rootId] });
    const summer = await admin('POST', '/frontend-categories', { name: '夏装', parentId: top.body.id, backendCategoryIds: [t.categoryId] });
    await admin('POST', '/frontend-categories', { name: '其他', backendCategoryIds: [(await admin('POST', '/categories', { name: 'Other' })).body.id] });
    const created = await admin('POST', '/products', teeBody(t, ['S-1', 'S-2', 'S-3']));
    await admin('POST', `/skus/${created.body.skus[1].id}/stock`, { set: 0 });
    await settled(world);

    const doc = await productSearchDocument(world.runtime.deps, created.body.id);
    expect(doc).toMatchObject({
      id: created.body.id,
      title: '纯棉T恤',
      description: 'soft',
      brand: { id: t.brandId, name: t.brandName },
      categoryId: t.categoryId,
      categoryIds: [t.rootId, t.categoryId],
      frontendCategoryIds: [top.body.id, summer.body.id].sort(),
      attributes: { 材质: ['棉'], 产地: ['上海'], 颜色: ['红色', '蓝色'], 尺码: ['M', 'S'] },
      minPrice: 9900,
      maxPrice: 9902,
      currency: 'CNY',
      inStock: true,
      salesCount: 0,
      listedAt: null,
      image: 'https://img.example.com/tee.png',
      status: 'draft',
    });

    for (const sku of created.body.skus) await admin('POST', `/skus/${sku.id}/stock`, { set: 0 });
    await admin('POST', `/products/${created.body.id}/status`, { status: 'listed' });
    await settled(world);
    const later = await productSearchDocument(world.runtime.deps, created.body.id);
    expect(later).toMatchObject({ inStock: false, status: 'listed' });
    expect(later!.listedAt).not.toBeNull();
    expect(later!.revision).toBeGreaterThan(doc!.revision);

    const moved = await admin('PATCH', `/frontend-categories/${summer.body.id}`, { parentId: null });
    expect(moved.status).toBe(200);
    await settled(world);
    const remapped = await productSearchDocument(world.runtime.deps, created.body.id);
    expect(remapped!.frontendCategoryIds).toEqual([top.body.id, summer.body.id].sort());
    expect(remapped!.revision).toBeGreaterThan(later!.revision);
    expect(await productSearchDocument(world.runtime.deps, 'nope')).toBeNull();

    const under = [];
    for await (const id of productIdsUnder(world.runtime.deps, t.rootId)) under.push(id);
    expect(under).toEqual([created.body.id]);
  });
});
