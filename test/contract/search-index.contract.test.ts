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

/** Backend categories: books > fiction > wuxia; electronics > phones | audio | accessories | phone accessories; clothing > tshirts. */
const PATHS: Record<string, string[]> = {
  wuxia: ['c-books', 'c-fiction', 'c-wuxia'],
  phones: ['c-electronics', 'c-phones'],
  audio: ['c-electronics', 'c-audio'],
  accessories: ['c-electronics', 'c-accessories'],
  phoneAccessories: ['c-electronics', 'c-phone-accessories'],
  tshirts: ['c-clothing', 'c-tshirts'],
};
const LEAF_NAMES: Record<string, string> = {
  wuxia: '武侠',
  phones: '手机',
  audio: '耳机',
  accessories: '数码配件',
  phoneAccessories: '手机配件',
  tshirts: 'T恤',
};

function product(id: string, category: string, fields: Partial<ProductSearchDocument>): ProductSearchDocument {
  const path = PATHS[category]!;
  return {
    id,
    title: '',
    description: '',
    brand: BRANDS.sanlian,
    categoryId: path[path.length - 1]!,
    categoryName: LEAF_NAMES[category]!,
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
        expect(await matched({ q: 'hone' })).toEqual([]);
        expect(await matched({ q: 'pho' })).toEqual([]);
        expect(await matched({ q: 'smartphone' })).toEqual(['p09']);
        expect(await matched({ q: 'HEADPHONE' })).toEqual(['p06']);
        expect(await matched({ q: 'headphones wireless' })).toEqual(['p06']);
        expect(await matched({ q: 'ｉＰｈｏｎｅ' })).toEqual(['p05', 'p08']);
        expect(await matched({ q: 'iphone15' })).toEqual(['p05', 'p08']);
      });

      it('folds English plurals, accents, case and full-width letters alike in documents and queries', async () => {
        await index.upsert([
          product('e1', 'accessories', { title: 'Stainless Lunch Boxes', description: 'Two boxes with a spoon' }),
          product('e2', 'accessories', { title: 'Reading Glasses', description: 'Blue light glasses' }),
          product('e3', 'accessories', { title: 'Café Crème Coffee Beans' }),
          product('e4', 'accessories', { title: 'New Balance 574 Running Shoes', description: 'A pair of shoes' }),
          product('e5', 'accessories', { title: 'Cookie Jar', description: 'Keeps cookies and watches fresh' }),
        ]);
        for (const q of ['box', 'BOXES', 'ｂｏｘｅｓ', 'lunch box']) expect(await matched({ q }), q).toEqual(['e1']);
        for (const q of ['glass', 'GLASSES']) expect(await matched({ q }), q).toEqual(['e2']);
        for (const q of ['cafe', 'CAFÉ', 'ｃａｆé', 'creme coffee bean']) expect(await matched({ q }), q).toEqual(['e3']);
        for (const q of ['shoe', 'Shoes', 'running shoe']) expect(await matched({ q }), q).toEqual(['e4']);
        for (const q of ['cookie', 'cookies', 'watch']) expect(await matched({ q }), q).toEqual(['e5']);
        expect(await matched({ q: 'news' })).toEqual([]); // news is not the plural of new
        expect((await index.search({ q: 'boxes' })).hits[0]!.highlight).toBe('Stainless Lunch <em>Boxes</em>');
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

      it('ranks the products a category noun names above its accessories and odd matches', async () => {
        await index.upsert([
          product('r1', 'phoneAccessories', { title: '手机壳 防摔硅胶', brand: BRANDS.ugreen, salesCount: 5000, frontendCategoryIds: ['f-digital'] }),
          product('r2', 'phoneAccessories', { title: '懒人手机支架 桌面', brand: BRANDS.ugreen, salesCount: 3000 }),
          product('r3', 'phones', { title: '小米14 Ultra 徕卡光学', description: '骁龙旗舰 拍照手机', salesCount: 100 }),
        ]);
        const phones = await ids({ q: '手机' });
        expect(phones).toHaveLength(8);
        expect(phones.slice(0, 2).sort()).toEqual(['p04', 'p05']); // category 手机, and 手机 heads the title
        for (const accessory of ['r1', 'r2']) expect(phones.indexOf(accessory), accessory).toBeGreaterThan(phones.indexOf('r3'));
        expect(phones.at(-1)).toBe('p06'); // headphones whose description mentions 手机

        // The query's head decides: cases for 手机壳, whatever category they are in; phones for 华为 手机.
        const cases = await ids({ q: '手机壳' });
        expect(cases.sort()).toEqual(['p08', 'r1']);
        expect((await ids({ q: '华为 手机' }))[0]).toBe('p04');
        expect((await ids({ q: '支架' }))[0]).toBe('r2');
      });

      it('highlights the matched words of the title', async () => {
        const wuxia = (await index.search({ q: '武侠小说' })).hits.find((hit) => hit.id === 'p01');
        expect(wuxia!.highlight).toBe('金庸<em>武侠小说</em>全集');
        const [iphone] = (await index.search({ q: 'iphone 手机 max' })).hits;
        expect(iphone!.highlight).toBe('Apple <em>iPhone</em> 15 Pro <em>Max</em> <em>手机</em>');
        expect((await index.search({ categoryIds: ['c-wuxia'] })).hits[0]!.highlight).toBeNull();
      });
    });

    describe('recall and query understanding', () => {
      it('finds a product by the names of its categories and by its SKU codes', async () => {
        await index.upsert([
          product('k1', 'phones', { title: 'Mate 60', categoryNames: ['数码电子', '手机'], skuCodes: ['HW-M60-BLK-256', 'HW-M60-WHT-512'] }),
        ]);
        expect(await matched({ q: '数码电子' })).toEqual(['k1']);
        expect(await matched({ q: 'HW-M60-BLK-256' })).toEqual(['k1']);
        expect(await matched({ q: 'hw-m60-wht-512' })).toEqual(['k1']);
        expect(await matched({ q: '手机' })).toContain('k1');
      });

      it('reads Latin words as pinyin: full syllables and initials', async () => {
        // Pinyin reads titles, brands and category names (p06 says 手机 in its description only).
        expect(await matched({ q: 'shouji' })).toEqual(['p03', 'p04', 'p05', 'p08']);
        expect(await matched({ q: 'sj' })).toEqual(['p03', 'p04', 'p05', 'p08']);
        expect(await matched({ q: 'wuxia xiaoshuo' })).toEqual(['p01', 'p02']);
        expect(await matched({ q: 'huawei' })).toEqual(['p03', 'p04']);
        expect((await index.search({ q: 'wuxia' })).hits.find((hit) => hit.id === 'p01')!.highlight).toBe('金庸<em>武侠</em>小说全集');
        // A Chinese match ranks above the same words typed in pinyin where both exist.
        await index.upsert([product('y1', 'audio', { title: 'Erji Studio 耳机', description: 'erji', salesCount: 0 })]);
        expect((await ids({ q: 'erji' }))[0]).toBe('y1');
      });

      it('tolerates typos in Latin words of 5+ letters the index does not hold, ranking exact matches first', async () => {
        expect(await matched({ q: 'iphnoe' })).toEqual(['p05', 'p08']);
        expect(await matched({ q: 'ipohne 15' })).toEqual(['p05', 'p08']);
        expect(await matched({ q: 'headphnoes' })).toEqual(['p06']);
        expect(await matched({ q: 'wireles' })).toEqual(['p06']);
        expect(await matched({ q: 'sonny' })).toEqual(['p06']); // one edit from the brand Sony
        expect(await matched({ q: 'appel' })).toEqual(['p05', 'p08']); // a transposition is one edit
        expect(await matched({ q: 'snoy' })).toEqual([]); // under 5 letters: no typo
        expect(await matched({ q: 'headpxxnes' })).toEqual([]); // 3 edits
        // A word the index holds is never expanded: "stand" does not also find "stands"-like neighbours.
        await index.upsert([product('t1', 'accessories', { title: 'Guitar Stanf', salesCount: 0 })]);
        expect(await matched({ q: 'stand' })).toEqual(['p09']);
        expect(await matched({ q: 'stanx' })).toEqual(['p09', 't1']);
      });

      it('applies synonym groups at query time, phrases included, ranking the words typed first', async () => {
        await index.upsert([
          product('s1', 'accessories', { title: '联想 笔记本电脑 轻薄', salesCount: 0 }),
          product('s2', 'accessories', { title: '晨光 笔记本 A5 记事本', salesCount: 0 }),
          product('s3', 'tshirts', { title: 'Basic Tee cotton', salesCount: 0 }),
          product('s4', 'tshirts', { title: 'Graphic T-Shirt', salesCount: 0 }),
        ]);
        const synonyms = [['笔记本', '笔记本电脑'], ['tee', 't-shirt', 'T恤']];
        expect(await matched({ q: '笔记本电脑' })).toEqual(['s1']);
        expect(await matched({ q: '笔记本电脑', synonyms })).toEqual(['s1', 's2']);
        expect(await matched({ q: '笔记本', synonyms })).toEqual(['s1', 's2']);
        expect(await matched({ q: 'tee' })).toEqual(['s3']);
        expect(await matched({ q: 'tee', synonyms })).toEqual(['p07', 's3', 's4']);
        expect(await matched({ q: 'T-shirt', synonyms })).toEqual(['p07', 's3', 's4']);
        expect(await matched({ q: 'tee cotton', synonyms })).toEqual(['s3']);
        expect((await ids({ q: 'tee', synonyms }))[0]).toBe('s3');
      });

      it('says which words matched nothing and offers the closest query that finds something', async () => {
        const none = await index.search({ q: '手机 草莓' });
        expect(none.total).toBe(0);
        expect(none.unmatched).toEqual(['草莓']);
        expect(none.didYouMean).toBe('手机');
        const typo = await index.search({ q: 'wirelss headphoones zzzqqq' });
        expect(typo.total).toBe(0);
        expect(typo.unmatched).toEqual(['zzzqqq']);
        expect(typo.didYouMean).toBe('wireless headphone');
        const together = await index.search({ q: '金庸 华为' });
        expect(together.total).toBe(0);
        expect(together.unmatched).toEqual([]);
        expect(together.didYouMean).toBe('金庸');
        const found = await index.search({ q: '手机' });
        expect(found.unmatched).toBeUndefined();
        expect(found.didYouMean).toBeUndefined();
      });
    });

    describe('suggestions', () => {
      it('completes Chinese prefixes, pinyin and initials from titles, brands and categories, by sales', async () => {
        const texts = async (q: string, size?: number) => (await index.suggest({ q, ...(size ? { size } : {}) })).map((s) => s.text);
        // Equal sales and products: by entry (`武侠␟…` before `武侠小说␟…`).
        expect(await texts('武侠')).toEqual(['武侠', '武侠小说']);
        expect(await texts('wuxia')).toEqual(['武侠', '武侠小说']);
        expect(await texts('wx')).toEqual(['武侠', '武侠小说']);
        expect(await texts('wuxia x')).toEqual(['武侠小说']);
        expect((await texts('sj')).slice(0, 3)).toEqual(['手机', '手机壳', '手机使用']); // by sales: 1,805, 50, 5
        expect(await texts('华')).toEqual(['华为']);
        expect(await texts('hw')).toEqual(['华为']);
        expect(await texts('ipho')).toEqual(['iphone']);
        expect(await texts('ＳＯＮ')).toEqual(['sony']);
        expect(await texts('')).toEqual([]);
        expect(await texts('！')).toEqual([]);
        const [wuxia] = await index.suggest({ q: '武侠小' });
        expect(wuxia).toEqual({ text: '武侠小说', products: 2, sales: 800 });
        // Delisted and draft products offer nothing; a price change keeps the counts.
        expect(await texts('典藏')).toEqual([]);
        await index.upsert([{ ...byId('p01'), salesCount: 10, revision: 2 }]);
        expect((await index.suggest({ q: '武侠小' }))[0]).toEqual({ text: '武侠小说', products: 2, sales: 310 });
        await index.upsert([{ ...byId('p01'), status: 'delisted', revision: 3 }]);
        expect((await index.suggest({ q: '武侠小' }))[0]).toEqual({ text: '武侠小说', products: 1, sales: 300 });
        expect(await texts('金庸')).toEqual([]);
        expect(await texts('s', 2)).toHaveLength(2);
        await expect(index.suggest({ q: 'x', size: 0 })).rejects.toBeInstanceOf(InvalidSearchQuery);
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
        expect(await matched({ q: '男士' })).toEqual([]);
        expect(await matched({ q: 'T恤' })).toEqual(['p07']); // its category's name
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

      it('replays a batch whose documents were written but not its checkpoint (a crash between the two writes) to the same index', async () => {
        await index.commit('search', [], [], 0, 10);
        const upserts = [
          { ...byId('p02'), salesCount: 9_999, revision: 20 },
          { ...byId('p07'), status: 'delisted' as const, revision: 20 },
          product('p12', 'phones', { title: 'Pixel 9 手机', brand: BRANDS.apple, minPrice: 499_900, revision: 20 }),
        ];
        const removals = ['p09', 'never-indexed'];
        // The reference: the same batch committed once, on a fresh index of the same engine.
        const { store: reference, dispose: disposeReference } = await adapter.create();
        try {
          await reference.upsert(CATALOG);
          await reference.commit('search', [], [], 0, 10);
          await reference.commit('search', upserts, removals, 10, 20);
          // The crash: commit wrote the documents (what `upsert` and `remove` write) and died before the checkpoint.
          await index.upsert(upserts);
          await index.remove(removals);
          expect(await index.checkpoint('search')).toBe(10);
          // The projection restarts from checkpoint 10 and applies the same batch again.
          await index.commit('search', upserts, removals, 10, 20);
          expect(await index.checkpoint('search')).toBe(20);
          const queries: SearchQuery[] = [{}, { q: '手机' }, { sort: 'sales' }, { q: 'smartphone' }, { brandIds: ['b-apple'], sort: 'price_desc' }, { q: '优衣库' }];
          expect(await Promise.all(queries.map((query) => index.search({ ...query, size: 100 })))).toEqual(
            await Promise.all(queries.map((query) => reference.search({ ...query, size: 100 }))),
          );
          const ids = [...CATALOG.map((doc) => doc.id), 'p12', 'never-indexed'];
          expect(await Promise.all(ids.map((id) => index.get(id)))).toEqual(await Promise.all(ids.map((id) => reference.get(id))));
          expect(await index.count()).toBe(await reference.count());
          // A second replay (crash after the checkpoint but before the runner noticed) is refused and changes nothing.
          await expect(index.commit('search', upserts, removals, 10, 20)).rejects.toBeInstanceOf(CheckpointMoved);
          expect(await index.count()).toBe(await reference.count());
        } finally {
          await disposeReference();
        }
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

      it('refuses the commit of a writer that read the checkpoint before a swap, even at the same position', async () => {
        const at = await index.checkpoint('search'); // the live writer reads its checkpoint…
        const rebuild = await index.beginRebuild();
        await rebuild.upsert(CATALOG);
        expect(await index.commit('search', [], [], at, at)).toBeUndefined(); // (the live index still takes its writes)
        await rebuild.commit({ projection: 'search', position: at });
        // …and what it computed before the swap is not written into the rebuilt index.
        await expect(index.commit('search', [{ ...byId('p01'), title: 'stale', revision: 999 }], [], at, at + 1)).rejects.toBeInstanceOf(CheckpointMoved);
        expect((await index.get('p01'))?.title).toBe(byId('p01').title);
        expect(await index.checkpoint('search')).toBe(at);
        await index.commit('search', [], [], at, at + 1);
        expect(await index.checkpoint('search')).toBe(at + 1);
      });

      it('keeps the live index serving while a rebuild is interrupted; the next rebuild starts from scratch', async () => {
        expect(await index.count()).toBe(11);
        const interrupted = await index.beginRebuild();
        await interrupted.upsert(CATALOG.slice(0, 2));
        // (the rebuilding process dies here) …and the rebuild is started again:
        const restarted = await index.beginRebuild();
        await restarted.upsert(CATALOG.slice(2, 5));
        expect(await index.count()).toBe(11);
        expect(await matched({ q: 'smartphone' })).toEqual(['p09']);
        await restarted.commit();
        expect(await index.count()).toBe(3);
        expect((await index.get(CATALOG[0]!.id))).toBeNull();
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
    // Suggestion counts follow the compacted slots.
    const counts = async (q: string) => Object.fromEntries((await index.suggest({ q })).map((s) => [s.text, s.products]));
    expect(await counts('亚麻')).toEqual({ 亚麻: 2000, 亚麻衬衫: 2000 });
    expect(await counts('纯棉')).toEqual({ 纯棉: 3000 });
    expect(await counts('lanya')).toEqual({ 蓝牙: 500, 蓝牙耳机: 500 });
    await index.close();
  });
});
