import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, cny, settled, type CatalogWorld } from './catalog-support.js';

let world: CatalogWorld;
const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body, headers });
const home = (headers?: Record<string, string>) => world.api('GET', '/api/v1/home', { headers });

let books: string;
let phones: string;
let brand: string;
let feBooks: string;
let fePhones: string;
const products: Record<string, string> = {};

async function created(path: string, body: unknown): Promise<string> {
  const response = await admin('POST', path, body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

async function product(name: string, categoryId: string, price: number, status = 'listed') {
  products[name] = await created('/products', { title: name, categoryId, brandId: brand, skus: [{ skuCode: `H-${name}`, price: cny(price), stock: 3 }], status });
}

const page = (overrides: Record<string, unknown> = {}) => ({
  banners: [{ imageUrl: 'https://img.example.com/sale.png', linkUrl: '/products/search?q=sale', title: '年中大促' }, { imageUrl: 'https://img.example.com/new.png' }],
  featuredFrontendCategoryIds: [fePhones, feBooks],
  collections: [
    { title: '编辑推荐', kind: 'manual', productIds: [products.novel, products.draft, products.cheapPhone, products.atlas] },
    { title: '手机低价榜', kind: 'rule', rule: { frontendCategoryId: fePhones, sort: 'price_asc', limit: 2 } },
    { title: '新书上架', kind: 'rule', rule: { categoryId: books, sort: 'newest', limit: 10 } },
  ],
  ...overrides,
});

beforeAll(async () => {
  world = await catalogWorld();
  let tick = 0;
  world.runtime.deps.clock = { now: () => new Date(Date.UTC(2024, 5, 1) + ++tick * 1000) };
  books = await created('/categories', { name: '图书' });
  phones = await created('/categories', { name: '手机' });
  brand = await created('/brands', { name: 'Home Brand' });
  feBooks = await created('/frontend-categories', { name: '书籍', backendCategoryIds: [books] });
  fePhones = await created('/frontend-categories', { name: '手机频道', backendCategoryIds: [phones] });
  await product('novel', books, 3900);
  await product('atlas', books, 12900);
  await product('draft', books, 100, 'draft');
  await product('cheapPhone', phones, 99900);
  await product('midPhone', phones, 299900);
  await product('topPhone', phones, 899900);
  await settled(world);
});
afterAll(() => world.runtime.close());

describe('the home page', () => {
  it('is empty until an admin publishes it', async () => {
    const response = await home();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ banners: [], featuredCategories: [], collections: [], publishedAt: null });
    expect((await admin('GET', '/home')).status).toBe(404);
  });

  it('is composed by admins only', async () => {
    expect((await world.api('PUT', '/api/v1/admin/home', { body: page() })).status).toBe(401);
    const customer = await world.api('PUT', '/api/v1/admin/home', { token: world.customerToken, body: page() });
    expect(customer.status).toBe(403);
    expect(customer.body.code).toBe('FORBIDDEN');
    expect((await world.api('PUT', '/api/v1/admin/home', { token: world.merchantA.token, body: page() })).status).toBe(403);
  });

  it('refuses references to things that do not exist, and malformed pages, with field paths', async () => {
    const unknown = await admin(
      'PUT',
      '/home',
      page({
        featuredFrontendCategoryIds: [feBooks, 'no-such-frontend'],
        collections: [
          { title: 'a', kind: 'manual', productIds: [products.novel, 'no-such-product'] },
          { title: 'b', kind: 'rule', rule: { categoryId: 'no-such-category', sort: 'sales', limit: 5 } },
          { title: 'c', kind: 'rule', rule: { frontendCategoryId: 'no-such-frontend', sort: 'newest', limit: 5 } },
        ],
      }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((error: { path: string }) => error.path)).toEqual([
      'featuredFrontendCategoryIds.1',
      'collections.0.productIds.1',
      'collections.1.rule.categoryId',
      'collections.2.rule.frontendCategoryId',
    ]);

    const malformed = await admin(
      'PUT',
      '/home',
      page({
        banners: [{ imageUrl: 'not a url' }],
        collections: [
          { title: 'x', kind: 'rule', rule: { sort: 'sales', limit: 51 } },
          { title: 'y', kind: 'rule', rule: { categoryId: books, frontendCategoryId: feBooks, sort: 'cheapest', limit: 5 } },
          { title: 'z', kind: 'shuffle' },
        ],
      }),
    );
    expect(malformed.status).toBe(400);
    const paths = malformed.body.errors.map((error: { path: string }) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['banners.0.imageUrl', 'collections.0.rule.limit', 'collections.1.rule.sort', 'collections.2.kind']));
    expect((await home()).body.publishedAt).toBeNull();
  });

  it('resolves manual collections in order (skipping products not listed) and rule collections as searches', async () => {
    const published = await admin('PUT', '/home', page());
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    expect(published.body).toEqual({ version: 0, position: expect.any(String) });
    expect(published.headers.get('ETag')).toBe('"0"');

    const response = await home({ 'X-Min-Position': published.body.position });
    expect(response.status).toBe(200);
    const { body } = response;
    expect(body.banners).toEqual(page().banners);
    expect(body.featuredCategories).toEqual([
      { id: fePhones, name: '手机频道' },
      { id: feBooks, name: '书籍' },
    ]);
    expect(body.publishedAt).toEqual(expect.any(String));
    const titles = body.collections.map((collection: { title: string; kind: string; products: Array<{ title: string }> }) => [collection.title, collection.kind, collection.products.map((card) => card.title)]);
    expect(titles).toEqual([
      ['编辑推荐', 'manual', ['novel', 'cheapPhone', 'atlas']],
      ['手机低价榜', 'rule', ['cheapPhone', 'midPhone']],
      ['新书上架', 'rule', ['atlas', 'novel']],
    ]);
    expect(body.collections[0].products[0]).toEqual({
      id: products.novel,
      title: 'novel',
      brand: { id: brand, name: 'Home Brand' },
      category: { id: books, name: '图书' },
      minPrice: cny(3900),
      maxPrice: cny(3900),
      inStock: true,
      image: null,
    });

    const definition = await admin('GET', '/home');
    expect(definition.status).toBe(200);
    expect(definition.headers.get('ETag')).toBe('"0"');
    expect(definition.body).toMatchObject({ ...page(), version: 0 });
  });

  it('follows the catalog: a delisted product leaves the page, a cheaper phone enters the ranking', async () => {
    const delisted = await admin('POST', `/products/${products.cheapPhone}/status`, { status: 'delisted' });
    const listed = await admin('POST', `/products/${products.draft}/status`, { status: 'listed' });
    const body = (await home({ 'X-Min-Position': listed.body.position })).body;
    expect(Number(listed.body.position)).toBeGreaterThan(Number(delisted.body.position));
    expect(body.collections[0].products.map((card: { title: string }) => card.title)).toEqual(['novel', 'draft', 'atlas']);
    expect(body.collections[1].products.map((card: { title: string }) => card.title)).toEqual(['midPhone', 'topPhone']);
  });

  it('checks If-Match and appends nothing when the same page is published again', async () => {
    const stale = await admin('PUT', '/home', page({ banners: [] }), { 'If-Match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('VERSION_CONFLICT');

    const again = await admin('PUT', '/home', page(), { 'If-Match': '"0"' });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(0);

    const changed = await admin('PUT', '/home', page({ banners: [], collections: [] }), { 'If-Match': '"0"' });
    expect(changed.status).toBe(200);
    expect(changed.body.version).toBe(1);
    const body = (await home({ 'X-Min-Position': changed.body.position })).body;
    expect(body).toMatchObject({ banners: [], collections: [], featuredCategories: [{ id: fePhones }, { id: feBooks }] });
  });
});
