import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSearchRecall } from '../../src/queries/catalog/search-audit.js';
import { catalogWorld, cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';

let world: CatalogWorld;
let t: Taxonomy;
const made: Record<string, string> = {};
const search = (q: string) => world.api('GET', `/api/v1/products/search?q=${encodeURIComponent(q)}&size=100`);
const ids = (response: { body: { hits: Array<{ id: string }> } }) => response.body.hits.map((hit) => hit.id).sort();
const admin = (method: string, path: string, body?: unknown, token = world.adminToken) => world.api(method, `/api/v1/admin${path}`, { token, body });

beforeAll(async () => {
  world = await catalogWorld();
  t = await taxonomy(world);
  const product = async (key: string, body: Record<string, unknown>) => {
    const response = await admin('POST', '/products', { ...body, status: 'listed' });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    made[key] = response.body.id as string;
  };
  await product('tee', teeBody(t, ['TEE-R-M', 'TEE-B-M']));
  await product('shirt', teeBody(t, ['GFX-R-M'], { title: 'Graphic T-Shirt' }));
  await product('basic', teeBody(t, ['BSC-R-M'], { title: 'Basic Tee' }));
  await product('phone', { ...teeBody(t, ['PH-1'], { title: '华为 Mate 60 手机' }), skus: [{ skuCode: 'HW-M60-BLK', salesAttributes: { 颜色: '红色', 尺码: 'S' }, price: cny(599_900), stock: 3 }] });
  await settled(world);
});
afterAll(() => world.runtime.close());

describe('recall: category names, SKU codes, pinyin, typos', () => {
  it('finds a product by its category names, its SKU codes and pinyin', async () => {
    expect(ids(await search('服装'))).toEqual(Object.values(made).sort()); // the root category's name
    expect(ids(await search('HW-M60-BLK'))).toEqual([made.phone]);
    expect(ids(await search('tee-b-m'))).toEqual([made.tee]);
    expect(ids(await search('shouji'))).toEqual([made.phone]);
    expect(ids(await search('sj'))).toEqual([made.phone]);
    expect(ids(await search('Grpahic'))).toEqual([made.shirt]);
  });

  it('answers zero results with the words that matched nothing and a query that finds something', async () => {
    const response = await search('手机 草莓');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ total: 0, unmatchedWords: ['草莓'], didYouMean: '手机' });
    const found = await search('手机');
    expect(found.body).toMatchObject({ unmatchedWords: [], didYouMean: null });
  });
});

describe('synonyms (admins)', () => {
  it('are set, listed, applied at query time and deleted', async () => {
    // Without synonyms: the Basic Tee, and the tee whose SKU codes start with TEE.
    expect(ids(await search('tee'))).toEqual([made.basic, made.tee].sort());
    expect(ids(await search('t-shirt'))).toEqual([made.shirt]);
    // (T恤 would find every product here: it is their category.)
    const set = await admin('PUT', '/search/synonyms/tee', { terms: ['tee', 'T-Shirt', 't-shirt'] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toEqual({ id: 'tee', terms: ['tee', 'T-Shirt'] });
    await settled(world, set.headers.get('x-position')!);
    expect((await admin('GET', '/search/synonyms')).body).toEqual({ items: [{ id: 'tee', terms: ['tee', 'T-Shirt'] }] });
    expect(ids(await search('tee'))).toEqual([made.basic, made.shirt, made.tee].sort());
    expect(ids(await search('t-shirt'))).toEqual([made.basic, made.shirt, made.tee].sort());

    const removed = await admin('DELETE', '/search/synonyms/tee');
    expect(removed.status).toBe(204);
    await settled(world, removed.headers.get('x-position')!);
    expect(ids(await search('t-shirt'))).toEqual([made.shirt]);
    expect((await admin('DELETE', '/search/synonyms/tee')).status).toBe(404);
  });

  it('are refused when not valid, and to shoppers', async () => {
    expect((await admin('PUT', '/search/synonyms/x', { terms: ['tee'] })).status).toBe(400);
    expect((await admin('PUT', '/search/synonyms/x', { terms: ['tee', 'TEE'] })).status).toBe(400);
    expect((await admin('PUT', '/search/synonyms/x', { terms: ['tee', '！！'] })).status).toBe(400);
    expect((await admin('PUT', '/search/synonyms/Bad Id', { terms: ['a', 'b'] })).status).toBe(400);
    expect((await admin('PUT', '/search/synonyms/x', { terms: ['a', 'b'] }, world.customerToken)).status).toBe(403);
    expect((await admin('GET', '/search/synonyms', undefined, world.customerToken)).status).toBe(403);
  });
});

describe('GET /api/v1/products/suggest', () => {
  it('completes Chinese, pinyin and initials from titles, brands and categories', async () => {
    const suggest = (q: string) => world.api('GET', `/api/v1/products/suggest?q=${encodeURIComponent(q)}`);
    const texts = async (q: string) => ((await suggest(q)).body.items as Array<{ text: string }>).map((item) => item.text);
    expect(await texts('手')).toEqual(['手机']);
    expect(await texts('shou')).toEqual(['手机']);
    expect(await texts('fz')).toEqual(['服装']);
    expect(await texts('acm')).toEqual(['acme']);
    expect((await suggest('hua')).body.items[0]).toEqual({ text: '华为', products: 1, sales: 0 });
    expect((await suggest('')).body.items).toEqual([]);
    expect((await world.api('GET', '/api/v1/products/suggest?q=a&size=0')).status).toBe(400);
  });

  it('is documented with the new search fields in /openapi.json', async () => {
    const spec = (await world.api('GET', '/openapi.json')).body as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(spec.paths['/api/v1/products/suggest']).toBeDefined();
    expect(spec.paths['/api/v1/admin/search/synonyms']).toBeDefined();
    expect(spec.paths['/api/v1/admin/search/synonyms/{id}']).toBeDefined();
    expect(Object.keys(spec.components.schemas.SearchResult!.properties!)).toEqual(expect.arrayContaining(['unmatchedWords', 'didYouMean']));
  });
});

describe('recall audit', () => {
  it('finds every listed product by its own title', async () => {
    const report = await auditSearchRecall(world.runtime.deps);
    expect(report).toEqual({ checked: 4, findings: [] });
  });
});
