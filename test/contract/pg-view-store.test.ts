import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresViewStore } from '../../src/adapters/viewstore/postgres.js';
import { sqliteViewStore } from '../../src/adapters/viewstore/sqlite.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { CheckpointMoved, type FindQuery, type ViewDocument, type ViewStore } from '../../src/ports/view-store.js';
import { POSTGRES_URL, freshSchema, postgresAvailable } from '../support/postgres.js';

/** What only the PostgreSQL view store has to prove: index use, SQLite's order, two processes, the catalog after a rebuild. */
describe.skipIf(!postgresAvailable())('ViewStore postgres adapter', () => {
  let schema: string;
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  const others: pg.Pool[] = [];
  beforeAll(async () => {
    ({ schema, pool, drop } = await freshSchema('views'));
  });
  afterAll(async () => {
    for (const other of others) await other.end();
    await drop?.();
  });
  /** A second "process": a pool of its own on the same schema. */
  const otherPool = () => {
    const other = createPostgresPool(POSTGRES_URL, 4);
    others.push(other);
    return other;
  };
  const tables = async (like: string) =>
    (await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2 ORDER BY 1`, [schema, like])).rows.map((row) => row.tablename);

  async function allPages(views: ViewStore, collection: string, query: FindQuery): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: ViewDocument[]; nextCursor: string | null } = await views.find(collection, { ...query, cursor });
      ids.push(...page.items.map((item) => item.id as string));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  it('pages through the declared expression index: equality prefix and keyset bound are index conditions, no sort', async () => {
    const views = await postgresViewStore(pool, { schema });
    await views.ensureIndex('orders', ['status', 'placedAt']);
    const writes = Array.from({ length: 5000 }, (_, n) => ({
      collection: 'orders',
      id: `o${String(n).padStart(5, '0')}`,
      doc: { id: `o${n}`, status: ['paid', 'shipped', 'cancelled', 'pending'][n % 4], placedAt: `2026-01-${String(1 + (n % 28)).padStart(2, '0')}T${n}` },
    }));
    await views.commit('orders', writes, 0, 1);
    await pool.query(`ANALYZE ${schema}.${(await tables('vd_orders_%'))[0]}`);

    const ran: Array<{ text: string; values: unknown[] }> = [];
    const query = pool.query.bind(pool);
    pool.query = ((config: { text?: string; values?: unknown[] }, ...rest: unknown[]) => {
      if (typeof config === 'object' && config.text?.startsWith('SELECT id, doc')) ran.push({ text: config.text, values: config.values ?? [] });
      return (query as (...args: unknown[]) => unknown)(config, ...rest);
    }) as typeof pool.query;
    try {
      const first = await views.find('orders', { where: { status: 'paid' }, orderBy: { field: 'placedAt', direction: 'desc' }, limit: 10 });
      await views.find('orders', { where: { status: 'paid' }, orderBy: { field: 'placedAt', direction: 'desc' }, limit: 10, cursor: first.nextCursor });
    } finally {
      pool.query = query;
    }
    expect(ran).toHaveLength(2);
    for (const { text, values } of ran) {
      const plan = (await pool.query(`EXPLAIN ${text}`, values)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan Backward using vd_orders_\w+_g0_x/);
      expect(plan).not.toMatch(/Sort|Seq Scan|Filter/);
    }
    const keyset = (await pool.query(`EXPLAIN ${ran[1]!.text}`, ran[1]!.values)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
    expect(keyset).toMatch(/Index Cond: .*ROW\(/s);
  });

  it('orders and filters exactly as the SQLite adapter, across numbers, booleans, strings, null and missing', async () => {
    const pgViews = await postgresViewStore(pool, { schema });
    const sqlite = sqliteViewStore(new Database(':memory:'));
    const values: unknown[] = [null, undefined, 0, -1, 1, 1.5, 2, 10, 1e21, -0.25, true, false, '', '1', '10', '2', 'A', 'Z', 'a', 'é', 'e', 'zz', '€', '😀', 'ａ'];
    const docs = values.flatMap((value, n) =>
      [0, 1].map((copy) => {
        const id = `d${String((n * 7 + copy * 3) % 50).padStart(2, '0')}${copy}`;
        return { collection: 'mixed', id, doc: value === undefined ? { id, group: copy } : { id, v: value, nested: { v: value }, group: copy } };
      }),
    );
    for (const views of [pgViews, sqlite]) {
      await views.ensureIndex('mixed', ['group', 'v']);
      await views.commit('mixed', docs, 0, 1);
    }
    for (const field of ['v', 'nested.v']) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const where of [undefined, { group: 1 }]) {
          const expected = await allPages(sqlite, 'mixed', { where, orderBy: { field, direction }, limit: 1000 });
          expect(expected.length).toBeGreaterThan(20);
          for (const limit of [1, 3, 7]) expect(await allPages(pgViews, 'mixed', { where, orderBy: { field, direction }, limit }), `${field} ${direction} ${limit}`).toEqual(expected);
        }
      }
    }
    for (const v of [null, 0, 1, true, false, '1', 'a', 'é', 1.5, 1e21, 'missing']) {
      for (const field of ['v', 'nested.v']) {
        const expected = await allPages(sqlite, 'mixed', { where: { [field]: v } });
        expect(await allPages(pgViews, 'mixed', { where: { [field]: v }, limit: 2 }), `${field} = ${JSON.stringify(v)}`).toEqual(expected);
      }
    }
    // A cursor is the SQLite adapter's too: either store continues the other's page.
    const page = await sqlite.find('mixed', { orderBy: { field: 'v', direction: 'asc' }, limit: 9 });
    const next = await pgViews.find('mixed', { orderBy: { field: 'v', direction: 'asc' }, limit: 1000, cursor: page.nextCursor });
    expect([...page.items, ...next.items].map((item) => item.id)).toEqual(await allPages(sqlite, 'mixed', { orderBy: { field: 'v', direction: 'asc' }, limit: 1000 }));
    await sqlite.close();
  });

  it('round-trips numbers exactly', async () => {
    const views = await postgresViewStore(pool, { schema });
    const doc = { a: 0.1, b: 0.30000000000000004, c: 2 ** 53 - 1, d: -(2 ** 53) + 1, e: 1e21, f: 1.7976931348623157e308, g: 5e-324, h: -0.5, i: 123456789.12345679, list: [1e-7, 3] };
    await views.commit('numbers', [{ collection: 'numbers', id: 'n', doc }], 0, 1);
    const stored = await views.get('numbers', 'n');
    expect(stored).toEqual(doc);
    for (const [key, value] of Object.entries(doc)) if (typeof value === 'number') expect(Object.is(stored![key], value), key).toBe(true);
    // A cursor on a float continues exactly after it.
    await views.commit('numbers', [0.1, 0.2, 0.30000000000000004, 0.3, 1e21, 5e-324].map((x, n) => ({ collection: 'floats', id: `f${n}`, doc: { id: `f${n}`, x } })), 1, 2);
    expect(await allPages(views, 'floats', { orderBy: { field: 'x', direction: 'asc' }, limit: 1 })).toEqual(['f5', 'f0', 'f1', 'f3', 'f2', 'f4']);
  });

  it('two processes committing one projection: exactly one wins each checkpoint step, the loser writes nothing', async () => {
    // Both start at once on a schema of their own: the migrations serialize.
    const { schema: raced, pool: first, drop: dropRaced } = await freshSchema('views_race');
    const second = otherPool();
    try {
      const [a, b] = await Promise.all([postgresViewStore(first, { schema: raced }), postgresViewStore(second, { schema: raced })]);
      const wins = { a: 0, b: 0 };
      let position = 0;
      for (let step = 0; step < 40; step++) {
        const from = position;
        const attempts = await Promise.allSettled(
          ([['a', a], ['b', b]] as const).map(([who, views]) =>
            views.commit(
              'race',
              [
                { collection: 'race_docs', id: `${who}-${step}`, doc: { who, step } },
                { collection: 'race_docs', id: `shared-${step}`, doc: { who, step } },
                { collection: 'race_other', id: `${who}-${step}`, doc: { who } },
              ],
              from,
              from + 1,
            ),
          ),
        );
        const won = attempts.map((attempt) => attempt.status === 'fulfilled');
        expect(won.filter(Boolean), `step ${step}`).toHaveLength(1);
        const loser = attempts.find((attempt) => attempt.status === 'rejected') as PromiseRejectedResult;
        expect(loser.reason).toBeInstanceOf(CheckpointMoved);
        expect(loser.reason).toMatchObject({ projection: 'race', expected: from, actual: from + 1 });
        const winner = won[0] ? 'a' : 'b';
        const other = won[0] ? 'b' : 'a';
        wins[winner]++;
        position = from + 1;
        for (const views of [a, b]) {
          expect(await views.get('race_docs', `${winner}-${step}`)).toEqual({ who: winner, step });
          expect(await views.get('race_docs', `${other}-${step}`)).toBeNull();
          expect(await views.get('race_docs', `shared-${step}`)).toEqual({ who: winner, step });
          expect(await views.get('race_other', `${other}-${step}`)).toBeNull();
          expect(await views.checkpoint('race')).toBe(position);
        }
      }
      expect(wins.a + wins.b).toBe(40);
      const all = await allPages(a, 'race_docs', { limit: 25 });
      expect(all).toHaveLength(80); // one own document and one shared per step
    } finally {
      await dropRaced();
    }
  });

  it('serves the old generation to another process until the switch, then the new one; its stale writer is refused; the old tables are dropped', async () => {
    const rebuilder = await postgresViewStore(pool, { schema, dropGraceMs: 60, generationCacheMs: 20 });
    const server = await postgresViewStore(otherPool(), { schema, dropGraceMs: 60, generationCacheMs: 20 });
    await server.ensureIndex('holds', ['status']);
    await server.commit('holds', [{ collection: 'holds', id: 'h1', doc: { id: 'h1', status: 'old' } }], 0, 4);
    expect(await server.checkpoint('holds')).toBe(4);

    const rebuild = await rebuilder.beginRebuild('holds', ['holds']);
    expect(await tables('vd_holds_%')).toEqual([expect.stringMatching(/_g0$/), expect.stringMatching(/_g1$/)]);
    await rebuild.commit([{ collection: 'holds', id: 'h2', doc: { id: 'h2', status: 'new' } }], 0, 4);
    expect((await server.find('holds', { where: { status: 'old' } })).items).toEqual([{ id: 'h1', status: 'old' }]);
    await rebuild.switch();
    expect((await server.find('holds', { where: { status: 'new' } })).items).toEqual([{ id: 'h2', status: 'new' }]);
    expect(await server.get('holds', 'h1')).toBeNull();
    await expect(server.commit('holds', [{ collection: 'holds', id: 'stale', doc: {} }], 4, 5)).rejects.toBeInstanceOf(CheckpointMoved);
    expect(await server.get('holds', 'stale')).toBeNull();
    expect(await server.checkpoint('holds')).toBe(4);
    await server.commit('holds', [{ collection: 'holds', id: 'h3', doc: { id: 'h3', status: 'new' } }], 4, 5);
    expect((await rebuilder.find('holds')).items.map((doc) => doc.id)).toEqual(['h2', 'h3']);

    const [live] = await tables('vd_holds_%');
    expect(await tables('vd_holds_%')).toEqual([expect.stringMatching(/_g1$/)]);
    const indexes = (await pool.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1', [schema, live])).rows.map((row) => row.indexname);
    expect(indexes).toEqual([`${live}_pkey`, expect.stringMatching(new RegExp(`^${live}_x`))]);
  });

  it('reads, after checkpoint(), the generation that checkpoint belongs to, however long the generation cache', async () => {
    const writer = await postgresViewStore(otherPool(), { schema, generationCacheMs: 60_000 });
    const rebuilder = await postgresViewStore(pool, { schema, dropGraceMs: 1500 }); // the old generation stays meanwhile
    await writer.commit('stock', [{ collection: 'stock', id: 's', doc: { qty: 1 } }], 0, 1);
    expect(await writer.get('stock', 's')).toEqual({ qty: 1 }); // the cache is loaded here
    const rebuild = await rebuilder.beginRebuild('stock', ['stock']);
    await rebuild.commit([{ collection: 'stock', id: 's', doc: { qty: 2 } }], 0, 1);
    const switching = rebuild.switch();
    while ((await pool.query(`SELECT 1 FROM ${schema}.view_generations WHERE collection = 'stock'`)).rowCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // What the writer computed from the old generation is refused; once it read the checkpoint again it reads the new one.
    await expect(writer.commit('stock', [{ collection: 'stock', id: 's', doc: { qty: 3 } }], 1, 2)).rejects.toBeInstanceOf(CheckpointMoved);
    expect(await writer.checkpoint('stock')).toBe(1);
    expect(await writer.get('stock', 's')).toEqual({ qty: 2 });
    await writer.commit('stock', [{ collection: 'stock', id: 's', doc: { qty: 4 } }], 1, 2);
    expect(await rebuilder.get('stock', 's')).toEqual({ qty: 4 });
    await switching;
  });

  it('commits in one statement once the writer read its checkpoint; a collection switched under a stale cache still gets the live generation', async () => {
    const writerPool = otherPool();
    const writer = await postgresViewStore(writerPool, { schema, generationCacheMs: 60_000 });
    const owner = await postgresViewStore(pool, { schema, dropGraceMs: 1500 }); // generation 0 stays meanwhile
    await owner.commit('owner', [{ collection: 'shared_c', id: 'a', doc: { v: 'owner-0' } }], 0, 1);
    expect(await writer.checkpoint('guest')).toBe(0);
    await writer.commit('guest', [{ collection: 'shared_c', id: 'b', doc: { v: 'guest-0' } }], 0, 1);

    let queries = 0;
    let connects = 0;
    const [query, connect] = [writerPool.query.bind(writerPool), writerPool.connect.bind(writerPool)];
    writerPool.query = ((...args: unknown[]) => (queries++, (query as (...a: unknown[]) => unknown)(...args))) as typeof writerPool.query;
    writerPool.connect = ((...args: unknown[]) => (connects++, (connect as (...a: unknown[]) => unknown)(...args))) as typeof writerPool.connect;
    try {
      await writer.commit('guest', [{ collection: 'shared_c', id: 'b', doc: { v: 'guest-1' } }, { collection: 'shared_c', id: 'gone', doc: null }], 1, 2);
      expect({ queries, connects }).toEqual({ queries: 1, connects: 1 }); // pool.query's own checkout: no transaction
    } finally {
      writerPool.query = query;
      writerPool.connect = connect;
    }

    // The owner's rebuild switches the collection; the writer's cache (60 s) still says generation 0.
    const rebuild = await owner.beginRebuild('owner', ['shared_c']);
    await rebuild.commit([{ collection: 'shared_c', id: 'a', doc: { v: 'owner-1' } }], 0, 1);
    const switching = rebuild.switch();
    while ((await pool.query(`SELECT 1 FROM ${schema}.view_generations WHERE collection = 'shared_c'`)).rowCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.commit('guest', [{ collection: 'shared_c', id: 'c', doc: { v: 'guest-2' } }], 2, 3);
    expect(await owner.get('shared_c', 'c')).toEqual({ v: 'guest-2' });
    expect((await owner.find('shared_c')).items).toEqual([{ v: 'owner-1' }, { v: 'guest-2' }]);
    expect(await writer.checkpoint('guest')).toBe(3);
    await switching;
  });

  it('creates a new collection\'s table once when two processes write to it first at the same moment', async () => {
    const [a, b] = await Promise.all([postgresViewStore(pool, { schema }), postgresViewStore(otherPool(), { schema })]);
    for (let n = 0; n < 10; n++) {
      const collection = `fresh_${n}`;
      if (n % 2 === 0) await a.ensureIndex(collection, ['k']); // declared before the table exists: created with it; odd ones race to create it
      const writers = [a, b, a, b].map((views, w) => views.commit(`fresh_${n}_${w}`, [{ collection, id: `w${w}`, doc: { k: w } }], 0, 1));
      expect((await Promise.allSettled(writers)).map((attempt) => attempt.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((await b.find(collection, { orderBy: { field: 'k', direction: 'desc' } })).items).toEqual([{ k: 3 }, { k: 2 }, { k: 1 }, { k: 0 }]);
    }
    const [table] = await tables('vd_fresh_0_%');
    expect((await pool.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [schema, table])).rowCount).toBe(2);
  });

  it('ensureIndex during a rebuild indexes both generations', async () => {
    const views = await postgresViewStore(pool, { schema, dropGraceMs: 10 });
    await views.commit('late', [{ collection: 'late_c', id: 'a', doc: { k: 1 } }], 0, 1);
    const rebuild = await views.beginRebuild('late', ['late_c']);
    await views.ensureIndex('late_c', ['k']);
    const indexed = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_indexes WHERE schemaname = $1 AND tablename LIKE 'vd_late_c_%' AND indexname NOT LIKE '%_pkey' ORDER BY 1`, [schema]);
    expect(indexed.rows.map((row) => row.tablename)).toEqual([expect.stringMatching(/_g0$/), expect.stringMatching(/_g1$/)]);
    await rebuild.abort();
  });

  it('drops what an interrupted rebuild left when a new one begins, and never the live tables on abort after a switch', async () => {
    const views = await postgresViewStore(pool, { schema, dropGraceMs: 10 });
    await views.commit('carts', [{ collection: 'carts', id: 'c', doc: { v: 'live' } }], 0, 1);
    const interrupted = await views.beginRebuild('carts', ['carts']);
    await interrupted.commit([{ collection: 'carts', id: 'c', doc: { v: 'half' } }], 0, 1);
    expect(await tables('vd_carts_%')).toEqual([expect.stringMatching(/_g0$/), expect.stringMatching(/_g1$/)]);
    const restarted = await views.beginRebuild('carts', ['carts']);
    expect(await tables('vd_carts_%')).toEqual([expect.stringMatching(/_g0$/), expect.stringMatching(/_g2$/)]);
    await restarted.commit([{ collection: 'carts', id: 'c', doc: { v: 'rebuilt' } }], 0, 1);
    await restarted.switch();
    await restarted.abort(); // as the runner does when something after the switch fails
    expect(await views.get('carts', 'c')).toEqual({ v: 'rebuilt' });
    expect(await tables('vd_carts_%')).toEqual([expect.stringMatching(/_g2$/)]);
  });

  it('close leaves the caller’s pool open', async () => {
    const views = await postgresViewStore(pool, { schema });
    await views.close();
    await expect(pool.query('SELECT 1')).resolves.toBeDefined();
  });
});
