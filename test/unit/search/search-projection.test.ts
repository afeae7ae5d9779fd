import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/ports/event-store.js';
import type { ProductSearchDocument, SearchIndex } from '../../../src/ports/search-index.js';
import { sqliteSearchIndex } from '../../../src/adapters/search/sqlite.js';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';
import { memoryKeyValue } from '../../../src/adapters/keyvalue/memory.js';
import { searchProjectionTarget } from '../../../src/projections/search/search.js';
import { productChangedKey } from '../../../src/projections/search/product-cache.js';

/** A small event log in the shapes the catalog deciders write. */
function eventLog(): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const revisions = new Map<string, number>();
  const at = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString();
  const add = (streamId: string, type: string, data: Record<string, unknown>) => {
    const revision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, revision);
    const position = events.length + 1;
    events.push({ id: `e${position}`, streamId, revision, position, type, data: { ...data, at: at(position) }, metadata: {}, recordedAt: at(position) });
  };
  const category = (categoryId: string, parentId: string | null) => add(`catalog-category-${categoryId}`, 'CategoryCreated', { categoryId, name: categoryId, parentId });
  const stock = (skuId: string, productId: string, onHand: number) => add(`inventory-${skuId}`, 'StockSet', { skuId, productId, onHand, previousOnHand: 0 });
  const product = (productId: string, categoryId: string, title: string, skus: Array<[string, number, Record<string, string>]>) =>
    add(`product-${productId}`, 'ProductCreated', {
      productId, merchantId: 'platform', spuId: productId, title, description: `${title} description`, images: [`https://img.example/${productId}.png`],
      category: { id: categoryId, name: categoryId }, brand: { id: 'brand-1', name: 'Acme' }, keyAttributes: {}, generalAttributes: { 产地: '上海' },
      skus: skus.map(([skuId, amount, salesAttributes]) => ({ skuId, skuCode: skuId, salesAttributes, price: { amount, currency: 'CNY' } })), takeStockAt: 'order',
    });

  category('books', null);
  category('fiction', 'books');
  category('wuxia', 'fiction');
  category('phones', null);
  add('fe-category-f1', 'FrontendCategoryCreated', { frontendCategoryId: 'f1', name: 'F1', parentId: null, backendCategoryIds: ['books'] });
  add('fe-category-f2', 'FrontendCategoryCreated', { frontendCategoryId: 'f2', name: 'F2', parentId: 'f1', backendCategoryIds: ['wuxia'] });
  stock('s1', 'p1', 5);
  product('p1', 'wuxia', '金庸武侠小说全集', [['s1', 19900, {}]]);
  add('product-p1', 'ProductListed', { productId: 'p1' });
  stock('s2', 'p2', 2);
  stock('s3', 'p2', 0);
  product('p2', 'phones', 'Apple iPhone 15 Pro', [['s2', 899900, { 颜色: '黑色' }], ['s3', 909900, { 颜色: '白色' }]]);
  add('product-p2', 'ProductListed', { productId: 'p2' });
  stock('s9', 'p9', 1); // a product whose creation failed: its stock is inert
  add('product-p2', 'SkuPriceChanged', { productId: 'p2', skuId: 's2', price: { amount: 799900, currency: 'CNY' }, previousPrice: { amount: 899900, currency: 'CNY' } });
  add('inventory-s1', 'StockAdjusted', { skuId: 's1', productId: 'p1', delta: -5, onHand: 0 });
  add('catalog-category-wuxia', 'CategoryMoved', { categoryId: 'wuxia', parentId: 'phones', previousParentId: 'fiction' });
  add('fe-category-f1', 'FrontendCategoryMapped', { frontendCategoryId: 'f1', backendCategoryIds: ['phones'], previousBackendCategoryIds: ['books'] });
  add('fe-category-f3', 'FrontendCategoryCreated', { frontendCategoryId: 'f3', name: 'F3', parentId: null, backendCategoryIds: ['fiction'] });
  add('fe-category-f2', 'FrontendCategoryMoved', { frontendCategoryId: 'f2', parentId: 'f3', previousParentId: 'f1' });
  add('product-p1', 'ProductInfoEdited', { productId: 'p1', changes: { title: '金庸武侠小说全集 典藏版', images: [] } });
  add('product-p2', 'ProductDelisted', { productId: 'p2' });
  category('novels', 'books');
  stock('s4', 'p3', 7);
  product('p3', 'novels', '三体', [['s4', 3900, {}]]);
  add('product-p3', 'ProductListed', { productId: 'p3' });
  // stock counts that keep p3 in stock (its document stays as it is), right after its creation
  add('inventory-s4', 'StockReserved', { skuId: 's4', productId: 'p3', orderId: 'o1', payOrderId: 'po1', quantity: 1, expiresAt: at(999), onHand: 7, reserved: 1 });
  add('inventory-s4', 'StockAdjusted', { skuId: 's4', productId: 'p3', delta: -2, onHand: 5 });
  add('catalog-category-novels', 'CategoryMoved', { categoryId: 'novels', parentId: 'wuxia', previousParentId: 'books' });
  add('inventory-s4', 'StockReserved', { skuId: 's4', productId: 'p3', orderId: 'o2', payOrderId: 'po2', quantity: 2, expiresAt: at(999), onHand: 5, reserved: 3 });
  add('catalog-category-novels', 'CategoryRenamed', { categoryId: 'novels', name: '科幻小说', previousName: 'novels' });
  return events;
}

const PRODUCTS = ['p1', 'p2', 'p3', 'p9'];

function world(options: { failIndexCommits?: Set<number> } = {}) {
  const views = sqliteViewStore(new Database(':memory:'));
  const index = sqliteSearchIndex(new Database(':memory:'));
  const kv = memoryKeyValue();
  let commits = 0;
  // An index whose chosen commits fail: a crash between the state's commit and the index's.
  const flaky: SearchIndex = {
    ...index,
    async commit(...args) {
      if (options.failIndexCommits?.has(++commits)) throw new Error('crash');
      return index.commit(...args);
    },
  };
  return { views, index, kv, target: searchProjectionTarget({ views, index: flaky, kv }) };
}

/** Applies the log as the ProjectionRunner does, in the given batch sizes, resuming from the stored checkpoint after a failure. */
async function run(target: ReturnType<typeof world>['target'], events: RecordedEvent[], sizes: number[]): Promise<void> {
  let from = await target.checkpoint();
  for (let i = 0; from < events.length; i++) {
    const batch = events.filter((event) => event.position > from).slice(0, sizes[i % sizes.length]);
    try {
      await target.apply(batch, from);
    } catch (error) {
      if (!(error instanceof Error) || error.message !== 'crash') throw error;
    }
    from = await target.checkpoint();
  }
}

const documents = async (index: SearchIndex) => Promise.all(PRODUCTS.map((id) => index.get(id)));

describe('search projection', () => {
  it('derives the documents from the events alone', async () => {
    const { target, index, kv } = world();
    await run(target, eventLog(), [1000]);
    const [p1, p2, p3, p9] = (await documents(index)) as Array<ProductSearchDocument | null>;
    expect(p1).toMatchObject({
      title: '金庸武侠小说全集 典藏版',
      categoryName: 'wuxia',
      categoryIds: ['phones', 'wuxia'],
      frontendCategoryIds: ['f1', 'f2', 'f3'], // f1 maps phones (re-mapped), f2 maps wuxia and moved under f3
      inStock: false,
      image: null,
      status: 'listed',
      attributes: { 产地: ['上海'] },
    });
    expect(p2).toMatchObject({ minPrice: 799900, maxPrice: 909900, inStock: true, status: 'delisted', attributes: { 产地: ['上海'], 颜色: ['白色', '黑色'] } });
    expect(p3).toMatchObject({ categoryName: '科幻小说', categoryIds: ['phones', 'wuxia', 'novels'], inStock: true, status: 'listed' }); // renamed
    expect(p9).toBeNull();
    expect(await kv.get(productChangedKey('p2'))).toBe(String(eventLog().find((event) => event.type === 'ProductDelisted')!.position));
  });

  it('gives the same index whatever the batches, and after a crash between the two commits', async () => {
    const events = eventLog();
    const reference = world();
    await run(reference.target, events, [events.length]);
    const expected = await documents(reference.index);

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
        async (sizes, failures) => {
          const { target, index } = world({ failIndexCommits: new Set(failures) });
          await run(target, events, sizes);
          expect(await documents(index)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );

    // The crash hits the batch that creates p3; the retry also folds stock counts that leave its entry as it
    // is: p3 must still reach the index (its entry is newer than the index, whatever this batch changed).
    const created = events.find((event) => event.type === 'ProductCreated' && event.streamId === 'product-p3')!.position;
    const prefix = events.slice(0, created + 2);
    const upToPrefix = world();
    await run(upToPrefix.target, prefix, [prefix.length]);
    const { target, index } = world({ failIndexCommits: new Set([2]) });
    await run(target, prefix, [created - 1, 2, 3]);
    expect(await index.get('p3')).not.toBeNull();
    expect(await documents(index)).toEqual(await documents(upToPrefix.index));
  });

  it('resets to an empty index and state, and replays to the same documents', async () => {
    const events = eventLog();
    const { target, index } = world();
    await run(target, events, [3]);
    const before = await documents(index);
    await target.reset();
    expect(await target.checkpoint()).toBe(0);
    expect(await index.count()).toBe(0);
    await run(target, events, [5]);
    expect(await documents(index)).toEqual(before);
  });
});
