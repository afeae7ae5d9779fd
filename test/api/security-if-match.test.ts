import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';
import { registerUser } from './security-support.js';

/**
 * Every edit of a resource that answers an ETag honours If-Match: a stale version is 412 VERSION_CONFLICT,
 * a malformed one 400 VALIDATION_FAILED, and neither changes anything; the current version goes through.
 * The table is checked against /openapi.json: a route that documents If-Match needs a row here.
 */

let world: CatalogWorld;
let t: Taxonomy;
let productId: string;
let skuId: string;

interface Target {
  url: string;
  body?: unknown;
  token?: string;
  /** The stream whose revision is the resource's ETag. */
  stream: string;
}

interface Row {
  /** `METHOD /openapi/path` as in /openapi.json. */
  route: string;
  prepare: () => Promise<Target>;
  /** A 2xx status expected once If-Match is the current version. */
  ok: number;
}

const revision = async (stream: string) => (await world.runtime.deps.store.readStream(stream)).length - 1;
const admin = () => world.adminToken;
let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}`;

const ROWS: Row[] = [
  { route: 'PATCH /api/v1/admin/products/{id}', ok: 200, prepare: async () => ({ url: `/api/v1/admin/products/${productId}`, body: { title: unique('纯棉T恤') }, stream: `product-${productId}` }) },
  {
    route: 'POST /api/v1/admin/products/{id}/status',
    ok: 200,
    prepare: async () => {
      const { status } = (await world.api('GET', `/api/v1/admin/products/${productId}`, { token: admin() })).body;
      return { url: `/api/v1/admin/products/${productId}/status`, body: { status: status === 'listed' ? 'delisted' : 'listed' }, stream: `product-${productId}` };
    },
  },
  { route: 'PUT /api/v1/admin/skus/{skuId}/price', ok: 200, prepare: async () => ({ url: `/api/v1/admin/skus/${skuId}/price`, body: { price: cny(10_000 + ++n) }, stream: `product-${productId}` }) },
  { route: 'PUT /api/v1/admin/skus/{skuId}/weight', ok: 200, prepare: async () => ({ url: `/api/v1/admin/skus/${skuId}/weight`, body: { weightGrams: 100 + ++n }, stream: `product-${productId}` }) },
  { route: 'POST /api/v1/admin/skus/{skuId}/stock', ok: 200, prepare: async () => ({ url: `/api/v1/admin/skus/${skuId}/stock`, body: { set: 100 + ++n }, stream: `inventory-${skuId}` }) },
  {
    route: 'PATCH /api/v1/admin/categories/{id}',
    ok: 200,
    prepare: async () => ({ url: `/api/v1/admin/categories/${t.categoryId}`, body: { name: unique('T恤') }, stream: `catalog-category-${t.categoryId}` }),
  },
  {
    route: 'DELETE /api/v1/admin/categories/{id}',
    ok: 204,
    prepare: async () => {
      const created = await world.api('POST', '/api/v1/admin/categories', { token: admin(), body: { name: unique('to delete') } });
      await settled(world, created.body.position);
      return { url: `/api/v1/admin/categories/${created.body.id}`, stream: `catalog-category-${created.body.id}` };
    },
  },
  {
    route: 'PATCH /api/v1/admin/frontend-categories/{id}',
    ok: 200,
    prepare: async () => {
      const created = await world.api('POST', '/api/v1/admin/frontend-categories', { token: admin(), body: { name: unique('前台'), backendCategoryIds: [t.categoryId] } });
      return { url: `/api/v1/admin/frontend-categories/${created.body.id}`, body: { name: unique('前台') }, stream: `fe-category-${created.body.id}` };
    },
  },
  {
    route: 'PUT /api/v1/admin/home',
    ok: 200,
    prepare: async () => {
      const page = (title: string) => ({ banners: [], featuredFrontendCategoryIds: [], collections: [{ title, kind: 'manual', productIds: [productId] }] });
      expect((await world.api('PUT', '/api/v1/admin/home', { token: admin(), body: page(unique('首发')) })).status).toBe(200); // a version to match
      return { url: '/api/v1/admin/home', body: page(unique('精选')), stream: 'home-page' };
    },
  },
  { route: 'PATCH /api/v1/me', ok: 200, prepare: async () => ({ url: '/api/v1/me', body: { nickname: unique('shopper') }, token: world.customerToken, stream: 'user-customer-1' }) },
  {
    route: 'PUT /api/v1/admin/users/{id}/roles',
    ok: 200,
    prepare: async () => {
      const { state } = await world.runtime.deps.handlers.user.load('user-role-target');
      const merchant = state.status === 'active' && state.roles.includes('merchant');
      return { url: '/api/v1/admin/users/role-target/roles', body: { roles: merchant ? ['customer'] : ['customer', 'merchant'] }, stream: 'user-role-target' };
    },
  },
  {
    route: 'POST /api/v1/admin/flash-sales/{id}/end',
    ok: 200,
    prepare: async () => {
      const created = await world.api('POST', '/api/v1/admin/flash-sales', { token: admin(), body: { skuId, quantity: 1 } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return { url: `/api/v1/admin/flash-sales/${created.body.id}/end`, stream: `flashsale-${created.body.id}` };
    },
  },
  {
    route: 'POST /api/v1/admin/promotions/{code}/end',
    ok: 200,
    prepare: async () => {
      const created = await world.api('POST', '/api/v1/admin/promotions', { token: admin(), body: { code: 'IFM-END', kind: 'percent', value: 5 } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return { url: '/api/v1/admin/promotions/IFM-END/end', stream: 'promotion-IFM-END' };
    },
  },
];

/** Routes that document If-Match and are tested for it in their own files. */
const COVERED_ELSEWHERE = [
  'PATCH /api/v1/admin/orders/{id}/shipments/{shipmentId}', // required there: test/api/fulfillment.test.ts
  'PUT /api/v1/merchant/shipping-templates/{id}', // test/api/shipping.test.ts
  // Order and refund transitions: test/api/security-if-match-orders.test.ts
  'POST /api/v1/orders/{id}/cancel',
  'POST /api/v1/orders/{id}/confirm-receipt',
  'POST /api/v1/admin/refunds/{id}/approve',
  'POST /api/v1/admin/refunds/{id}/reject',
  'POST /api/v1/refunds/{id}/return-shipment',
  'POST /api/v1/admin/refunds/{id}/receive-return',
];

const MALFORMED = ['abc', '"1.5"', 'W/"x"', '"-1"', '"1", "2"', '"1234567890123"'];

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  await registerUser(world, 'customer-1', ['customer']);
  await registerUser(world, 'role-target', ['customer']);
  const product = await world.api('POST', '/api/v1/admin/products', { token: admin(), body: teeBody(t, ['IFM-1']) });
  expect(product.status).toBe(201);
  productId = product.body.id;
  skuId = product.body.skus[0].id;
  await settled(world, product.body.position);
});
afterAll(() => world?.runtime.close());

const call = (method: string, target: Target, ifMatch?: string) =>
  world.api(method, target.url, { token: target.token ?? admin(), ...(target.body === undefined ? {} : { body: target.body }), headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch } });

describe('If-Match on every edit of a resource with an ETag', () => {
  it('covers every route that documents If-Match in /openapi.json, and each of them documents it with 412', async () => {
    const doc = (await world.api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => op.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match'))
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, has412: '412' in op.responses })),
    );
    const routes = documented.map((d) => d.route);
    expect(routes.filter((route) => !ROWS.some((row) => row.route === route) && !COVERED_ELSEWHERE.includes(route))).toEqual([]);
    expect(ROWS.map((row) => row.route).filter((route) => !routes.includes(route))).toEqual([]);
    expect(documented.filter((d) => !d.has412)).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.route}: malformed → 400, stale → 412, both change nothing; current → ${row.ok}`, async () => {
      const [method] = row.route.split(' ');
      const target = await row.prepare();
      const version = await revision(target.stream);
      expect(version).toBeGreaterThanOrEqual(0);

      for (const malformed of MALFORMED) {
        const response = await call(method!, target, malformed);
        expect(response.status, `If-Match: ${malformed} → ${JSON.stringify(response.body)}`).toBe(400);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'If-Match' }] });
      }
      for (const stale of [version + 1, version + 7, ...(version > 0 ? [version - 1] : [])]) {
        const response = await call(method!, target, `"${stale}"`);
        expect(response.status, `If-Match: "${stale}" (current ${version}) → ${JSON.stringify(response.body)}`).toBe(412);
        expect(response.body.code).toBe('VERSION_CONFLICT');
      }
      expect(await revision(target.stream)).toBe(version);

      const current = await call(method!, target, `W/"${version}"`);
      expect(current.status, JSON.stringify(current.body)).toBe(row.ok);
      expect(await revision(target.stream)).toBeGreaterThan(version);
      if (current.headers.get('ETag')) expect(current.headers.get('ETag')).toBe(`"${await revision(target.stream)}"`);
    });
  }

  it('the admin product answer gives each SKU its stock version, which If-Match on the stock takes', async () => {
    const read = await world.api('GET', `/api/v1/admin/products/${productId}`, { token: admin() });
    const stockVersion = read.body.skus[0].stockVersion as number;
    expect(stockVersion).toBe(await revision(`inventory-${skuId}`));
    const changed = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: admin(), body: { delta: 2 }, headers: { 'If-Match': `"${stockVersion}"` } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.headers.get('ETag')).toBe(`"${stockVersion + 1}"`);
    const again = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: admin(), body: { delta: 2 }, headers: { 'If-Match': `"${stockVersion}"` } });
    expect(again.status).toBe(412);
  });

  it('If-Match: * (any current version) is accepted', async () => {
    const response = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: admin(), body: { delta: 1 }, headers: { 'If-Match': '*' } });
    expect(response.status).toBe(200);
  });
});
