import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointMoved,
  InvalidSearchQuery,
  type ProductSearchDocument,
  type SearchIndex,
  type SearchQuery,
  type SearchSort,
} from '../../src/ports/search-index.js';
import { sqliteSearchIndex } from '../../src/adapters/search/sqlite.js';
import { searchIndexAdapters, stopSearchEngines } from './search-engines.js';

const BRANDS = {
  sanlian: { id: 'b-sanlian', name: '三联书店' },
  huawei: { id: 'b-huawei', name: '华为' },
  apple: { id: 'b-apple', name: 'Apple' },
  sony: { id: 'b-sony', name: 'Sony' },
  uniqlo: { id: 'b-uniqlo', name: '优衣库' },
  ugreen: { id: 'b-ugreen', name: '绿联' },
};

/** Backend categories: books > fiction > wuxia; electronics > phones | audio | accessories; clothing > tshirts. */
const PATHS: Record<string, string[]> = {
  wuxia: ['c-books', 'c-fiction', 'c-wuxia'],
  phones: ['c-electronics', 'c-phones'],
  audio: ['c-electronics', 'c-audio'],
  accessories: ['c-electronics', 'c-accessories'],
  tshirts: ['c-clothing', 'c-tshirts'],
};

function product(id: string, category: string, fields: Partial<ProductSearchDocument>): ProductSearchDocument {
  const path = PATHS[category]!;
  return {
    id,
    title: '',
    description: '',
    brand: BRANDS.sanlian,
    categoryId: path[path.length - 1]!,
    categoryIds: path,
    frontendCategoryIds: [],
    attributes: {},
    minPrice: fields.minPrice ?? 100,
    maxPrice: fields.minPrice ?? 100,
    currency: 'CNY',
    inStock: true,
    salesCount: 0,
    listedAt: '2024-01-01T00:00:00.000Z',
    image: `https://img.example/${id}.jpg`,
    status: 'listed',
    revision: 1,
    ...fields,
  };
}

const CATALOG: ProductSearchDocument[] = [
  product('p01', 'wuxia', {
    title: '金庸武侠小说全集',
    description: '射雕英雄传 天龙八部 笑傲江湖 全套36册',
    attributes: { 装帧: ['精装'] },
    minPrice: 29_800,
    salesCount: 500,
    listedAt: '2024-01-10T00:00:00.000Z',
    frontendCategoryIds: ['f-reading'],
  }),
  product('p02', 'wuxia', {
    title: '古龙武侠小说精选',
    description: '楚留香 陆小凤',
    attributes: { 装帧: ['平装'] },
    minPrice: 9_900,
    salesCount: 300,
    listedAt: '2024-02-01T00:00:00.000Z',
    frontendCategoryIds: ['f-reading'],
  }),
  product('p03', 'phones', {
    title: '手机使用说明书',
    description: '纸质版',
    brand: BRANDS.huawei,
    minPrice: 500,
    salesCount: 5,
    inStock: false,
    listedAt: '2023-12-01T00:00:00.000Z',
  }),
  product('p04', 'phones', {
    title: '华为Mate60 Pro 智能手机',
    description: '卫星通话 麒麟芯片',
    brand: BRANDS.huawei,
    attributes: { 颜色: ['黑色', '白色'], 内存: ['256GB', '512GB'] },
    minPrice: 599_900,
    maxPrice: 699_900,
    salesCount: 1000,
    listedAt: '2024-03-01T00:00:00.000Z',
    frontendCategoryIds: ['f-digital'],
  }),
  product('p05', 'phones', {
    title: 'Apple iPhone 15 Pro Max 手机',
    description: 'A17 Pro chip, titanium design',
    brand: BRANDS.apple,
    attributes: { 颜色: ['黑色', '蓝色'], 内存: ['256GB'] },
    minPrice: 899_900,
    maxPrice: 999_900,
    salesCount: 800,
    listedAt: '2024-03-05T00:00:00.000Z',
    frontendCategoryIds: ['f-digital'],
  }),
  product('p06', 'audio', {
    title: 'Sony WH-1000XM5 Wireless Headphones',
    description: '降噪耳机 支持手机蓝牙连接',
    brand: BRANDS.sony,
    attributes: { 颜色: ['黑色', '银色'] },
    minPrice: 249_900,
    salesCount: 200,
    listedAt: '2024-01-20T00:00:00.000Z',
    frontendCategoryIds: ['f-digital'],
  }),
  product('p07', 'tshirts', {
    title: '优衣库 男士纯棉T恤 短袖',
    description: '夏季 透气',
    brand: BRANDS.uniqlo,
    attributes: { 颜色: ['白色'], 尺码: ['M', 'L'] },
    minPrice: 7_900,
    salesCount: 2000,
    listedAt: '2024-04-01T00:00:00.000Z',
    frontendCategoryIds: ['f-summer'],
  }),
  product('p08', 'phones', {
    title: 'iPhone 15 透明手机壳',
    description: 'Clear case for iPhone 15',
    brand: BRANDS.apple,
    attributes: { 颜色: ['透明'] },
    minPrice: 9_900,
    salesCount: 50,
    listedAt: '2024-02-15T00:00:00.000Z',
    frontendCategoryIds: ['f-digital'],
  }),
  product('p09', 'accessories', {
    title: 'Smartphone stand 桌面支架',
    description: 'Aluminium desk stand',
    brand: BRANDS.ugreen,
    minPrice: 3_900,
    salesCount: 10,
    listedAt: '2024-01-05T00:00:00.000Z',
  }),
  product('p10', 'wuxia', { title: '金庸武侠小说典藏版', status: 'delisted', minPrice: 59_900 }),
  product('p11', 'wuxia', { title: '武侠小说草稿', status: 'draft', listedAt: null }),
];

const byId = (id: string) => CATALOG.find((doc) => doc.id === id)!;

afterAll(() => stopSearchEngines());

for (const adapter of searchIndexAdapters()) {
  describe.skipIf(!adapter.available)(`SearchIndex contract: ${adapter.name}`, () => {
    let index: SearchIndex;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store: index, dispose } = await adapter.create());
      await index.upsert(CATALOG);
    });
    afterEach(async () => dispose?.());

    const ids = async (query: SearchQuery) => (await index.search(query)).hits.map((hit) => hit.id);
    const matched = async (query: SearchQuery) => (await ids({ ...query, size: 100 })).sort();

    describe('keywords', () => {
      it('matches Chinese by words: 武侠小说 finds 金庸武侠小说全集, 小说 never matches 说明书', async () => {
        expect(await matched({ q: '武侠小说' })).toEqual(['p01', 'p02']);
        expect(await matched({ q: '小说' })).toEqual(['p01', 'p02']);
        expect(await matched({ q: '说明书' })).toEqual(['p03']);
        expect(await matched({ q: '金庸 全集' })).toEqual(['p01']);
      });

      it('matches English words, not substrings, ignoring case, width and plurals', async () => {
        expect(await matched({ q: 'phone' })).toEqual([]);
        expect(await matched({ q: 'smartphone' })).toEqual(['p09']);
        expect(await matched({ q: 'HEADPHONE' })).toEqual(['p06']);
        expect(await matched({ q: 'headphones wireless' })).toEqual(['p06']);
        expect(await matched({ q: 'ｉＰｈｏｎｅ' })).toEqual(['p05', 'p08']);
        expect(await matched({ q: 'iphone15' })).toEqual(['p05', 'p08']);
      });

      it('requires every word, in any of title, brand, attributes and description', async () => {
        expect(await matched({ q: '华为 手机' })).toEqual(['p03', 'p04']);
        expect(await matched({ q: '蓝牙 sony' })).toEqual(['p06']);
        expect(await matched({ q: '黑色 手机' })).toEqual(['p04', 'p05', 'p06']);
        expect(await matched({ q: '手机 nothing' })).toEqual([]);
      });

      it('treats a query without words as no keyword', async () => {
        expect((await index.search({ q: ' ，！' })).total).toBe(9);
      });

      it('ranks title matches above description matches, and more title words first', async () => {
        const phones = await ids({ q: '手机' });
        expect(phones).toHaveLength(5);
        expect(phones[4]).toBe('p06');
        expect((await ids({ q: '华为 手机' }))[0]).toBe('p04');
      });

      it('highlights the matched words of the title', async () => {
        const wuxia = (await index.search({ q: '武侠小说' })).hits.find((hit) => hit.id === 'p01');
        expect(wuxia!.highlight).toBe('金庸<em>武侠小说</em>全集');
        const [iphone] = (await index.search({ q: 'iphone 手机 max' })).hits;
        expect(iphone!.highlight).toBe('Apple <em>iPhone</em> 15 Pro <em>Max</em> <em>手机</em>');
        expect((await index.search({ categoryIds: ['c-wuxia'] })).hits[0]!.highlight).toBeNull();
      });
    });

    describe('filters', () => {
      it('finds products of a category and of its descendants', async () => {
        expect(await matched({ categoryIds: ['c-phones'] })).toEqual(['p03', 'p04', 'p05', 'p08']);
        expect(await matched({ categoryIds: ['c-electronics'] })).toEqual(['p03', 'p04', 'p05', 'p06', 'p08', 'p09']);
        expect(await matched({ categoryIds: ['c-audio', 'c-tshirts'] })).toEqual(['p06', 'p07']);
      });

      it('filters by frontend category, brand, attributes, price and stock', async () => {
        expect(await matched({ frontendCategoryIds: ['f-digital'] })).toEqual(['p04', 'p05', 'p06', 'p08']);
        expect(await matched({ brandIds: ['b-apple', 'b-sony'] })).toEqual(['p05', 'p06', 'p08']);
        expect(await matched({ attributes: { 尺码: ['L'] } })).toEqual(['p07']);
        expect(await matched({ attributes: { 颜色: ['白色'], 内存: ['512GB', '1TB'] } })).toEqual(['p04']);
        expect(await matched({ minPrice: 9_900, maxPrice: 29_800 })).toEqual(['p01', 'p02', 'p08']);
        expect(await matched({ minPrice: 500_000 })).toEqual(['p04', 'p05']);
        expect(await matched({ inStock: false })).toEqual(['p03']);
        expect(await matched({ inStock: true, brandIds: ['b-huawei'] })).toEqual(['p04']);
        expect(await matched({ q: '手机', frontendCategoryIds: ['f-digital'], maxPrice: 300_000 })).toEqual(['p06', 'p08']);
      });

      it('finds nothing for unknown values, and still reports their facet', async () => {
        const result = await index.search({ attributes: { 材质: ['棉'] }, brandIds: ['b-none'] });
        expect(result.total).toBe(0);
        expect(result.facets.attributes['材质']).toEqual([]);
        expect(await matched({ categoryIds: ['c-none'] })).toEqual([]);
      });

      it('never returns products that are not listed', async () => {
        expect(await matched({ q: '金庸' })).toEqual(['p01']);
        expect(await matched({ categoryIds: ['c-wuxia'] })).toEqual(['p01', 'p02']);
        expect((await index.search({})).total).toBe(9);
        expect(await index.count()).toBe(11);
        expect((await index.get('p10'))?.status).toBe('delisted');
      });
    });

    describe('facets', () => {
      it('counts each dimension with every filter but its own', async () => {
        const result = await index.search({ brandIds: ['b-huawei'], categoryIds: ['c-phones'] });
        expect(result.total).toBe(2);
        expect(result.facets).toEqual({
          brand: [
            { value: 'b-apple', count: 2, label: 'Apple' },
            { value: 'b-huawei', count: 2, label: '华为' },
          ],
          category: [
            { value: 'c-electronics', count: 2 },
            { value: 'c-phones', count: 2 },
          ],
          price: [
            { from: 0, to: 5_000, count: 1 },
            { from: 500_000, to: null, count: 1 },
          ],
          attributes: {
            颜色: [
              { value: '白色', count: 1 },
              { value: '黑色', count: 1 },
            ],
            内存: [
              { value: '256GB', count: 1 },
              { value: '512GB', count: 1 },
            ],
          },
        });
      });

      it('counts a filtered attribute without its own filter and the others with it', async () => {
        const result = await index.search({ categoryIds: ['c-phones'], attributes: { 颜色: ['黑色'] } });
        expect(result.hits.map((hit) => hit.id).sort()).toEqual(['p04', 'p05']);
        expect(result.facets.attributes).toEqual({
          颜色: [
            { value: '黑色', count: 2 },
            { value: '白色', count: 1 },
            { value: '蓝色', count: 1 },
            { value: '透明', count: 1 },
          ],
          内存: [
            { value: '256GB', count: 2 },
            { value: '512GB', count: 1 },
          ],
        });
        expect(result.facets.brand.map(({ value, count }) => [value, count])).toEqual([
          ['b-apple', 1],
          ['b-huawei', 1],
        ]);
        expect(result.facets.category).toEqual([
          { value: 'c-electronics', count: 3 },
          { value: 'c-phones', count: 2 },
          { value: 'c-audio', count: 1 },
        ]);
        expect(result.facets.price).toEqual([{ from: 500_000, to: null, count: 2 }]);
      });

      it('counts prices without the price filter, and facets follow the keyword', async () => {
        const result = await index.search({ q: '手机', minPrice: 500_000 });
        expect(result.total).toBe(2);
        expect(result.facets.price).toEqual([
          { from: 0, to: 5_000, count: 1 },
          { from: 5_000, to: 10_000, count: 1 },
          { from: 200_000, to: 500_000, count: 1 },
          { from: 500_000, to: null, count: 2 },
        ]);
        expect(result.facets.brand.map(({ value, count }) => [value, count])).toEqual([
          ['b-apple', 1],
          ['b-huawei', 1],
        ]);
      });
    });

    describe('sorting and pages', () => {
      const orders: Array<[SearchSort, string[]]> = [
        ['price_asc', ['p03', 'p09', 'p07', 'p02', 'p08', 'p01', 'p06', 'p04', 'p05']],
        ['price_desc', ['p05', 'p04', 'p06', 'p01', 'p02', 'p08', 'p07', 'p09', 'p03']],
        ['sales', ['p07', 'p04', 'p05', 'p01', 'p02', 'p06', 'p08', 'p09', 'p03']],
        ['newest', ['p07', 'p05', 'p04', 'p08', 'p02', 'p06', 'p01', 'p09', 'p03']],
        ['relevance', ['p07', 'p04', 'p05', 'p01', 'p02', 'p06', 'p08', 'p09', 'p03']],
      ];
      it.each(orders)('sorts by %s, ties by id', async (sort, expected) => {
        expect(await ids({ sort })).toEqual(expected);
      });

      it('pages through the same order', async () => {
        const page = (n: number) => index.search({ sort: 'price_asc', page: n, size: 4 });
        const [first, second, third] = await Promise.all([page(1), page(2), page(3)]);
        expect(first.hits.map((hit) => hit.id)).toEqual(['p03', 'p09', 'p07', 'p02']);
        expect(second.hits.map((hit) => hit.id)).toEqual(['p08', 'p01', 'p06', 'p04']);
        expect(third.hits.map((hit) => hit.id)).toEqual(['p05']);
        expect([first.total, second.page, second.size]).toEqual([9, 2, 4]);
        expect((await page(4)).hits).toEqual([]);
      });

      it('returns hits in the API shape', async () => {
        const [hit] = (await index.search({ q: 'mate60' })).hits;
        expect(hit).toEqual({
          id: 'p04',
          title: '华为Mate60 Pro 智能手机',
          brand: BRANDS.huawei,
          category: 'c-phones',
          minPrice: 599_900,
          maxPrice: 699_900,
          currency: 'CNY',
          inStock: true,
          image: 'https://img.example/p04.jpg',
          highlight: '华为<em>Mate60</em> Pro 智能手机',
        });
      });

      it('refuses pages beyond the limits and unknown sorts', async () => {
        await expect(index.search({ size: 101 })).rejects.toBeInstanceOf(InvalidSearchQuery);
        await expect(index.search({ size: 100, page: 101 })).rejects.toBeInstanceOf(InvalidSearchQuery);
        await expect(index.search({ sort: 'garbage' as SearchSort })).rejects.toBeInstanceOf(InvalidSearchQuery);
        expect((await index.search({ size: 100, page: 100 })).hits).toEqual([]);
      });
    });

    describe('writes', () => {
      it('ignores a revision not above the stored one', async () => {
        const tee = byId('p07');
        await index.upsert([{ ...tee, minPrice: 5_900, maxPrice: 5_900, revision: 5 }]);
        await index.upsert([{ ...tee, minPrice: 100, revision: 3 }]);
        await index.upsert([{ ...tee, title: '别的标题', revision: 5 }]);
        expect(await index.get('p07')).toMatchObject({ minPrice: 5_900, title: '优衣库 男士纯棉T恤 短袖', revision: 5 });
        expect(await matched({ q: '别的' })).toEqual([]);
      });

      it('shows a price change in filters, sorting and facets at once', async () => {
        await index.upsert([{ ...byId('p05'), minPrice: 450, maxPrice: 999_900, revision: 2 }]);
        expect((await ids({ sort: 'price_asc' })).slice(0, 2)).toEqual(['p05', 'p03']);
        expect(await matched({ maxPrice: 5_000 })).toEqual(['p03', 'p05', 'p09']);
        const [hit] = (await index.search({ q: 'iphone max' })).hits;
        expect(hit).toMatchObject({ id: 'p05', minPrice: 450 });
        expect((await index.search({ brandIds: ['b-apple'] })).facets.price[0]).toEqual({ from: 0, to: 5_000, count: 1 });
      });

      it('reindexes changed words and hides delisted products until listed again', async () => {
        const tee = byId('p07');
        await index.upsert([{ ...tee, title: '优衣库 女士亚麻衬衫', revision: 2 }]);
        expect(await matched({ q: 'T恤' })).toEqual([]);
        expect(await matched({ q: '亚麻 衬衫' })).toEqual(['p07']);
        await index.upsert([{ ...tee, status: 'delisted', revision: 3 }]);
        expect(await matched({ q: '优衣库' })).toEqual([]);
        await index.upsert([{ ...tee, revision: 4 }]);
        expect(await matched({ q: 'T恤' })).toEqual(['p07']);
      });

      it('removes documents', async () => {
        await index.remove(['p09', 'missing']);
        expect(await index.get('p09')).toBeNull();
        expect(await matched({ q: 'smartphone' })).toEqual([]);
        expect(await index.count()).toBe(10);
      });
    });

    describe('checkpoints and rebuilds', () => {
      it('moves the checkpoint with the writes and refuses a stale one', async () => {
        expect(await index.checkpoint('search')).toBe(0);
        await index.commit('search', [{ ...byId('p02'), salesCount: 9_999, revision: 10 }], ['p09'], 0, 10);
        expect(await index.checkpoint('search')).toBe(10);
        expect((await ids({ sort: 'sales' }))[0]).toBe('p02');
        expect(await index.get('p09')).toBeNull();
        await expect(index.commit('search', [], [], 0, 12)).rejects.toBeInstanceOf(CheckpointMoved);
        expect(await index.checkpoint('search')).toBe(10);
        await index.commit('search', [], [], 10, 12);
        expect(await index.checkpoint('search')).toBe(12);
        expect(await index.checkpoint('other')).toBe(0);
      });

      it('swaps in a rebuilt index that answers as incremental writes did', async () => {
        const queries: SearchQuery[] = [
          { q: '手机' },
          { brandIds: ['b-huawei'], categoryIds: ['c-phones'] },
          { sort: 'newest', attributes: { 颜色: ['黑色'] } },
        ];
        await index.commit('search', [], [], 0, 40);
        const before = await Promise.all(queries.map((query) => index.search(query)));
        const rebuild = await index.beginRebuild();
        await rebuild.upsert(CATALOG.slice(0, 6));
        await rebuild.upsert(CATALOG.slice(6));
        expect(await index.count()).toBe(11);
        expect(await index.checkpoint('search')).toBe(40);
        await rebuild.commit({ projection: 'search', position: 42 });
        expect(await Promise.all(queries.map((query) => index.search(query)))).toEqual(before);
        expect(await index.checkpoint('search')).toBe(42);
        expect(await index.count()).toBe(11);
      });

      it('keeps only what the rebuild wrote, and an aborted rebuild changes nothing', async () => {
        const aborted = await index.beginRebuild();
        await aborted.upsert(CATALOG.slice(0, 1));
        await aborted.abort();
        expect(await index.count()).toBe(11);
        const rebuild = await index.beginRebuild();
        await rebuild.upsert(CATALOG.filter((doc) => doc.id !== 'p09'));
        expect(await matched({ q: 'smartphone' })).toEqual(['p09']);
        await rebuild.commit();
        expect(await matched({ q: 'smartphone' })).toEqual([]);
        expect(await index.count()).toBe(10);
        await index.upsert([byId('p09')]);
        expect(await matched({ q: 'smartphone' })).toEqual(['p09']);
      });
    });
  });
}

describe('SearchIndex sqlite adapter: one database file, several connections', () => {
  let dir: string;
  const open = () => sqliteSearchIndex(new Database(join(dir, 'search.db')));
  const matchedBy = async (index: SearchIndex, q: string) => (await index.search({ q, size: 100 })).hits.map((hit) => hit.id).sort();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bazaar-search-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers hits with the current document after a change, from this connection or another', async () => {
    const writer = open();
    const reader = open();
    await writer.upsert(CATALOG);
    const titleOf = async (index: typeof reader, id: string) => (await index.search({ q: '优衣库' })).hits.find((hit) => hit.id === id)?.title;
    expect(await titleOf(reader, 'p07')).toBe(byId('p07').title);
    await writer.upsert([{ ...byId('p07'), title: '优衣库 女士亚麻衬衫', revision: 2 }]);
    expect(await titleOf(reader, 'p07')).toBe('优衣库 女士亚麻衬衫');
    await reader.upsert([{ ...byId('p07'), title: '优衣库 男士亚麻衬衫', revision: 3 }]);
    expect(await titleOf(reader, 'p07')).toBe('优衣库 男士亚麻衬衫');
    expect(await titleOf(writer, 'p07')).toBe('优衣库 男士亚麻衬衫');
    await reader.close();
    await writer.close();
  });

  it('sees the writes and rebuilds of another connection, and reloads them on open', async () => {
    const writer = open();
    const reader = open();
    await writer.upsert(CATALOG);
    expect(await matchedBy(reader, '武侠小说')).toEqual(['p01', 'p02']);

    await reader.upsert([{ ...byId('p07'), title: '优衣库 女士亚麻衬衫', revision: 2 }]);
    await writer.remove(['p02']);
    await reader.upsert([{ ...byId('p09'), status: 'delisted', revision: 2 }]);
    for (const index of [writer, reader]) {
      expect(await matchedBy(index, '亚麻')).toEqual(['p07']);
      expect(await matchedBy(index, '武侠小说')).toEqual(['p01']);
      expect(await matchedBy(index, 'smartphone')).toEqual([]);
      expect(await index.count()).toBe(10);
    }

    const rebuild = await writer.beginRebuild();
    await rebuild.upsert(CATALOG.slice(0, 3));
    await rebuild.commit({ projection: 'search', position: 7 });
    expect(await matchedBy(reader, '武侠小说')).toEqual(['p01', 'p02']);
    expect(await reader.count()).toBe(3);
    expect(await reader.checkpoint('search')).toBe(7);

    await reader.close();
    await writer.close();
    const reopened = open();
    expect(await matchedBy(reopened, '说明书')).toEqual(['p03']);
    expect(await reopened.count()).toBe(3);
    await reopened.close();
  });

  it('answers the same after compacting many changed documents', async () => {
    const index = open();
    const docs = Array.from({ length: 3000 }, (_, n) =>
      product(`g${String(n).padStart(4, '0')}`, 'tshirts', { title: `纯棉T恤 款式${n % 7}`, brand: n % 2 ? BRANDS.uniqlo : BRANDS.ugreen }),
    );
    await index.upsert(docs);
    await index.upsert(docs.map((doc, n) => ({ ...doc, title: n % 3 ? `亚麻衬衫 ${doc.title}` : doc.title, revision: 2 })));
    const result = await index.search({ q: '亚麻 衬衫', brandIds: ['b-uniqlo'], size: 5 });
    expect(result.total).toBe(docs.filter((_, n) => n % 3 !== 0 && n % 2 === 1).length);
    expect(result.facets.brand).toEqual([
      { value: 'b-ugreen', count: 1000, label: '绿联' },
      { value: 'b-uniqlo', count: 1000, label: '优衣库' },
    ]);
    expect((await index.search({ q: 't恤 款式3' })).total).toBe(docs.filter((_, n) => n % 7 === 3).length);
    const added = Array.from({ length: 500 }, (_, n) => product(`h${n}`, 'audio', { title: `蓝牙耳机 ${n}` }));
    await index.upsert(added);
    expect((await index.search({ q: '蓝牙耳机' })).total).toBe(500);
    expect((await index.search({ q: '亚麻 衬衫' })).total).toBe(2000);
    expect(await index.count()).toBe(3500);
    await index.close();
  });
});
