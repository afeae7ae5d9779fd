import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, cny, settled, type CatalogWorld } from './catalog-support.js';

let world: CatalogWorld;
const admin = (method: string, path: string, body?: unknown) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body });
const get = (path: string, headers?: Record<string, string>) => world.api('GET', `/api/v1${path}`, { headers });
const search = (query = '', headers?: Record<string, string>) => get(`/products/search?${query}`, headers);
const ids = (response: { body: { hits: Array<{ id: string }> } }) => response.body.hits.map((hit) => hit.id);
const sorted = (list: string[]) => [...list].sort();

/** The fixture: categories, brands, frontend categories and products, all through the admin API. */
const c = {} as Record<'books' | 'fiction' | 'wuxia' | 'electronics' | 'phones', string>;
const b = {} as Record<'sanlian' | 'apple' | 'huawei', string>;
const fe = {} as Record<'books' | 'fiction' | 'digital', string>;
const p = {} as Record<'jinyong' | 'gulong' | 'shediao' | 'manual' | 'iphone' | 'mate' | 'draft' | 'delisted', { id: string; skus: Array<{ id: string }> }>;
let codes = 0;

async function created(path: string, body: unknown): Promise<string> {
  const response = await admin('POST', path, body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

async function product(title: string, categoryId: string, brandId: string, options: { skus?: Array<{ sales?: Record<string, string>; price: number; stock?: number }>; attributes?: Record<string, string>; description?: string; status?: string } = {}) {
  const skus = (options.skus ?? [{ price: 1000 }]).map((sku) => ({ skuCode: `S-${++codes}`, salesAttributes: sku.sales ?? {}, price: cny(sku.price), stock: sku.stock ?? 5 }));
  const response = await admin('POST', '/products', {
    title,
    categoryId,
    brandId,
    attributes: options.attributes ?? {},
    description: options.description ?? '',
    images: [`https://img.example.com/${codes}.png`],
    skus,
    status: options.status ?? 'listed',
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; skus: Array<{ id: string }> };
}

beforeAll(async () => {
  world = await catalogWorld();
  // One second per clock reading: listing times (the `newest` sort) follow creation order.
  let tick = 0;
  world.runtime.deps.clock = { now: () => new Date(Date.UTC(2024, 0, 1) + ++tick * 1000) };

  c.books = await created('/categories', { name: '图书' });
  c.fiction = await created('/categories', { name: '小说', parentId: c.books });
  c.wuxia = await created('/categories', { name: '武侠', parentId: c.fiction });
  c.electronics = await created('/categories', { name: '手机数码' });
  c.phones = await created('/categories', { name: '手机', parentId: c.electronics });
  await created('/attributes', { categoryId: c.books, name: '装帧', kind: 'general', values: ['平装', '精装'] });
  await created('/attributes', { categoryId: c.phones, name: '颜色', kind: 'sales', values: ['黑色', '白色', '蓝色'] });
  await created('/attributes', { categoryId: c.phones, name: '存储', kind: 'sales', values: ['128GB', '256GB'] });
  b.sanlian = await created('/brands', { name: '三联书店' });
  b.apple = await created('/brands', { name: 'Apple' });
  b.huawei = await created('/brands', { name: '华为' });
  fe.books = await created('/frontend-categories', { name: '书籍', backendCategoryIds: [c.books] });
  fe.fiction = await created('/frontend-categories', { name: '小说频道', parentId: fe.books, backendCategoryIds: [c.fiction] });
  fe.digital = await created('/frontend-categories', { name: '数码', backendCategoryIds: [c.electronics] });

  p.jinyong = await product('金庸武侠小说全集', c.wuxia, b.sanlian, { attributes: { 装帧: '精装' }, skus: [{ price: 19900 }] });
  p.gulong = await product('古龙武侠小说精选', c.wuxia, b.sanlian, { attributes: { 装帧: '平装' }, skus: [{ price: 5900, stock: 3 }] });
  p.shediao = await product('射雕英雄传', c.wuxia, b.sanlian, { description: '一部经典武侠作品', skus: [{ price: 3900 }] });
  p.manual = await product('说明书', c.books, b.sanlian, { skus: [{ price: 990 }] });
  p.iphone = await product('Apple iPhone 15 Pro 256GB', c.phones, b.apple, {
    skus: [
      { sales: { 颜色: '黑色', 存储: '256GB' }, price: 899900 },
      { sales: { 颜色: '白色', 存储: '256GB' }, price: 909900 },
    ],
  });
  p.mate = await product('华为 Mate 60 Pro', c.phones, b.huawei, {
    skus: [
      { sales: { 颜色: '黑色', 存储: '128GB' }, price: 549900 },
      { sales: { 颜色: '蓝色', 存储: '256GB' }, price: 599900 },
    ],
  });
  p.draft = await product('武侠小说草稿本', c.wuxia, b.sanlian, { status: 'draft' });
  p.delisted = await product('天龙八部武侠小说', c.wuxia, b.sanlian);
  expect((await admin('POST', `/products/${p.delisted.id}/status`, { status: 'delisted' })).status).toBe(200);
  await settled(world);
});
afterAll(() => world.runtime.close());

const LISTED = () => [p.jinyong.id, p.gulong.id, p.shediao.id, p.manual.id, p.iphone.id, p.mate.id];

describe('keyword search', () => {
  it('finds listed products only, Chinese and English alike by words', async () => {
    const wuxia = await search(`q=${encodeURIComponent('武侠小说')}`);
    expect(wuxia.status).toBe(200);
    // Not the draft nor the delisted one; 射雕英雄传 through its category names (小说 › 武侠), after the titles.
    expect(sorted(ids(wuxia))).toEqual(sorted([p.jinyong.id, p.gulong.id, p.shediao.id]));
    expect(wuxia.body.total).toBe(3);
    expect(ids(wuxia)[2]).toBe(p.shediao.id);

    expect(ids(await search(`q=${encodeURIComponent('小说')}`))).not.toContain(p.manual.id); // 说明书 is 说明 + 书
    expect(ids(await search('q=iphone'))).toEqual([p.iphone.id]);
    expect(ids(await search('q=APPLE'))).toEqual([p.iphone.id]); // the brand name is a keyword
    expect(sorted(ids(await search('q=256gb')))).toEqual(sorted([p.iphone.id, p.mate.id])); // sales attribute values too
    expect(ids(await search('q=nothing-like-this'))).toEqual([]);

    const all = await search();
    expect(sorted(ids(all))).toEqual(sorted(LISTED()));
    expect(all.body).toMatchObject({ total: 6, page: 1, size: 20 });
  });

  it('ranks title matches above description matches and highlights the matched words', async () => {
    const response = await search(`q=${encodeURIComponent('武侠')}`);
    expect(ids(response)).toHaveLength(3);
    expect(sorted(ids(response).slice(0, 2))).toEqual(sorted([p.jinyong.id, p.gulong.id]));
    expect(ids(response)[2]).toBe(p.shediao.id); // only its description says 武侠
    const hit = response.body.hits.find((candidate: { id: string }) => candidate.id === p.jinyong.id);
    expect(hit).toEqual({
      id: p.jinyong.id,
      title: '金庸武侠小说全集',
      brand: { id: b.sanlian, name: '三联书店' },
      category: { id: c.wuxia, name: '武侠' },
      minPrice: cny(19900),
      maxPrice: cny(19900),
      inStock: true,
      image: expect.stringMatching(/^https:\/\/img\.example\.com\//),
      highlight: '金庸<em>武侠</em>小说全集',
    });
    expect((await search()).body.hits[0].highlight).toBeNull();
  });
});

describe('filters, facets, sorts and pages', () => {
  it('filters by category (with sub-categories), frontend category, brand, price, attributes and stock', async () => {
    const wuxia = sorted([p.jinyong.id, p.gulong.id, p.shediao.id]);
    expect(sorted(ids(await search(`category=${c.wuxia}`)))).toEqual(wuxia);
    expect(sorted(ids(await search(`category=${c.books}`)))).toEqual(sorted([...wuxia, p.manual.id]));
    expect(sorted(ids(await search(`category=${c.wuxia},${c.phones}`)))).toEqual(sorted([...wuxia, p.iphone.id, p.mate.id]));
    expect(sorted(ids(await search(`category=${c.wuxia}&category=${c.phones}`)))).toEqual(sorted([...wuxia, p.iphone.id, p.mate.id]));
    expect(sorted(ids(await search(`frontendCategory=${fe.fiction}`)))).toEqual(wuxia);
    expect(sorted(ids(await search(`frontendCategory=${fe.books}`)))).toEqual(sorted([...wuxia, p.manual.id]));
    expect(sorted(ids(await search(`brand=${b.apple},${b.huawei}`)))).toEqual(sorted([p.iphone.id, p.mate.id]));
    expect(sorted(ids(await search('minPrice=5900&maxPrice=19900')))).toEqual(sorted([p.jinyong.id, p.gulong.id])); // bounds inclusive
    expect(sorted(ids(await search(`category=${c.books}&maxPrice=5000`)))).toEqual(sorted([p.shediao.id, p.manual.id]));
    expect(ids(await search(`attr.${encodeURIComponent('颜色')}=${encodeURIComponent('蓝色')}`))).toEqual([p.mate.id]);
    const colours = `attr.${encodeURIComponent('颜色')}=${encodeURIComponent('蓝色')}&attr.${encodeURIComponent('颜色')}=${encodeURIComponent('白色')}`;
    expect(sorted(ids(await search(colours)))).toEqual(sorted([p.iphone.id, p.mate.id]));
    expect(ids(await search(`${colours}&attr.${encodeURIComponent('存储')}=128GB`))).toEqual([p.mate.id]);
    expect(ids(await search(`attr.${encodeURIComponent('装帧')}=${encodeURIComponent('精装')}`))).toEqual([p.jinyong.id]);
    expect(sorted(ids(await search('inStock=true')))).toEqual(sorted(LISTED()));
    expect(ids(await search('inStock=false'))).toEqual([]);
  });

  it('counts each facet over the other filters (multi-select), with names and Money buckets', async () => {
    const response = await search(`brand=${b.apple}`);
    expect(ids(response)).toEqual([p.iphone.id]);
    const { facets } = response.body;
    expect(facets.brand).toEqual([
      { value: b.sanlian, label: '三联书店', count: 4 },
      ...sortedByValue([
        { value: b.apple, label: 'Apple', count: 1 },
        { value: b.huawei, label: '华为', count: 1 },
      ]),
    ]);
    expect(facets.category).toEqual(sortedByValue([
      { value: c.electronics, label: '手机数码', count: 1 },
      { value: c.phones, label: '手机', count: 1 },
    ]));
    expect(facets.price).toEqual([{ from: cny(500_000), to: null, count: 1 }]);
    expect(facets.attributes).toEqual({
      存储: [{ value: '256GB', count: 1 }],
      颜色: sortedByValue([
        { value: '白色', count: 1 },
        { value: '黑色', count: 1 },
      ]),
    });

    const books = await search(`category=${c.books}&maxPrice=5000`);
    expect(books.body.facets.price).toEqual([
      { from: cny(0), to: cny(5000), count: 2 },
      { from: cny(5000), to: cny(10000), count: 1 },
      { from: cny(10000), to: cny(20000), count: 1 },
    ]);
  });

  it('sorts by price, newest and sales, ties by id', async () => {
    expect(ids(await search(`category=${c.phones}&sort=price_asc`))).toEqual([p.mate.id, p.iphone.id]);
    expect(ids(await search(`category=${c.phones}&sort=price_desc`))).toEqual([p.iphone.id, p.mate.id]);
    expect(ids(await search('sort=newest'))).toEqual([...LISTED()].reverse());
    expect(ids(await search('sort=sales'))).toEqual(sorted(LISTED()));
    expect(ids(await search('sort=relevance'))).toEqual(sorted(LISTED())); // without q: like sales
  });

  it('pages through the hits', async () => {
    const first = await search('sort=newest&size=4&page=1');
    const second = await search('sort=newest&size=4&page=2');
    expect(first.body).toMatchObject({ total: 6, page: 1, size: 4 });
    expect(second.body).toMatchObject({ total: 6, page: 2, size: 4 });
    expect([...ids(first), ...ids(second)]).toEqual([...LISTED()].reverse());
    expect(ids(await search('sort=newest&size=4&page=3'))).toEqual([]);
  });

  it('refuses bad input with field errors', async () => {
    const cases: Array<[string, string]> = [
      ['size=10000', 'size'],
      ['size=0', 'size'],
      ['sort=cheapest', 'sort'],
      ['page=0', 'page'],
      ['page=101&size=100', 'page'],
      ['minPrice=12.5', 'minPrice'],
      ['maxPrice=abc', 'maxPrice'],
      ['minPrice=-1', 'minPrice'],
      ['minPrice=500&maxPrice=100', 'minPrice'],
      ['inStock=yes', 'inStock'],
      ['colour=red', 'colour'],
      [`q=${'x'.repeat(201)}`, 'q'],
    ];
    for (const [query, path] of cases) {
      const response = await search(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('Content-Type')).toContain('application/problem+json');
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { path: string }) => error.path), query).toContain(path);
    }
    expect((await search('page=100&size=100')).status).toBe(200); // exactly 10,000
  });
});

describe('product detail and the frontend category tree', () => {
  it('shows a listed product with its SKUs; draft, delisted and unknown ones are 404', async () => {
    const detail = await get(`/products/${p.iphone.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toEqual({
      id: p.iphone.id,
      title: 'Apple iPhone 15 Pro 256GB',
      description: '',
      brand: { id: b.apple, name: 'Apple' },
      category: { id: c.phones, name: '手机' },
      images: [expect.any(String)],
      attributes: {},
      status: 'listed',
      skus: [
        { id: p.iphone.skus[0]!.id, skuCode: expect.any(String), salesAttributes: { 颜色: '黑色', 存储: '256GB' }, price: cny(899900), available: 5 },
        { id: p.iphone.skus[1]!.id, skuCode: expect.any(String), salesAttributes: { 颜色: '白色', 存储: '256GB' }, price: cny(909900), available: 5 },
      ],
    });
    expect((await get(`/products/${p.jinyong.id}`)).body.attributes).toEqual({ 装帧: '精装' });
    for (const id of [p.draft.id, p.delisted.id, 'no-such-product']) {
      const missing = await get(`/products/${id}`);
      expect(missing.status, id).toBe(404);
      expect(missing.body.code).toBe('NOT_FOUND');
    }
  });

  it('serves the frontend category tree', async () => {
    const tree = await get('/frontend-categories');
    expect(tree.status).toBe(200);
    expect(tree.body).toEqual({
      items: [
        { id: fe.books, name: '书籍', children: [{ id: fe.fiction, name: '小说频道', children: [] }] },
        { id: fe.digital, name: '数码', children: [] },
      ],
    });
  });
});

describe('read-your-writes', () => {
  it('shows a new price in detail and search once X-Min-Position is reached, past the cache', async () => {
    expect((await get(`/products/${p.iphone.id}`)).body.skus[0].price).toEqual(cny(899900)); // cached now
    const changed = await admin('PUT', `/skus/${p.iphone.skus[0]!.id}/price`, { price: cny(799900) });
    expect(changed.status).toBe(200);
    const after = { 'X-Min-Position': changed.body.position };

    const detail = await get(`/products/${p.iphone.id}`, after);
    expect(detail.headers.get('X-Consistency')).toBe('consistent');
    expect(detail.body.skus[0].price).toEqual(cny(799900));
    const hit = (await search('q=iphone', after)).body.hits[0];
    expect(hit).toMatchObject({ minPrice: cny(799900), maxPrice: cny(909900) });
    expect(ids(await search('maxPrice=800000', after))).toContain(p.iphone.id);
  });

  it('marks a product out of stock when its stock goes to 0', async () => {
    const stock = await admin('POST', `/skus/${p.gulong.skus[0]!.id}/stock`, { set: 0 });
    expect(stock.status).toBe(200);
    const after = { 'X-Min-Position': stock.body.position };
    expect(ids(await search('inStock=false', after))).toEqual([p.gulong.id]);
    expect((await search(`q=${encodeURIComponent('古龙')}`, after)).body.hits[0].inStock).toBe(false);
    expect((await get(`/products/${p.gulong.id}`, after)).body.skus[0].available).toBe(0);
    expect(ids(await search('inStock=true', after))).not.toContain(p.gulong.id);
  });

  it('hides a delisted product and finds it again once listed', async () => {
    const delisted = await admin('POST', `/products/${p.manual.id}/status`, { status: 'delisted' });
    let after = { 'X-Min-Position': delisted.body.position };
    expect(ids(await search(`q=${encodeURIComponent('说明书')}`, after))).toEqual([]);
    expect((await get(`/products/${p.manual.id}`, after)).status).toBe(404);
    const listed = await admin('POST', `/products/${p.manual.id}/status`, { status: 'listed' });
    after = { 'X-Min-Position': listed.body.position };
    expect(ids(await search(`q=${encodeURIComponent('说明书')}`, after))).toEqual([p.manual.id]);
    expect((await get(`/products/${p.manual.id}`, after)).status).toBe(200);
  });

  it('keeps documents in step with title edits, category moves and frontend re-mappings and moves', async () => {
    const edited = await admin('PATCH', `/products/${p.shediao.id}`, { title: '射雕英雄传 武侠小说' });
    expect(edited.status).toBe(200);
    await settled(world, edited.body.position);
    expect(sorted(ids(await search(`q=${encodeURIComponent('武侠小说')}`)))).toEqual(sorted([p.jinyong.id, p.gulong.id, p.shediao.id]));

    // 武侠 moves from 图书 › 小说 to a new root: its products follow.
    const classics = await created('/categories', { name: '经典收藏' });
    const moved = await admin('PATCH', `/categories/${c.wuxia}`, { parentId: classics });
    expect(moved.status).toBe(200);
    await settled(world, moved.body.position);
    const wuxia = sorted([p.jinyong.id, p.gulong.id, p.shediao.id]);
    expect(sorted(ids(await search(`category=${classics}`)))).toEqual(wuxia);
    expect(ids(await search(`category=${c.books}`))).toEqual([p.manual.id]);
    expect(ids(await search(`frontendCategory=${fe.fiction}`))).toEqual([]);

    // 数码 re-mapped from 手机数码 to 经典收藏.
    const remapped = await admin('PATCH', `/frontend-categories/${fe.digital}`, { backendCategoryIds: [classics] });
    expect(remapped.status).toBe(200);
    await settled(world, remapped.body.position);
    expect(sorted(ids(await search(`frontendCategory=${fe.digital}`)))).toEqual(wuxia);

    // A frontend category moved under another: the parent shows its products too.
    const phonesCorner = await created('/frontend-categories', { name: '手机专区', backendCategoryIds: [c.phones] });
    const movedFrontend = await admin('PATCH', `/frontend-categories/${phonesCorner}`, { parentId: fe.digital });
    expect(movedFrontend.status).toBe(200);
    await settled(world, movedFrontend.body.position);
    expect(sorted(ids(await search(`frontendCategory=${fe.digital}`)))).toEqual(sorted([...wuxia, p.iphone.id, p.mate.id]));
  });
});

describe('rebuilding the search projection', () => {
  it('gives exactly the index that incremental updates gave', async () => {
    await settled(world);
    const queries = [
      '',
      `q=${encodeURIComponent('武侠小说')}`,
      `q=${encodeURIComponent('武侠')}`,
      'q=pro',
      `brand=${b.apple}`,
      `frontendCategory=${fe.digital}`,
      `category=${c.books}&sort=price_desc`,
      'sort=newest&size=3&page=2',
      'inStock=false',
      `attr.${encodeURIComponent('颜色')}=${encodeURIComponent('黑色')}`,
    ];
    const snapshot = async () => ({
      results: await Promise.all(queries.map(async (query) => (await search(query)).body)),
      documents: await Promise.all(Object.values(p).map((product) => world.runtime.deps.searchIndex.get(product.id))),
    });
    const incremental = await snapshot();
    expect(incremental.documents.every((doc) => doc !== null)).toBe(true);

    await world.runtime.deps.projections.rebuild('search');
    expect(await snapshot()).toEqual(incremental);
  });
});

function sortedByValue<T extends { value: string }>(list: T[]): T[] {
  return [...list].sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
}
