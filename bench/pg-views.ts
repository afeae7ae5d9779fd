/**
 * PostgreSQL view store vs the SQLite one, in the same run: find() page latency over 100,000 documents with
 * an ensureIndex'd filter + sort (first pages and keyset pages deep into the result), and commit throughput.
 *
 *   npx tsx bench/pg-views.ts [--docs N] [--quick]     (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 *
 * Writes its section of BENCHMARKS.md unless --quick.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresPool } from '../src/adapters/postgres/pool.js';
import { postgresViewStore } from '../src/adapters/viewstore/postgres.js';
import { sqliteViewStore } from '../src/adapters/viewstore/sqlite.js';
import type { FindQuery, ViewStore, ViewWrite } from '../src/ports/view-store.js';
import { writeSection } from './lib/benchmarks-md.js';
import { machineInfo, machineMarkdown } from './lib/machine.js';
import { int, ms, summarize, table } from './lib/stats.js';

const HEADING = '## PostgreSQL view store';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const docsArg = args.indexOf('--docs');
const DOCS = docsArg >= 0 ? Number(args[docsArg + 1]) : quick ? 20_000 : 100_000;
const FINDS = quick ? 300 : 2000;
const COMMITS = quick ? 300 : 2000;
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const STATUSES = ['pending_payment', 'paid', 'shipped', 'delivered', 'cancelled'];
const USERS = 2000;
/** A document shaped like an order view (about 400 bytes of JSON). */
const orderDoc = (n: number, version = 0) => ({
  orderId: `o${String(n).padStart(7, '0')}`,
  userId: `u${n % USERS}`,
  status: STATUSES[(n * 7) % STATUSES.length],
  placedAt: new Date(Date.UTC(2026, 0, 1) + n * 37_000).toISOString(),
  total: { amount: 1000 + ((n * 131) % 90_000), currency: 'CNY' },
  items: [{ skuId: `sku-${n % 500}`, title: 'Cotton T-shirt', quantity: 1 + (n % 3), unitPrice: { amount: 9900, currency: 'CNY' } }],
  version,
});

interface Result {
  seedDocsPerSec: number;
  pages: Record<string, ReturnType<typeof summarize>>;
  commits: { sequential: number; concurrent: number };
}

async function measure(views: ViewStore, analyze: () => Promise<void>): Promise<Result> {
  await views.ensureIndex('orders', ['status', 'placedAt']);
  await views.ensureIndex('orders', ['userId', 'placedAt']);
  let started = performance.now();
  const batch = 1000;
  for (let from = 0; from < DOCS; from += batch) {
    const writes: ViewWrite[] = Array.from({ length: Math.min(batch, DOCS - from) }, (_, k) => ({ collection: 'orders', id: `o${String(from + k).padStart(7, '0')}`, doc: orderDoc(from + k) }));
    await views.commit('orders', writes, from / batch, from / batch + 1);
  }
  const seedDocsPerSec = DOCS / ((performance.now() - started) / 1000);
  await analyze();

  const time = async (query: FindQuery) => {
    const t = performance.now();
    const page = await views.find('orders', query);
    return { ms: performance.now() - t, next: page.nextCursor };
  };
  const pages: Result['pages'] = {};
  const shapes: Array<[string, (n: number) => FindQuery, number]> = [
    // [label, query, pages followed through nextCursor per sample]
    ['status = ?, placedAt desc, first page (20)', (n) => ({ where: { status: STATUSES[n % STATUSES.length]! }, orderBy: { field: 'placedAt', direction: 'desc' }, limit: 20 }), 1],
    ['status = ?, placedAt desc, pages 2–10 by cursor', (n) => ({ where: { status: STATUSES[n % STATUSES.length]! }, orderBy: { field: 'placedAt', direction: 'desc' }, limit: 20 }), 10],
    ['userId = ?, placedAt desc, first page (20)', (n) => ({ where: { userId: `u${(n * 17) % USERS}` }, orderBy: { field: 'placedAt', direction: 'desc' }, limit: 20 }), 1],
  ];
  for (let n = 0; n < 100; n++) await time(shapes[0]![1](n)); // warm-up
  for (const [label, query, depth] of shapes) {
    const samples: number[] = [];
    for (let n = 0; samples.length < FINDS; n++) {
      let cursor: string | null = null;
      for (let page = 0; page < depth; page++) {
        const { ms: took, next } = await time({ ...query(n), cursor });
        if (depth === 1 || page > 0) samples.push(took);
        cursor = next;
        if (!cursor) break;
      }
    }
    pages[label] = summarize(samples);
  }

  // Commits: a projection batch of 10 order updates (a read-modify-write's write half) and its checkpoint move.
  const commitBatch = (k: number): ViewWrite[] =>
    Array.from({ length: 10 }, (_, j) => {
      const n = (k * 10 + j) % DOCS;
      return { collection: 'orders', id: `o${String(n).padStart(7, '0')}`, doc: orderDoc(n, k + 1) };
    });
  started = performance.now();
  for (let k = 0; k < COMMITS; k++) await views.commit('seq', commitBatch(k), k, k + 1);
  const sequential = COMMITS / ((performance.now() - started) / 1000);
  const writers = 8;
  started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < COMMITS / writers; k++) await views.commit(`conc${w}`, commitBatch(w * 1234 + k), k, k + 1); // disjoint documents per writer
    }),
  );
  const concurrent = COMMITS / ((performance.now() - started) / 1000);
  return { seedDocsPerSec, pages, commits: { sequential, concurrent } };
}

async function main() {
  const machine = machineInfo();
  const loadAtStart = loadavg();
  // PostgreSQL: a schema of its own, dropped at the end.
  const pool = createPostgresPool(url, 10);
  const schema = `bench_views_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-views-'));
  let pg: Result;
  let sqlite: Result;
  try {
    const server = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const settings = Object.fromEntries(
      (await pool.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync')`)).rows.map((row) => [row.name, row.setting]),
    );
    const pgViews = await postgresViewStore(pool, { schema });
    console.error(`PostgreSQL ${server}: ${DOCS} documents…`);
    pg = await measure(pgViews, async () => {
      const { rows } = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'vd_orders_%'`, [schema]);
      for (const row of rows) await pool.query(`VACUUM ANALYZE ${schema}.${row.tablename}`);
      await pool.query('CHECKPOINT').catch(() => {}); // the seed's dirty pages written before measuring (needs superuser)
    });
    await pgViews.close();

    // SQLite as the runtime opens it (src/main.ts: WAL, synchronous=normal, 64 MiB cache, mmap).
    const db = new Database(join(dir, 'views.db'));
    db.pragma('synchronous = normal');
    db.pragma('cache_size = -65536');
    db.pragma('mmap_size = 1073741824');
    db.pragma('wal_autocheckpoint = 20000');
    const sqliteViews = sqliteViewStore(db);
    console.error(`SQLite: ${DOCS} documents…`);
    sqlite = await measure(sqliteViews, async () => {
      db.exec('ANALYZE');
      db.pragma('wal_checkpoint(TRUNCATE)');
    });
    await sqliteViews.close();

    const rows = Object.keys(pg.pages).map((label) => [
      label,
      `${ms(pg.pages[label]!.p50)} / ${ms(pg.pages[label]!.p99)}`,
      `${ms(sqlite.pages[label]!.p50)} / ${ms(sqlite.pages[label]!.p99)}`,
    ]);
    rows.push(['commit, 10 docs + checkpoint, sequential (commits/s)', int(pg.commits.sequential), int(sqlite.commits.sequential)]);
    rows.push(['commit, 10 docs + checkpoint, 8 projections at once (commits/s)', int(pg.commits.concurrent), int(sqlite.commits.concurrent)]);
    rows.push(['seed: 1,000-document commits (docs/s)', int(pg.seedDocsPerSec), int(sqlite.seedDocsPerSec)]);
    const section = [
      HEADING,
      '',
      `Generated by \`npx tsx bench/pg-views.ts\`: ${int(DOCS)} order-shaped documents (~400 B JSON) in one collection, indexes`,
      "ensureIndex'd on (status, placedAt) and (userId, placedAt); find p50 / p99 over " + `${int(FINDS)} pages each, then ${int(COMMITS)} commits per mode.`,
      `PostgreSQL ${server} on the same host over TCP (shared_buffers ${Math.round((Number(settings.shared_buffers) * 8) / 1024)} MiB, fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}: every commit is durable);`,
      'SQLite in-process as src/main.ts opens it (WAL, synchronous=normal: durable at checkpoints, not per commit). Both after ANALYZE and a checkpoint.',
      '',
      machineMarkdown(machine),
      `- Load average (1/5/15 min) at start ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')}, at the end ${loadavg().map((x) => x.toFixed(2)).join(' / ')} (other work shares the cores: p99s are the first to suffer)`,
      '',
      table(['', 'PostgreSQL', 'SQLite'], rows, ['l', 'r', 'r']),
      '',
      'A find is one round trip to a named prepared statement answered by an index range scan (keyset pages too: the',
      'cursor bound is an index condition); a commit whose tables exist and whose writer read its checkpoint is one',
      'autocommit statement (checkpoint compare-and-set CTE + batched upsert/delete) and one WAL flush. The gap to',
      'SQLite is the round trip, JSONB decoding, the per-commit flush, and three non-HOT index updates per document.',
    ].join('\n');
    console.log(section);
    if (!quick) writeSection(join(process.cwd(), 'BENCHMARKS.md'), HEADING, section);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
