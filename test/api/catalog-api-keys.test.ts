import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';
import { registerUser } from './security-support.js';

let world: CatalogWorld;
let t: Taxonomy;
const withKey = (key: string) => (method: string, path: string, body?: unknown) =>
  world.api(method, path, { body, headers: { Authorization: `ApiKey ${key}` } });

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  // A key acts only while its owner holds the role it was issued with: the owners exist as users.
  await registerUser(world, 'admin-1', ['admin']);
  await registerUser(world, world.merchantA.id, ['merchant']);
  await registerUser(world, world.merchantB.id, ['merchant']);
});
afterAll(() => world.runtime.close());

describe('merchant API keys', () => {
  it('acts as its merchant on the product-center routes, scoped to its products, until revoked', async () => {
    const created = await world.api('POST', '/api/v1/admin/api-keys', { token: world.merchantA.token, body: { name: 'ERP sync' } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^bzk_/);
    expect(created.body.merchantId).toBe(world.merchantA.id);
    const events = await world.runtime.deps.store.readStream(`apikey-${created.body.id}`);
    expect(JSON.stringify(events)).not.toContain(created.body.key); // only the hash is kept
    const sync = withKey(created.body.key);

    const product = await sync('POST', '/api/v1/admin/products', teeBody(t, ['KEY-1']));
    expect(product.status).toBe(201);
    await settled(world, product.body.position);
    expect((await sync('GET', `/api/v1/admin/products/${product.body.id}`)).body.merchantId).toBe(world.merchantA.id);
    expect((await sync('PUT', `/api/v1/admin/skus/${product.body.skus[0].id}/price`, { price: cny(500) })).status).toBe(200);

    const other = await world.api('POST', '/api/v1/admin/products', { token: world.merchantB.token, body: teeBody(t, ['KEY-B']) });
    await settled(world, other.body.position);
    expect((await sync('GET', `/api/v1/admin/products/${other.body.id}`)).status).toBe(404);
    expect((await sync('PATCH', `/api/v1/admin/products/${other.body.id}`, { title: 'x' })).status).toBe(404);
    expect((await sync('POST', '/api/v1/admin/categories', { name: 'by key' })).status).toBe(403); // a merchant, not an admin

    // Only the product-center routes take a key.
    expect((await sync('GET', '/api/v1/me')).status).toBe(403);
    expect((await sync('POST', '/api/v1/admin/api-keys', { name: 'another' })).status).toBe(403);

    // Another merchant cannot revoke it; its owner can, with immediate effect.
    expect((await world.api('DELETE', `/api/v1/admin/api-keys/${created.body.id}`, { token: world.merchantB.token })).status).toBe(404);
    const list = await world.api('GET', '/api/v1/admin/api-keys', { token: world.merchantA.token, headers: { 'X-Min-Position': created.body.position } });
    expect(list.body.items).toEqual([expect.objectContaining({ id: created.body.id, name: 'ERP sync', status: 'active' })]);
    expect((await world.api('DELETE', `/api/v1/admin/api-keys/${created.body.id}`, { token: world.merchantA.token })).status).toBe(204);
    const revoked = await sync('GET', `/api/v1/admin/products/${product.body.id}`);
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('UNAUTHENTICATED');
    expect((await world.api('DELETE', `/api/v1/admin/api-keys/${created.body.id}`, { token: world.merchantA.token })).status).toBe(204);
  });

  it('refuses unknown and malformed keys', async () => {
    const created = await world.api('POST', '/api/v1/admin/api-keys', { token: world.merchantA.token, body: { name: 'k' } });
    const forged = `${created.body.key.slice(0, -4)}AAAA`;
    expect((await withKey(forged)('GET', '/api/v1/admin/products')).status).toBe(401);
    expect((await withKey('garbage')('GET', '/api/v1/admin/products')).status).toBe(401);
    expect((await withKey(created.body.key)('GET', '/api/v1/admin/products')).status).toBe(200);
  });

  it('lets an admin issue a platform key, and is not for customers', async () => {
    const platform = await world.api('POST', '/api/v1/admin/api-keys', { token: world.adminToken, body: { name: 'platform' } });
    expect(platform.body.merchantId).toBe('platform');
    const product = await withKey(platform.body.key)('POST', '/api/v1/admin/products', teeBody(t, ['PLAT-1']));
    expect(product.status).toBe(201);
    expect((await world.api('POST', '/api/v1/admin/api-keys', { token: world.customerToken, body: { name: 'x' } })).status).toBe(403);
    expect((await world.api('POST', '/api/v1/admin/api-keys', { token: world.merchantA.token, body: { name: 'x', scope: 'all' } })).status).toBe(400);
  });
});
