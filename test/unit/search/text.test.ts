import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { headTerms, queryHead, queryTerms, stem, tokenize } from '../../../src/search/text.js';
import { sqliteSearchIndex } from '../../../src/adapters/search/sqlite.js';
import type { ProductSearchDocument } from '../../../src/ports/search-index.js';

describe('stem: a light English plural stemmer', () => {
  it('gives a word and its plural the same stem', () => {
    const pairs = [
      ['phone', 'phones'],
      ['laptop', 'laptops'],
      ['book', 'books'],
      ['novel', 'novels'],
      ['shoe', 'shoes'],
      ['coffee', 'coffees'],
      ['headphone', 'headphones'],
      ['box', 'boxes'],
      ['watch', 'watches'],
      ['brush', 'brushes'],
      ['glass', 'glasses'],
      ['battery', 'batteries'],
      ['cookie', 'cookies'],
      ['cache', 'caches'],
      ['tomato', 'tomatoes'],
      ['toe', 'toes'],
      ['tree', 'trees'],
      ['case', 'cases'],
      ['shelf', 'shelves'],
      ['knife', 'knives'],
      ['wife', 'wives'],
      ['drive', 'drives'],
      ['valve', 'valves'],
      ['olive', 'olives'],
    ];
    for (const [singular, plural] of pairs) expect(stem(plural!), plural).toBe(stem(singular!));
  });

  it('keeps words that only look like plurals, short words and non-letters', () => {
    for (const word of ['news', 'series', 'bus', 'status', 'analysis', 'glass', 'wireless', 'gps', 'ios', 'x100']) expect(stem(word), word).toBe(word);
    expect(stem('running')).toBe('running'); // plurals only: no -ing, -ed
  });
});

describe('tokenize', () => {
  it('folds case, full-width letters and Latin accents; keeps Chinese words', () => {
    expect(tokenize('ＰＨＯＮＥＳ Café Crème Pokémon')).toEqual(['phone', 'cafe', 'creme', 'pokemon']);
    expect(tokenize('金庸武侠小说全集')).toEqual(['金庸', '武侠', '小说', '全集']);
    expect(queryTerms('ゲーム')).toEqual(tokenize('ゲーム')); // kana keep their marks
    expect(tokenize('ゲーム').join('')).toBe('ゲーム');
  });
});

describe('heads', () => {
  it('finds the head of each phrase of a title: the last word of a compound', () => {
    expect(headTerms('华为Mate60 Pro 智能手机')).toContain('手机');
    expect(headTerms('iPhone 15 透明手机壳')).not.toContain('手机');
    expect(headTerms('iPhone 15 透明手机壳')).toContain('壳');
    expect(headTerms('懒人手机支架')).toEqual(['支架']);
    expect(headTerms('Sony WH-1000XM5 Wireless Headphones')).toEqual(['headphone']);
    expect(headTerms('Phone Case for iPhone 15')).toEqual(['case', 'iphone']);
    expect(headTerms('折叠屏手机')).toEqual(['手机']);
    expect(headTerms('手机配件')).toEqual(['配件']);
  });

  it('takes the head of the last phrase as the head of a query', () => {
    expect(queryHead('手机')).toEqual(['手机']);
    expect(queryHead('华为 手机')).toEqual(['手机']);
    expect(queryHead('华为 手机壳')).toEqual(['壳']);
    expect(queryHead('iphone 15 cases')).toEqual(['case']);
    expect(queryHead(' ，！')).toEqual([]);
  });
});

describe('sqlite search index: words stored by an older analysis', () => {
  it('are derived again from the stored documents when the index opens', async () => {
    const db = new Database(':memory:');
    const index = sqliteSearchIndex(db);
    const doc: ProductSearchDocument = {
      id: 'p1',
      title: 'Stainless Lunch Boxes',
      description: '',
      brand: { id: 'b', name: 'Brand' },
      categoryId: 'c',
      categoryIds: ['c'],
      frontendCategoryIds: [],
      attributes: {},
      minPrice: 100,
      maxPrice: 100,
      currency: 'CNY',
      inStock: true,
      salesCount: 0,
      listedAt: null,
      image: null,
      status: 'listed',
      revision: 1,
    };
    await index.upsert([doc]);
    // What an earlier release stored: Harman's S-stemmer made boxes "boxe", and no analysis version.
    db.prepare("UPDATE search_documents SET terms = 'stainless lunch boxe\nbrand\n'").run();
    db.prepare("DELETE FROM search_meta WHERE key = 'analysis'").run();

    const reopened = sqliteSearchIndex(db);
    expect((await reopened.search({ q: 'box' })).hits.map((hit) => hit.id)).toEqual(['p1']);
    expect(db.prepare("SELECT terms FROM search_documents WHERE id = 'p1'").pluck().get()).toContain('box\n');
  });
});
