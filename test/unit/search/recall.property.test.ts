import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sqliteSearchIndex } from '../../../src/adapters/search/sqlite.js';
import type { ProductSearchDocument } from '../../../src/ports/search-index.js';

/**
 * Recall (issue 17): over generated catalogs, every listed product is found by its whole title, by each
 * word of its title (as a shopper would type it: the text between spaces), by its brand name, by each of
 * its category names and by each of its SKU codes; and no product that is not listed is ever found.
 */
const HAN = [...'手机壳华为小米武侠小说言情励志金庸古龙全集精装平装耳机蓝牙无线降噪男士女士纯棉短袖连衣裙笔记本电脑轻薄游戏机械键盘鼠标面霜精华液保湿补水坚果零食茶叶咖啡'];
const LATIN = ['iPhone', 'Pro', 'Max', 'Mate', 'Ultra', 'wireless', 'headphones', 'case', 'for', 'the', 'T-Shirt', 'Café', 'ＰＨＯＮＥ', 'boxes', 'series', "Men's", 'USB-C', '5G'];

const hanWord = fc.array(fc.constantFrom(...HAN), { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));
const latinWord = fc.oneof(fc.constantFrom(...LATIN), fc.stringMatching(/^[A-Za-z]{2,9}[0-9]{0,3}$/));
const word = fc.oneof(hanWord, latinWord, fc.stringMatching(/^[0-9]{1,4}(GB|ml|kg)?$/));
const mixed = fc.tuple(hanWord, latinWord).map(([a, b]) => a + b);
const title = fc.array(fc.oneof(word, word, mixed), { minLength: 1, maxLength: 7 }).map((words) => words.join(' '));
const skuCode = fc.stringMatching(/^[A-Z]{2,4}-[A-Z0-9]{1,4}(-[A-Z0-9]{1,4})?$/);

const brands = fc.uniqueArray(fc.oneof(hanWord, latinWord), { minLength: 1, maxLength: 4, selector: (name) => name.toLowerCase() });
const categoryNames = fc.uniqueArray(fc.oneof(hanWord, title), { minLength: 2, maxLength: 5 });

const catalog = fc
  .tuple(brands, categoryNames)
  .chain(([brandNames, names]) =>
    fc.array(
      fc.record({
        title,
        description: fc.oneof(fc.constant(''), title),
        brand: fc.nat(brandNames.length - 1).map((i) => ({ id: `b${i}`, name: brandNames[i]! })),
        path: fc.uniqueArray(fc.nat(names.length - 1), { minLength: 1, maxLength: 3 }),
        skuCodes: fc.uniqueArray(skuCode, { minLength: 1, maxLength: 3 }),
        status: fc.constantFrom('listed', 'listed', 'listed', 'delisted', 'draft'),
        salesCount: fc.nat(1000),
      }),
      { minLength: 1, maxLength: 25 },
    ).map((products) =>
      products.map((p, i): ProductSearchDocument => ({
        id: `p${String(i).padStart(3, '0')}`,
        title: p.title,
        description: p.description,
        brand: p.brand,
        categoryId: `c${p.path.at(-1)}`,
        categoryName: names[p.path.at(-1)!]!,
        categoryNames: p.path.map((n) => names[n]!),
        categoryIds: p.path.map((n) => `c${n}`),
        frontendCategoryIds: [],
        skuCodes: p.skuCodes,
        attributes: {},
        minPrice: 100,
        maxPrice: 100,
        currency: 'CNY',
        inStock: true,
        salesCount: p.salesCount,
        listedAt: p.status === 'draft' ? null : '2024-01-01T00:00:00.000Z',
        image: null,
        status: p.status,
        revision: 1,
      })),
    ),
  );

describe('recall over generated catalogs (embedded engine)', () => {
  it('finds every listed product by its title, each title word, its brand, its category names and its SKU codes; never another', async () => {
    await fc.assert(
      fc.asyncProperty(catalog, async (docs) => {
        const index = sqliteSearchIndex(new Database(':memory:'));
        try {
          await index.upsert(docs);
          const listed = new Set(docs.filter((doc) => doc.status === 'listed').map((doc) => doc.id));
          for (const doc of docs.filter((d) => d.status === 'listed')) {
            const queries = [doc.title, ...doc.title.split(' '), doc.brand.name, ...doc.categoryNames!, ...doc.skuCodes!];
            for (const q of queries) {
              const result = await index.search({ q, size: 100 });
              expect(result.hits.map((hit) => hit.id), `"${q}" finds ${doc.id} (${doc.title})`).toContain(doc.id);
              for (const hit of result.hits) expect(listed.has(hit.id)).toBe(true);
            }
          }
        } finally {
          await index.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
