import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteSearchIndex, type SqliteSearchIndexOptions } from '../../../src/adapters/search/sqlite.js';
import type { ProductSearchDocument, SearchIndex, SearchQuery } from '../../../src/ports/search-index.js';

/** A small deterministic catalog: Chinese and Latin words, brands, a category tree, attributes, stock, sales. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BRANDS = [
  { id: 'b-huawei', name: '华为' },
  { id: 'b-apple', name: 'Apple' },
  { id: 'b-sanlian', name: '三联书店' },
  { id: 'b-uniqlo', name: '优衣库' },
  { id: 'b-sony', name: 'Sony' },
];
const LEAVES = [
  { path: ['c-el', 'c-phones'], names: ['数码', '手机'] },
  { path: ['c-el', 'c-audio'], names: ['数码', '耳机'] },
  { path: ['c-books', 'c-wuxia'], names: ['图书', '武侠小说'] },
  { path: ['c-cloth', 'c-tee'], names: ['服装', 'T恤'] },
];
const WORDS = ['智能手机', '武侠', '小说', '蓝牙耳机', '纯棉', 'T恤', 'iPhone', 'headphones', 'wireless', 'cotton', '新款', '官方', 'pro', 'max', '黑色', '白色'];
const COLORS = ['黑色', '白色', '蓝色'];

function catalog(count: number, seed = 3): ProductSearchDocument[] {
  const next = random(seed);
  const pick = <T,>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const leaf = pick(LEAVES);
    const brand = pick(BRANDS);
    const words = Array.from({ length: 2 + Math.floor(next() * 4) }, () => pick(WORDS));
    const price = 1000 + Math.floor(next() * 500) * 100;
    return {
      id: `p${String(i).padStart(4, '0')}`,
      title: `${brand.name} ${words.join(' ')} ${leaf.names[1]}`,
      description: `${pick(WORDS)} ${pick(WORDS)}`,
      brand,
      categoryId: leaf.path.at(-1)!,
      categoryName: leaf.names.at(-1)!,
      categoryNames: leaf.names,
      categoryIds: leaf.path,
      frontendCategoryIds: next() < 0.5 ? ['f-hot'] : [],
      skuCodes: [`SKU-${i}`],
      attributes: { 颜色: [pick(COLORS)], ...(next() < 0.3 ? { 材质: ['纯棉'] } : {}) },
      minPrice: price,
      maxPrice: price + 500,
      currency: 'CNY',
      inStock: next() < 0.8,
      salesCount: Math.floor(next() * 50),
      listedAt: new Date(Date.UTC(2026, 0, 1 + (i % 300))).toISOString(),
      image: null,
      status: next() < 0.92 ? 'listed' : 'delisted',
      revision: 1,
    } satisfies ProductSearchDocument;
  });
}

const QUERIES: SearchQuery[] = [
  { q: '手机' },
  { q: '华为 手机', inStock: true },
  { q: '武侠 小说', sort: 'sales' },
  { q: 'wuxia xiaoshuo' },
  { q: 'sj' },
  { q: 'headphnoes' },
  { q: 'iphone', minPrice: 5000, maxPrice: 40000 },
  { q: '黑色', brandIds: ['b-huawei', 'b-apple'], attributes: { 颜色: ['黑色'] } },
  { q: '纯棉 T恤', sort: 'price_asc', page: 2, size: 5 },
  { q: '新款', sort: 'newest', size: 50 },
  { categoryIds: ['c-el'], sort: 'sales', size: 40 },
  { frontendCategoryIds: ['f-hot'], sort: 'price_desc' },
  { q: '不存在的词' },
  { q: 'pro max', synonyms: [['pro', 'professional']] },
];

async function answers(index: SearchIndex) {
  const searches = [];
  for (const query of QUERIES) searches.push(await index.search(query));
  const suggestions = [];
  for (const q of ['sh', '手', 'wx', 'wuxia', 'ip', '华']) suggestions.push(await index.suggest({ q }));
  return { count: await index.count(), searches, suggestions };
}

describe('sqlite search index: the persisted engine image', () => {
  let dir: string;
  let file: string;
  const databases: Database.Database[] = [];
  /** The image files beside the database (one once an image is recorded; older ones are removed). */
  const images = () => readdirSync(dir).filter((name) => name.startsWith('search.db-search-image-'));
  const open = (options: SqliteSearchIndexOptions = {}) => {
    const db = new Database(file);
    databases.push(db);
    return { db, index: sqliteSearchIndex(db, { snapshotEvery: 0, ...options }) };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bazaar-search-image-'));
    file = join(dir, 'search.db');
  });
  afterEach(() => {
    for (const db of databases.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reopened index answers exactly as the live one after writes, deletes and a crash between writes', async () => {
    const docs = catalog(400);
    const { index: live } = open();
    for (let i = 0; i < docs.length; i += 50) await live.upsert(docs.slice(i, i + 50));
    await live.remove(['p0003', 'p0010']);
    expect(live.persist()).toBe(true);
    expect(images()).toHaveLength(1);
    expect(live.persist()).toBe(false); // nothing new since

    // Writes after the image: new words (a new slot), prices and stock only, listing changes, deletes, new products.
    await live.upsert([
      { ...docs[20]!, title: '华为 Mate 折叠屏 智能手机 旗舰', revision: 2 },
      { ...docs[21]!, minPrice: 99, inStock: false, salesCount: 500, revision: 2 },
      { ...docs[22]!, status: 'delisted', revision: 2 },
    ]);
    await live.remove(['p0030', 'p0031']);
    await live.upsert(catalog(420, 3).slice(400).map((doc) => ({ ...doc, id: `n${doc.id}` })));
    await live.commit('search', [{ ...docs[40]!, title: 'Sony wireless headphones 蓝牙耳机', revision: 3 }], ['p0041'], 0, 17);
    // The writer "crashes" here: never closed, its last image older than its last writes.

    const { index: reopened } = open();
    expect(await answers(reopened)).toEqual(await answers(live));

    // Both keep answering alike as writes go on (the reopened one catches up with them).
    await live.upsert([{ ...docs[50]!, title: '三联书店 金庸 武侠小说 全集', revision: 4 }]);
    await live.remove(['p0060']);
    expect(await answers(reopened)).toEqual(await answers(live));

    // Built from the rows instead (no image): the same products match, with the same facets.
    const { index: fromRows } = open({ snapshot: false });
    const outline = async (index: SearchIndex) =>
      (await answers(index)).searches.map(({ total, facets, hits }) => ({ total, facets, ids: hits.map((hit) => hit.id).sort() }));
    expect((await outline(fromRows)).map(({ total, facets }) => ({ total, facets }))).toEqual(
      (await outline(live)).map(({ total, facets }) => ({ total, facets })),
    );
  });

  it('loads the image rather than the rows, and only the image recorded for the current generation', async () => {
    const docs = catalog(120);
    const { db, index: live } = open();
    await live.upsert(docs);
    await live.close(); // closing writes the image
    const probe = new Database(file);
    databases.push(probe);
    // Words changed behind the index's back (no new sequence): an engine loaded from the image does not see them.
    probe.prepare("UPDATE search_documents SET terms = 'zzzunique' || substr(terms, instr(terms, char(10))) WHERE id = 'p0005'").run();
    expect(db.open).toBe(false);
    const { index: fromImage } = open();
    expect((await fromImage.search({ q: 'zzzunique' })).total).toBe(0);
    const { index: fromRows } = open({ snapshot: false });
    expect((await fromRows.search({ q: 'zzzunique' })).total).toBe(docs[5]!.status === 'listed' ? 1 : 0);

    // An image id that is not the recorded one (a restored database, a torn write): the rows are read.
    probe.prepare("UPDATE search_meta SET value = value + 1 WHERE key = 'image'").run();
    const { index: stale } = open();
    expect((await stale.search({ q: 'zzzunique' })).total).toBe(docs[5]!.status === 'listed' ? 1 : 0);
  });

  it('a rebuild switches generations: the old image is not used, and a new one is written for the new generation', async () => {
    const docs = catalog(150);
    const { index: live } = open();
    await live.upsert(docs);
    expect(live.persist()).toBe(true);
    const rebuild = await live.beginRebuild();
    await rebuild.upsert(docs.slice(0, 60).map((doc) => ({ ...doc, title: `${doc.title} 重建`, revision: 5 })));
    await rebuild.commit({ projection: 'search', position: 9 });

    const { index: afterRebuild } = open();
    expect(await answers(afterRebuild)).toEqual(await answers(live));
    expect(await afterRebuild.count()).toBe(60);

    const before = images();
    expect(live.persist()).toBe(true);
    expect(images()).toHaveLength(1);
    expect(images()).not.toEqual(before);
    await live.upsert([{ ...docs[1]!, title: 'Apple iPhone 16 Pro Max 智能手机', revision: 6 }]);
    const { index: reopened } = open();
    expect(await answers(reopened)).toEqual(await answers(live));
    expect((await reopened.search({ q: '重建' })).total).toBe((await live.search({ q: '重建' })).total);
  });

  it('connections writing images share one file, the recorded one', async () => {
    const { index: a } = open();
    const { index: b } = open();
    await a.upsert(catalog(100));
    expect(b.persist()).toBe(true); // b catches up with a's writes first
    await a.upsert(catalog(130).slice(100));
    expect(a.persist()).toBe(true);
    expect(b.persist()).toBe(false); // as recent as the recorded image
    expect(images()).toHaveLength(1);
    const { index: reopened } = open();
    expect(await answers(reopened)).toEqual(await answers(a));
  });

  it('the next image removes what a writer that died mid-write left, never a live writer\'s temporary file', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    writeFileSync(join(dir, `search.db-search-image-7.${deadPid}.7.tmp`), 'partial');
    writeFileSync(join(dir, `search.db-search-image-8.${process.pid}.8.tmp`), 'being written');
    const { index: live } = open();
    await live.upsert(catalog(20));
    expect(live.persist()).toBe(true);
    expect(images().filter((name) => name.endsWith('.tmp'))).toEqual([`search.db-search-image-8.${process.pid}.8.tmp`]);
  });

  it('writes an image by itself after enough changes', async () => {
    const { index: live } = open({ snapshotEvery: 100, snapshotDelayMs: 0 });
    await live.upsert(catalog(80));
    expect(images()).toHaveLength(0);
    await live.upsert(catalog(150).slice(80));
    expect(images()).toHaveLength(1);
    const { index: reopened } = open();
    expect(await answers(reopened)).toEqual(await answers(live));
  });

  it('writes a due image in a worker thread while the index goes on answering and changing; a restart loads it', async () => {
    const { db, index: live } = open({ snapshotEvery: 100, snapshotDelayMs: 1 });
    const docs = catalog(400);
    await live.upsert(docs.slice(0, 300));
    const recorded = () => db.prepare("SELECT value FROM search_meta WHERE key = 'image'").pluck().get() as number | undefined;
    // The due write runs in the background: the index answers and takes writes meanwhile.
    const deadline = Date.now() + 10_000;
    while (!recorded() && Date.now() < deadline) {
      expect((await live.search({ q: '手机' })).total).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(recorded()).toBeGreaterThan(0);
    expect(images()).toEqual([`search.db-search-image-${recorded()}`]);
    await live.upsert(docs.slice(300)); // after the image: a reopened index applies these rows on top
    const { index: reopened } = open();
    expect(await answers(reopened)).toEqual(await answers(live));
    await live.close();
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
