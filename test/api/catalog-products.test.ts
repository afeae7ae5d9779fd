import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/commands/users/accounts.js';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';

let world: CatalogWorld;
let t: Taxonomy;
let codes = 0;
const code = (prefix = 'SKU') => `${prefix}-${++codes}`;
const as = (token: string) => (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  world.api(method, `/api/v1/admin${path}`, { token, body, headers });
let admin: ReturnType<typeof as>;
let merchantA: ReturnType<typeof as>;
let merchantB: ReturnType<typeof as>;
const streamLength = async (stream: string) => (await world.runtime.deps.store.readStream(stream)).length;

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  admin = as(world.adminToken);
  merchantA = as(world.merchantA.token);
  merchantB = as(world.merchantB.token);
});
afterAll(() => world.runtime.close());

async function createTee(by = merchantA, codesFor = [code('TEE'), code('TEE')], extra: Record<string, unknown> = {}) {
  const response = await by('POST', '/products', teeBody(t, codesFor, extra));
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; skus: Array<{ id: string; skuCode: string }>; position: string };
}

describe('creating products', () => {
  it('creates SKU-first: the SPU is generated, stock is kept per SKU, the merchant owns it', async () => {
    const created = await createTee();
    expect(created.skus).toHaveLength(2);
    const got = await merchantA('GET', `/products/${created.id}`, undefined, { 'X-Min-Position': created.position });
    expect(got.status).toBe(200);
    expect(got.headers.get('ETag')).toBe(`"${got.body.version}"`);
    expect(got.body).toMatchObject({
      merchantId: world.merchantA.id,
      status: 'draft',
      spuId: created.id,
      keyAttributes: { 材质: '棉' },
      attributes: { 产地: '上海' },
      category: { id: t.categoryId, name: 'T恤' },
      brand: { id: t.brandId, name: t.brandName },
      takeStockAt: 'order',
    });
    expect(got.body.skus[0]).toMatchObject({ onHand: 10, reserved: 0, available: 10, price: cny(9900) });
    expect(got.body.currentSnapshotId).toMatch(/^[0-9a-f]{64}$/);
    const spu = await admin('GET', `/spus/${created.id}`);
    expect(spu.body).toMatchObject({ origin: 'generated', keyAttributes: { 材质: '棉' } });
  });

  it('creates under a platform SPU: title, category, brand and key attributes come from it', async () => {
    const spu = await admin('POST', '/spus', { title: 'Standard Tee', categoryId: t.categoryId, brandId: t.brandId, keyAttributes: { 材质: '麻' } });
    const body = { spuId: spu.body.id, attributes: { 产地: '杭州' }, skus: [{ skuCode: code(), salesAttributes: { 颜色: '红色', 尺码: 'S' }, price: cny(100), stock: 1 }] };
    const created = await merchantB('POST', '/products', body);
    expect(created.status).toBe(201);
    await settled(world, created.body.position);
    const got = await merchantB('GET', `/products/${created.body.id}`);
    expect(got.body).toMatchObject({ title: 'Standard Tee', spuId: spu.body.id, keyAttributes: { 材质: '麻' }, attributes: { 产地: '杭州' } });
    const withTitle = await merchantB('POST', '/products', { ...body, title: 'mine' });
    expect(withTitle.status).toBe(400);
    expect(withTitle.body.errors[0].path).toBe('title');
    const keyOverride = await merchantB('POST', '/products', { ...body, attributes: { 材质: '棉' }, skus: [{ ...body.skus[0], skuCode: code() }] });
    expect(keyOverride.status).toBe(400);
    const unknown = await merchantB('POST', '/products', { ...body, spuId: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('spuId');
    // A generated SPU belongs to its product alone.
    const generated = await createTee();
    expect((await merchantB('POST', '/products', { ...body, spuId: generated.id })).status).toBe(400);
  });

  it('lists at creation when asked', async () => {
    const created = await createTee(merchantA, [code()], { status: 'listed' });
    await settled(world, created.position);
    const got = await merchantA('GET', `/products/${created.id}`);
    expect(got.body.status).toBe('listed');
    expect(got.body.listedAt).not.toBeNull();
  });

  it('gives admin products to the platform unless a merchant is named', async () => {
    const own = await createTee(admin, [code()]);
    await settled(world, own.position);
    expect((await admin('GET', `/products/${own.id}`)).body.merchantId).toBe('platform');
    const merchant = await createUser(world.runtime.deps, { phone: null, email: 'shop@example.com', nickname: 'shop', password: 'Merchant-pass-1', roles: ['merchant'] }, {});
    const named = await createTee(admin, [code()], { merchantId: merchant.state.userId });
    await settled(world, named.position);
    expect((await admin('GET', `/products/${named.id}`)).body.merchantId).toBe(merchant.state.userId);
    const unknown = await admin('POST', '/products', teeBody(t, [code()], { merchantId: 'nobody' }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('merchantId');
    expect((await merchantA('POST', '/products', teeBody(t, [code()], { merchantId: world.merchantB.id }))).status).toBe(403);
  });

  it('replays a creation sent again with the same Idempotency-Key', async () => {
    const body = teeBody(t, [code()]);
    const first = await merchantA('POST', '/products', body, { 'Idempotency-Key': 'create-once' });
    const again = await merchantA('POST', '/products', body, { 'Idempotency-Key': 'create-once' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
  });
});

describe('refusing bad products (400/409, nothing written)', () => {
  const base = () => teeBody(t, [code()]);
  const sku = (overrides: Record<string, unknown>) => ({ ...base(), skus: [{ ...base().skus[0], ...overrides }] });
  const cases: Array<[string, () => unknown, string]> = [
    ['an unknown category', () => ({ ...base(), categoryId: 'nope' }), 'categoryId'],
    ['an unknown brand', () => ({ ...base(), brandId: 'nope' }), 'brandId'],
    ['a missing key attribute', () => ({ ...base(), attributes: {} }), 'attributes.材质'],
    ['an unknown attribute', () => ({ ...base(), attributes: { 材质: '棉', 重量: '1kg' } }), 'attributes.重量'],
    ['a sales attribute missing', () => sku({ salesAttributes: { 颜色: '红色' } }), 'skus.0.salesAttributes.尺码'],
    ['a sales value not allowed', () => sku({ salesAttributes: { 颜色: '绿色', 尺码: 'M' } }), 'skus.0.salesAttributes.颜色'],
    ['an unknown sales attribute', () => sku({ salesAttributes: { 颜色: '红色', 尺码: 'M', 袖长: '长' } }), 'skus.0.salesAttributes.袖长'],
    ['a negative price', () => sku({ price: cny(-1) }), 'skus.0.price.amount'],
    ['a zero price', () => sku({ price: cny(0) }), 'skus.0.price.amount'],
    ['a fractional price', () => sku({ price: cny(9.5) }), 'skus.0.price.amount'],
    ['another currency', () => sku({ price: { amount: 100, currency: 'USD' } }), 'skus.0.price.currency'],
    ['a negative stock', () => sku({ stock: -1 }), 'skus.0.stock'],
    ['a stock that is a string', () => sku({ stock: '5' }), 'skus.0.stock'],
    ['no SKU', () => ({ ...base(), skus: [] }), 'skus'],
    ['an unknown field', () => ({ ...base(), colour: 'red' }), '(body)'],
    ['an unknown SKU field', () => sku({ weight: 1 }), 'skus.0'],
    ['a missing title without spuId', () => ({ ...base(), title: undefined }), 'title'],
  ];

  it.each(cases)('refuses %s', async (_name, body, path) => {
    const before = await world.runtime.deps.store.headPosition();
    const response = await merchantA('POST', '/products', body());
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await world.runtime.deps.store.headPosition()).toBe(before);
  });

  it('refuses two SKUs with the same code or the same sales attributes', async () => {
    const same = code();
    const duplicateCode = await merchantA('POST', '/products', teeBody(t, [same, same]));
    expect(duplicateCode.status).toBe(400);
    expect(duplicateCode.body.errors[0]).toMatchObject({ path: 'skus.1.skuCode' });
    const body = teeBody(t, [code(), code()]);
    body.skus[1]!.salesAttributes = { ...body.skus[0]!.salesAttributes };
    const duplicateCombination = await merchantA('POST', '/products', body);
    expect(duplicateCombination.status).toBe(400);
    expect(duplicateCombination.body.errors[0]).toMatchObject({ path: 'skus.1.salesAttributes' });
  });

  it('refuses a SKU code the merchant already uses, releasing the codes it took', async () => {
    const taken = code();
    await createTee(merchantA, [taken]);
    const fresh = code();
    const before = await world.runtime.deps.store.headPosition();
    const clash = await merchantA('POST', '/products', teeBody(t, [fresh, taken]));
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('SKU_CODE_TAKEN');
    expect(clash.body.errors[0].path).toBe('skus.1.skuCode');
    // Only the reservation and its release were written: no SPU, inventory or product.
    const written = await world.runtime.deps.store.readAll({ after: before });
    expect(written.map((event) => event.type)).toEqual(['ValueReserved', 'ValueReleased']);
    // The code it took is free again; another merchant may use the taken one.
    await createTee(merchantA, [fresh]);
    await createTee(merchantB, [taken]);
  });
});

describe('editing products', () => {
  it('edits with If-Match; a stale one is 412 and appends nothing', async () => {
    const created = await createTee();
    const stream = `product-${created.id}`;
    const first = await merchantA('PATCH', `/products/${created.id}`, { title: 'Better Tee' }, { 'If-Match': '"0"' });
    expect(first.status).toBe(412);
    expect(first.body.code).toBe('VERSION_CONFLICT');
    const length = await streamLength(stream);
    const current = `"${length - 1}"`;
    const ok = await merchantA('PATCH', `/products/${created.id}`, { title: 'Better Tee', attributes: { 产地: '广州' } }, { 'If-Match': current });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ title: 'Better Tee', attributes: { 产地: '广州' } });
    expect(ok.headers.get('ETag')).not.toBe(current);
    const lengthAfter = await streamLength(stream);
    const stale = await merchantA('PATCH', `/products/${created.id}`, { title: 'Stale' }, { 'If-Match': current });
    expect(stale.status).toBe(412);
    expect(await streamLength(stream)).toBe(lengthAfter);
    // Without If-Match the edit applies (last writer wins).
    expect((await merchantA('PATCH', `/products/${created.id}`, { description: 'new' })).status).toBe(200);
  });

  it('refuses general attributes that do not fit, unknown fields and empty edits', async () => {
    const created = await createTee();
    expect((await merchantA('PATCH', `/products/${created.id}`, { attributes: { 材质: '麻' } })).status).toBe(400);
    expect((await merchantA('PATCH', `/products/${created.id}`, { attributes: { 重量: '1kg' } })).status).toBe(400);
    expect((await merchantA('PATCH', `/products/${created.id}`, { price: 1 })).status).toBe(400);
    expect((await merchantA('PATCH', `/products/${created.id}`, {})).status).toBe(400);
    expect((await merchantA('PATCH', `/products/${created.id}`, { title: 'x' }, { 'If-Match': 'abc' })).status).toBe(400);
  });

  it('takes a snapshot per new content and reuses the id when the content comes back', async () => {
    const created = await createTee();
    const original = (await merchantA('PATCH', `/products/${created.id}`, { takeStockAt: 'payment' })).body;
    expect(original.takeStockAt).toBe('payment');
    const edited = (await merchantA('PATCH', `/products/${created.id}`, { title: 'Edited' })).body;
    expect(edited.currentSnapshotId).not.toBe(original.currentSnapshotId);
    const back = (await merchantA('PATCH', `/products/${created.id}`, { title: '纯棉T恤' })).body;
    expect(back.currentSnapshotId).toBe(original.currentSnapshotId);
    const events = await world.runtime.deps.store.readStream(`product-${created.id}`);
    const snapshots = events.filter((event) => event.type === 'ProductSnapshotTaken').map((event) => (event.data as { snapshotId: string }).snapshotId);
    expect(snapshots).toEqual([original.currentSnapshotId, edited.currentSnapshotId]);
    await settled(world);
    const { getSnapshot } = await import('../../src/queries/catalog/catalog.js');
    const snapshot = await getSnapshot(world.runtime.deps, edited.currentSnapshotId);
    expect(snapshot?.content).toMatchObject({ productId: created.id, title: 'Edited', brand: { name: t.brandName } });
  });

  it('lists and delists; a draft cannot be delisted', async () => {
    const created = await createTee();
    const draftDelist = await merchantA('POST', `/products/${created.id}/status`, { status: 'delisted' });
    expect(draftDelist.status).toBe(409);
    expect(draftDelist.body.code).toBe('INVALID_STATE_TRANSITION');
    const listed = await merchantA('POST', `/products/${created.id}/status`, { status: 'listed' });
    expect(listed.status).toBe(200);
    expect(listed.body.status).toBe('listed');
    const again = await merchantA('POST', `/products/${created.id}/status`, { status: 'listed' });
    expect(again.body.version).toBe(listed.body.version);
    expect((await merchantA('POST', `/products/${created.id}/status`, { status: 'delisted' })).body.status).toBe('delisted');
    expect((await merchantA('POST', `/products/${created.id}/status`, { status: 'draft' })).status).toBe(400);
  });
});

describe('prices and stock', () => {
  it('sets a price; refuses bad ones and unknown SKUs', async () => {
    const created = await createTee();
    const skuId = created.skus[0]!.id;
    const ok = await merchantA('PUT', `/skus/${skuId}/price`, { price: cny(12345) });
    expect(ok.status).toBe(200);
    expect(ok.body.skus.find((s: { id: string }) => s.id === skuId).price).toEqual(cny(12345));
    expect((await merchantA('PUT', `/skus/${skuId}/price`, { price: cny(-5) })).status).toBe(400);
    expect((await merchantA('PUT', `/skus/${skuId}/price`, { price: { amount: 5, currency: 'EUR' } })).status).toBe(400);
    expect((await merchantA('PUT', `/skus/${skuId}/price`, { price: 5 })).status).toBe(400);
    expect((await merchantA('PUT', '/skus/nope/price', { price: cny(5) })).status).toBe(404);
  });

  it('sets stock and changes it by deltas, never below zero', async () => {
    const created = await createTee();
    const skuId = created.skus[0]!.id;
    const set = await merchantA('POST', `/skus/${skuId}/stock`, { set: 3 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect((await merchantA('POST', `/skus/${skuId}/stock`, { delta: 4 })).body.onHand).toBe(7);
    const negative = await merchantA('POST', `/skus/${skuId}/stock`, { delta: -8 });
    expect(negative.status).toBe(409);
    expect(negative.body.code).toBe('STOCK_NEGATIVE');
    expect((await merchantA('POST', `/skus/${skuId}/stock`, { set: -1 })).status).toBe(400);
    expect((await merchantA('POST', `/skus/${skuId}/stock`, { set: 1, delta: 1 })).status).toBe(400);
    expect((await merchantA('POST', `/skus/${skuId}/stock`, { delta: 0 })).status).toBe(400);
    expect((await merchantA('POST', `/skus/${skuId}/stock`, { delta: 1.5 })).status).toBe(400);
    await settled(world);
    expect((await merchantA('GET', `/products/${created.id}`)).body.skus[0]).toMatchObject({ onHand: 7, available: 7 });
  });
});

describe('merchant isolation', () => {
  it('hides one merchant’s products from another (404) and lets admins touch all', async () => {
    const created = await createTee(merchantA);
    const skuId = created.skus[0]!.id;
    await settled(world, created.position);
    const before = await world.runtime.deps.store.headPosition();
    expect((await merchantB('GET', `/products/${created.id}`)).status).toBe(404);
    expect((await merchantB('PATCH', `/products/${created.id}`, { title: 'mine now' })).status).toBe(404);
    expect((await merchantB('POST', `/products/${created.id}/status`, { status: 'listed' })).status).toBe(404);
    expect((await merchantB('PUT', `/skus/${skuId}/price`, { price: cny(1) })).status).toBe(404);
    expect((await merchantB('POST', `/skus/${skuId}/stock`, { set: 0 })).status).toBe(404);
    expect(await world.runtime.deps.store.headPosition()).toBe(before);
    const listB = await merchantB('GET', '/products?limit=100');
    expect(listB.body.items.every((p: { merchantId: string }) => p.merchantId === world.merchantB.id)).toBe(true);
    expect((await admin('PATCH', `/products/${created.id}`, { title: 'by admin' })).status).toBe(200);
    expect((await admin('GET', `/products?merchantId=${world.merchantA.id}&limit=100`)).body.items.length).toBeGreaterThan(0);
    expect((await world.api('GET', `/api/v1/admin/products/${created.id}`, { token: world.customerToken })).status).toBe(403);
  });
});
