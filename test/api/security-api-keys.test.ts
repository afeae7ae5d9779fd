import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRuntime, type Runtime } from '../../src/main.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { client } from '../support/runtime.js';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';
import { registerUser } from './security-support.js';

/** An API key acts with its owner's current roles: demotion or a missing owner stops it at once, in every process. */

let world: CatalogWorld;
let t: Taxonomy;
const withKey = (key: string, api = world.api) => (method: string, path: string, body?: unknown) => api(method, path, { body, headers: { Authorization: `ApiKey ${key}` } });
const setRoles = (userId: string, roles: string[]) => world.api('PUT', `/api/v1/admin/users/${userId}/roles`, { token: world.adminToken, body: { roles } });

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  await registerUser(world, 'admin-1', ['admin']);
});
afterAll(() => world?.runtime.close());

/** Every product-center power the key had: list, create, reprice, restock. */
async function powers(key: string, skuId: string) {
  const sync = withKey(key);
  return [
    (await sync('GET', '/api/v1/admin/products')).status,
    (await sync('POST', '/api/v1/admin/products', teeBody(t, [`P-${Math.random().toString(36).slice(2, 8)}`]))).status,
    (await sync('PUT', `/api/v1/admin/skus/${skuId}/price`, { price: cny(777) })).status,
    (await sync('POST', `/api/v1/admin/skus/${skuId}/stock`, { delta: 1 })).status,
  ];
}

describe('API keys act with their owner’s current roles', () => {
  it('a merchant demoted to customer loses every power of its keys at once, and gets them back when promoted again', async () => {
    await registerUser(world, 'merchant-demoted', ['merchant']);
    const token = await world.runtime.deps.tokens.issueAccessToken({ userId: 'merchant-demoted', roles: ['merchant'] }, new Date());
    const created = await world.api('POST', '/api/v1/admin/api-keys', { token, body: { name: 'ERP' } });
    expect(created.status).toBe(201);
    const product = await withKey(created.body.key)('POST', '/api/v1/admin/products', teeBody(t, ['DEMOTE-1']));
    expect(product.status).toBe(201);
    await settled(world, product.body.position);
    const skuId = product.body.skus[0].id as string;
    expect(await powers(created.body.key, skuId)).toEqual([200, 201, 200, 200]);

    expect((await setRoles('merchant-demoted', ['customer'])).status).toBe(200);
    const refused = await withKey(created.body.key)('GET', '/api/v1/admin/products');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHENTICATED', detail: expect.stringMatching(/no longer holds/) });
    expect(await powers(created.body.key, skuId)).toEqual([401, 401, 401, 401]);

    expect((await setRoles('merchant-demoted', ['customer', 'merchant'])).status).toBe(200);
    expect(await powers(created.body.key, skuId)).toEqual([200, 201, 200, 200]);
  });

  it('a key whose owner is not an active user is refused', async () => {
    // A token for an id with no user behind it (a removed or never-registered account) can still issue a key.
    const token = await world.runtime.deps.tokens.issueAccessToken({ userId: 'merchant-ghost', roles: ['merchant'] }, new Date());
    const created = await world.api('POST', '/api/v1/admin/api-keys', { token, body: { name: 'ghost' } });
    expect(created.status).toBe(201);
    expect((await withKey(created.body.key)('GET', '/api/v1/admin/products')).status).toBe(401);
  });

  it('a key an admin issued stops when that admin is demoted, and a key for a merchant stops when the merchant is', async () => {
    await registerUser(world, 'admin-2', ['admin']);
    await registerUser(world, 'merchant-named', ['merchant']);
    const admin2 = await world.runtime.deps.tokens.issueAccessToken({ userId: 'admin-2', roles: ['admin'] }, new Date());
    const platformKey = (await world.api('POST', '/api/v1/admin/api-keys', { token: admin2, body: { name: 'platform' } })).body.key as string;
    const namedKey = (await world.api('POST', '/api/v1/admin/api-keys', { token: admin2, body: { name: 'for a merchant', merchantId: 'merchant-named' } })).body.key as string;
    expect((await withKey(platformKey)('GET', '/api/v1/admin/products')).status).toBe(200);
    expect((await withKey(namedKey)('GET', '/api/v1/admin/products')).status).toBe(200);

    expect((await setRoles('merchant-named', ['customer'])).status).toBe(200);
    expect((await withKey(namedKey)('GET', '/api/v1/admin/products')).status).toBe(401);
    expect((await withKey(platformKey)('GET', '/api/v1/admin/products')).status).toBe(200);

    expect((await setRoles('admin-2', ['customer'])).status).toBe(200);
    expect((await withKey(platformKey)('GET', '/api/v1/admin/products')).status).toBe(401);
  });

  it('demotion and revocation in one process stop the key in another process sharing the stores', async () => {
    await registerUser(world, 'merchant-two-procs', ['merchant']);
    const token = await world.runtime.deps.tokens.issueAccessToken({ userId: 'merchant-two-procs', roles: ['merchant'] }, new Date());
    const keyA = (await world.api('POST', '/api/v1/admin/api-keys', { token, body: { name: 'a' } })).body;
    const keyB = (await world.api('POST', '/api/v1/admin/api-keys', { token, body: { name: 'b' } })).body;

    // A second API process on the same data dir (as `bazaar serve --role api` next to the first).
    const config = { ...world.runtime.config };
    const other: Runtime = await buildRuntime(config, createLogger('silent'), { walCheckpointer: false });
    try {
      const otherApi = client(createApp(other.deps));
      // Warm the other process: both keys work there, so anything it caches is now cached.
      expect((await withKey(keyA.key, otherApi)('GET', '/api/v1/admin/products')).status).toBe(200);
      expect((await withKey(keyB.key, otherApi)('GET', '/api/v1/admin/products')).status).toBe(200);

      expect((await world.api('DELETE', `/api/v1/admin/api-keys/${keyA.id}`, { token })).status).toBe(204);
      expect(await statusOnceSettled(() => withKey(keyA.key, otherApi)('GET', '/api/v1/admin/products'))).toBe(401);
      expect((await withKey(keyB.key, otherApi)('GET', '/api/v1/admin/products')).status).toBe(200);

      expect((await setRoles('merchant-two-procs', ['customer'])).status).toBe(200);
      expect(await statusOnceSettled(() => withKey(keyB.key, otherApi)('GET', '/api/v1/admin/products'))).toBe(401);
    } finally {
      await other.close();
    }
  });
});

/**
 * The status once another process's commit is visible: the embedded event store notices another
 * connection's commits within its poll interval (25 ms); a cache that never learns of them stays 200.
 */
async function statusOnceSettled(request: () => Promise<{ status: number }>): Promise<number> {
  let status = (await request()).status;
  for (let waited = 0; status === 200 && waited < 1000; waited += 50) {
    await sleep(50);
    status = (await request()).status;
  }
  return status;
}
