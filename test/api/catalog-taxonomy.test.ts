import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, settled, taxonomy, type CatalogWorld, type Taxonomy } from './catalog-support.js';

let world: CatalogWorld;
let t: Taxonomy;
const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body, headers });

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
});
afterAll(() => world.runtime.close());

describe('backend categories', () => {
  it('creates a tree and shows the ancestor path and inherited templates', async () => {
    const leaf = await admin('POST', '/categories', { name: 'Polo', parentId: t.categoryId });
    expect(leaf.status).toBe(201);
    const got = await world.api('GET', `/api/v1/admin/categories/${leaf.body.id}`, { token: world.merchantA.token, headers: { 'X-Min-Position': leaf.body.position } });
    expect(got.status).toBe(200);
    expect(got.headers.get('ETag')).toBe('"0"');
    expect(got.body.path.map((p: { name: string }) => p.name)).toEqual(['服装', 'T恤']);
    expect(got.body.attributes.map((a: { name: string }) => a.name).sort()).toEqual(['产地', '尺码', '材质', '颜色'].sort());
  });

  it('refuses an unknown parent (400) and a sibling with the same name (409), case-insensitively', async () => {
    const unknown = await admin('POST', '/categories', { name: 'X', parentId: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('parentId');
    expect((await admin('POST', '/categories', { name: 'Shoes' })).status).toBe(201);
    const twin = await admin('POST', '/categories', { name: ' shoes ' });
    expect(twin.status).toBe(409);
    expect(twin.body.code).toBe('CATEGORY_NAME_TAKEN');
    // The same name under another parent is fine.
    expect((await admin('POST', '/categories', { name: 'Shoes', parentId: t.rootId })).status).toBe(201);
  });

  it('refuses unknown fields, wrong types and non-JSON bodies', async () => {
    expect((await admin('POST', '/categories', { name: 'A', colour: 'red' })).status).toBe(400);
    expect((await admin('POST', '/categories', { name: 42 })).status).toBe(400);
    expect((await admin('POST', '/categories', 'name=A', { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('moves a category but never under its own subtree, and renames with If-Match', async () => {
    const a = (await admin('POST', '/categories', { name: 'Move-A' })).body.id as string;
    const b = (await admin('POST', '/categories', { name: 'Move-B', parentId: a })).body.id as string;
    const cycle = await admin('PATCH', `/categories/${a}`, { parentId: b });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors[0].message).toMatch(/cycle/);
    const self = await admin('PATCH', `/categories/${a}`, { parentId: a });
    expect(self.status).toBe(400);
    const moved = await admin('PATCH', `/categories/${b}`, { parentId: null });
    expect(moved.status).toBe(200);
    expect(moved.body.parentId).toBeNull();
    const stale = await admin('PATCH', `/categories/${b}`, { name: 'Move-B2' }, { 'If-Match': '"0"' });
    expect(stale.status).toBe(412);
    const renamed = await admin('PATCH', `/categories/${b}`, { name: 'Move-B2' }, { 'If-Match': moved.headers.get('ETag')! });
    expect(renamed.status).toBe(200);
    // The old name is free again at the root, the new one is taken.
    expect((await admin('POST', '/categories', { name: 'Move-B2' })).status).toBe(409);
  });

  it('deletes only an empty leaf', async () => {
    const parent = (await admin('POST', '/categories', { name: 'Del-P' })).body.id as string;
    const child = (await admin('POST', '/categories', { name: 'Del-C', parentId: parent })).body.id as string;
    const refused = await admin('DELETE', `/categories/${parent}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CATEGORY_NOT_EMPTY');
    expect((await admin('DELETE', `/categories/${child}`)).status).toBe(204);
    expect((await admin('DELETE', `/categories/${parent}`)).status).toBe(204);
    expect((await admin('POST', '/categories', { name: 'Del-P' })).status).toBe(201);
    expect((await admin('DELETE', '/categories/nope')).status).toBe(404);
  });

  it('is admin-only for writes', async () => {
    const merchant = await world.api('POST', '/api/v1/admin/categories', { token: world.merchantA.token, body: { name: 'M' } });
    expect(merchant.status).toBe(403);
    expect((await world.api('POST', '/api/v1/admin/categories', { body: { name: 'M' } })).status).toBe(401);
    expect((await world.api('GET', '/api/v1/admin/categories', { token: world.customerToken })).status).toBe(403);
  });
});

describe('attribute templates', () => {
  it('refuses a name already defined on the category or an ancestor, and an unknown category', async () => {
    const clash = await admin('POST', '/attributes', { categoryId: t.categoryId, name: '材质', kind: 'general' });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('ATTRIBUTE_EXISTS');
    expect((await admin('POST', '/attributes', { categoryId: 'nope', name: 'x', kind: 'general' })).status).toBe(400);
    expect((await admin('POST', '/attributes', { categoryId: t.categoryId, name: 'x', kind: 'colour' })).status).toBe(400);
    // A name a sub-category already defines cannot be added above it either.
    const parentClash = await admin('POST', '/attributes', { categoryId: t.rootId, name: '颜色', kind: 'general' });
    expect(parentClash.status).toBe(409);
    expect(parentClash.body.detail).toMatch(new RegExp(t.categoryId));
  });
});

describe('frontend categories', () => {
  it('maps to existing backend categories only, and keeps its own tree', async () => {
    const bad = await admin('POST', '/frontend-categories', { name: '夏装', backendCategoryIds: [t.categoryId, 'nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('backendCategoryIds.1');
    expect((await admin('POST', '/frontend-categories', { name: '夏装', backendCategoryIds: [] })).status).toBe(400);
    const top = await admin('POST', '/frontend-categories', { name: '女装', backendCategoryIds: [t.rootId] });
    expect(top.status).toBe(201);
    const child = await admin('POST', '/frontend-categories', { name: '夏装', parentId: top.body.id, backendCategoryIds: [t.categoryId] });
    expect(child.status).toBe(201);
    const cycle = await admin('PATCH', `/frontend-categories/${top.body.id}`, { parentId: child.body.id });
    expect(cycle.status).toBe(400);
    const remapped = await admin('PATCH', `/frontend-categories/${child.body.id}`, { backendCategoryIds: [t.rootId] });
    expect(remapped.status).toBe(200);
    expect(remapped.body.backendCategoryIds).toEqual([t.rootId]);
    await settled(world);
    const list = await admin('GET', `/frontend-categories?parentId=${top.body.id}`);
    expect(list.body.items.map((item: { name: string }) => item.name)).toEqual(['夏装']);
  });
});

describe('brands and SPUs', () => {
  it('keeps brand names unique', async () => {
    const twin = await admin('POST', '/brands', { name: t.brandName.toUpperCase() });
    expect(twin.status).toBe(409);
    expect(twin.body.code).toBe('BRAND_NAME_TAKEN');
  });

  it('validates an SPU against the key templates, the category and the brand', async () => {
    const ok = await admin('POST', '/spus', { title: 'Tee', categoryId: t.categoryId, brandId: t.brandId, keyAttributes: { 材质: '棉' } });
    expect(ok.status).toBe(201);
    const missing = await admin('POST', '/spus', { title: 'Tee', categoryId: t.categoryId, brandId: t.brandId, keyAttributes: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toMatchObject({ path: 'keyAttributes.材质' });
    const notAllowed = await admin('POST', '/spus', { title: 'Tee', categoryId: t.categoryId, brandId: t.brandId, keyAttributes: { 材质: '丝' } });
    expect(notAllowed.status).toBe(400);
    const salesAsKey = await admin('POST', '/spus', { title: 'Tee', categoryId: t.categoryId, brandId: t.brandId, keyAttributes: { 材质: '棉', 颜色: '红色' } });
    expect(salesAsKey.status).toBe(400);
    expect((await admin('POST', '/spus', { title: 'Tee', categoryId: 'nope', brandId: t.brandId, keyAttributes: {} })).status).toBe(400);
    expect((await admin('POST', '/spus', { title: 'Tee', categoryId: t.categoryId, brandId: 'nope', keyAttributes: { 材质: '棉' } })).status).toBe(400);
    await settled(world);
    const spu = await admin('GET', `/spus/${ok.body.id}`);
    expect(spu.body).toMatchObject({ origin: 'platform', keyAttributes: { 材质: '棉' } });
  });
});
