import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_AMOUNT_MINOR, MAX_COUNT, MAX_PRICE_MINOR, MAX_STOCK } from '../../src/kernel/limits.js';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';
import { registerUser } from './security-support.js';

/**
 * Money amounts and counts are bounded at the door (a documented maximum per field, far below 2^53): a
 * value past it is 400 VALIDATION_FAILED naming the field and changes nothing; the maximum itself is taken.
 */

const HUGE = Number.MAX_SAFE_INTEGER; // 9007199254740991: still "an integer" to JSON and zod

let world: CatalogWorld;
let t: Taxonomy;
let skuId: string;
let shopperToken: string;

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  await registerUser(world, 'shopper-1', ['customer']);
  shopperToken = await world.runtime.deps.tokens.issueAccessToken({ userId: 'shopper-1', roles: ['customer'] }, new Date());
  const product = await world.api('POST', '/api/v1/admin/products', { token: world.adminToken, body: teeBody(t, ['LIM-1'], { status: 'listed' }) });
  expect(product.status, JSON.stringify(product.body)).toBe(201);
  skuId = product.body.skus[0].id;
  await settled(world, product.body.position);
});
afterAll(() => world?.runtime.close());

interface Case {
  name: string;
  method: string;
  path: () => string;
  body: (value: number) => unknown;
  /** Path of the field in the problem's `errors`. */
  field: RegExp;
  max: number;
  token?: () => string;
}

const promotion = (fields: Record<string, unknown>) => ({ code: `P${Math.random().toString(36).slice(2, 10)}`, kind: 'fixed', value: 100, ...fields });
const voucher = (fields: Record<string, unknown>) => ({ code: `V${Math.random().toString(36).slice(2, 10)}`, amount: cny(100), ...fields });

const CASES: Case[] = [
  { name: 'wallet credit amount', method: 'POST', path: () => '/api/v1/admin/accounts/shopper-1/credits', body: (v) => ({ amount: cny(v), reason: 'top-up' }), field: /^amount\.amount$/, max: MAX_AMOUNT_MINOR },
  { name: 'stock delta', method: 'POST', path: () => `/api/v1/admin/skus/${skuId}/stock`, body: (v) => ({ delta: v }), field: /delta/, max: MAX_STOCK },
  { name: 'stock delta (negative)', method: 'POST', path: () => `/api/v1/admin/skus/${skuId}/stock`, body: (v) => ({ delta: -v }), field: /delta/, max: MAX_STOCK },
  { name: 'stock set', method: 'POST', path: () => `/api/v1/admin/skus/${skuId}/stock`, body: (v) => ({ set: v }), field: /set/, max: MAX_STOCK },
  { name: 'SKU price', method: 'PUT', path: () => `/api/v1/admin/skus/${skuId}/price`, body: (v) => ({ price: cny(v) }), field: /^price\.amount$/, max: MAX_PRICE_MINOR },
  { name: 'new product price', method: 'POST', path: () => '/api/v1/admin/products', body: (v) => teeBody(t, ['LIM-P'], { skus: [{ skuCode: 'LIM-P', salesAttributes: { 颜色: '红色', 尺码: 'S' }, price: cny(v), stock: 1 }] }), field: /^skus\.0\.price\.amount$/, max: MAX_PRICE_MINOR },
  { name: 'new product stock', method: 'POST', path: () => '/api/v1/admin/products', body: (v) => teeBody(t, ['LIM-S'], { skus: [{ skuCode: 'LIM-S', salesAttributes: { 颜色: '红色', 尺码: 'S' }, price: cny(100), stock: v }] }), field: /^skus\.0\.stock$/, max: MAX_STOCK },
  { name: 'promotion fixed value', method: 'POST', path: () => '/api/v1/admin/promotions', body: (v) => promotion({ value: v }), field: /^value$/, max: MAX_AMOUNT_MINOR },
  { name: 'promotion budget', method: 'POST', path: () => '/api/v1/admin/promotions', body: (v) => promotion({ budget: cny(v) }), field: /^budget\.amount$/, max: MAX_AMOUNT_MINOR },
  { name: 'promotion minSpend', method: 'POST', path: () => '/api/v1/admin/promotions', body: (v) => promotion({ minSpend: cny(v) }), field: /^minSpend\.amount$/, max: MAX_AMOUNT_MINOR },
  { name: 'promotion usageLimit', method: 'POST', path: () => '/api/v1/admin/promotions', body: (v) => promotion({ usageLimit: v }), field: /^usageLimit$/, max: MAX_COUNT },
  { name: 'promotion perUserLimit', method: 'POST', path: () => '/api/v1/admin/promotions', body: (v) => promotion({ perUserLimit: v }), field: /^perUserLimit$/, max: MAX_COUNT },
  { name: 'voucher amount', method: 'POST', path: () => '/api/v1/admin/vouchers', body: (v) => voucher({ amount: cny(v) }), field: /^amount\.amount$/, max: MAX_AMOUNT_MINOR },
  { name: 'voucher maxUses', method: 'POST', path: () => '/api/v1/admin/vouchers', body: (v) => voucher({ maxUses: v }), field: /^maxUses$/, max: MAX_COUNT },
  { name: 'flash-sale price', method: 'POST', path: () => '/api/v1/admin/flash-sales', body: (v) => ({ skuId, quantity: 1, price: cny(v) }), field: /^price\.amount$/, max: MAX_AMOUNT_MINOR },
  { name: 'flash-sale quantity', method: 'POST', path: () => '/api/v1/admin/flash-sales', body: (v) => ({ skuId, quantity: v }), field: /^quantity$/, max: MAX_COUNT },
  {
    name: 'order expected unit price',
    method: 'POST',
    path: () => '/api/v1/orders',
    body: (v) => ({ items: [{ skuId, quantity: 1, expectedUnitPrice: cny(v) }], shippingAddress: { name: 'Lei', phone: '+8613800138000', province: '上海', city: '上海', district: '浦东', line1: '1 Road' } }),
    field: /expectedUnitPrice\.amount$/,
    max: MAX_AMOUNT_MINOR,
    token: () => shopperToken,
  },
];

const eventCount = async () => world.runtime.deps.store.headPosition();

describe('amounts and counts are bounded at the door', () => {
  for (const c of CASES) {
    it(`${c.name}: past ${c.max} (and 2^53 − 1) is 400 naming the field, and changes nothing`, async () => {
      for (const value of [c.max + 1, HUGE]) {
        const before = await eventCount();
        const response = await world.api(c.method, c.path(), { token: c.token?.() ?? world.adminToken, body: c.body(value) });
        expect(response.status, `${value}: ${JSON.stringify(response.body)}`).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
        const error = (response.body.errors as Array<{ path: string; message: string }>).find((e) => c.field.test(e.path));
        expect(error, JSON.stringify(response.body.errors)).toBeDefined();
        expect(error!.message).toMatch(/at (most|least)/);
        expect(await eventCount()).toBe(before);
      }
    });
  }

  it('takes the maximum itself (a wallet credit of MAX_AMOUNT_MINOR; a stock of MAX_STOCK)', async () => {
    const credit = await world.api('POST', '/api/v1/admin/accounts/shopper-1/credits', { token: world.adminToken, body: { amount: cny(MAX_AMOUNT_MINOR), reason: 'max' } });
    expect(credit.status, JSON.stringify(credit.body)).toBe(201);
    expect(credit.body.balance).toEqual(cny(MAX_AMOUNT_MINOR));
    const set = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: world.adminToken, body: { set: MAX_STOCK } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.onHand).toBe(MAX_STOCK);
  });

  it('refuses a delta that would take the units on hand past MAX_STOCK, leaving the stock as it was', async () => {
    const set = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: world.adminToken, body: { set: MAX_STOCK - 5 } });
    expect(set.status).toBe(200);
    const refused = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: world.adminToken, body: { delta: 6 } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'delta', message: expect.stringMatching(/at most/) }] });
    const fine = await world.api('POST', `/api/v1/admin/skus/${skuId}/stock`, { token: world.adminToken, body: { delta: 5 } });
    expect(fine.body.onHand).toBe(MAX_STOCK);
  });

  it('bulk uploads check each row against the same maxima (NDJSON and CSV)', async () => {
    const line = (skuCode: string, price: number, stock: number) =>
      JSON.stringify({ title: `Bulk ${skuCode}`, categoryId: t.categoryId, brandId: t.brandId, attributes: { 材质: '棉' }, skus: [{ skuCode, salesAttributes: { 颜色: '红色', 尺码: 'M' }, price: cny(price), stock }] });
    const ndjson = [line('BL-1', 100, 1), line('BL-2', HUGE, 1), line('BL-3', 100, MAX_STOCK + 1), line('BL-4', MAX_PRICE_MINOR + 1, 1)].join('\n');
    const row = (skuCode: string, price: number, stock: number) => `Bulk ${skuCode},${t.categoryId},${t.brandId},棉,${skuCode},${price},${stock},红色,M`;
    const csv = ['title,categoryId,brandId,attr.材质,skuCode,price,stock,sales.颜色,sales.尺码', row('BL-5', 100, 1), row('BL-6', HUGE, 1), row('BL-7', 100, MAX_STOCK + 1), row('BL-8', MAX_PRICE_MINOR + 1, 1)].join('\n');
    for (const [body, type] of [[ndjson, 'application/x-ndjson'], [csv, 'text/csv']] as const) {
      const started = await world.api('POST', '/api/v1/admin/products/bulk?mode=create', { token: world.merchantA.token, body, headers: { 'Content-Type': type } });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      let job = started.body;
      for (let attempt = 0; attempt < 200 && job.status !== 'completed' && job.status !== 'failed'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        job = (await world.api('GET', `/api/v1/admin/jobs/${started.body.jobId}`, { token: world.merchantA.token })).body;
      }
      expect(job, JSON.stringify(job)).toMatchObject({ status: 'completed', succeeded: 1, failed: 3 });
      const errors = (job.rows as Array<{ ok: boolean; error?: string }>).filter((row) => !row.ok).map((row) => row.error);
      expect(errors, JSON.stringify(errors)).toEqual([expect.stringMatching(/price/), expect.stringMatching(/stock.*at most/), expect.stringMatching(/price.*at most/)]);
    }
  });
});

describe('the maxima are documented in /openapi.json', () => {
  it('every integer amount, quantity or count of every request body has a maximum', async () => {
    const doc = (await world.api('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, unknown> };
    };
    const resolve = (schema: unknown): Record<string, unknown> => {
      const ref = (schema as { $ref?: string }).$ref;
      return ref ? resolve(doc.components.schemas[ref.replace('#/components/schemas/', '')]) : (schema as Record<string, unknown>);
    };
    const unbounded: string[] = [];
    const walk = (schema: unknown, where: string, seen: Set<unknown>) => {
      if (!schema || typeof schema !== 'object') return;
      const s = resolve(schema);
      if (seen.has(s)) return;
      seen.add(s);
      if (s.type === 'integer' && /(amount|quantity|stock|delta|value|limit|uses|coins|set)$/i.test(where) && typeof s.maximum !== 'number') unbounded.push(where);
      for (const [name, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) walk(child, `${where}.${name}`, seen);
      for (const key of ['items', 'additionalProperties']) if (s[key]) walk(s[key], `${where}[]`, seen);
      for (const key of ['anyOf', 'oneOf', 'allOf']) for (const child of (s[key] as unknown[]) ?? []) walk(child, where, seen);
    };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        for (const content of Object.values(op.requestBody?.content ?? {})) walk(content.schema, `${method.toUpperCase()} ${path} body`, new Set());
      }
    }
    expect(unbounded).toEqual([]);
    expect(resolve({ $ref: '#/components/schemas/MoneyInput' })).toMatchObject({ properties: { amount: { maximum: MAX_AMOUNT_MINOR } } });
  });
});
