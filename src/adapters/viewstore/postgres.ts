/**
 * ViewStore on PostgreSQL: documents as JSONB, ONE TABLE PER COLLECTION AND GENERATION
 * (`vd_<slug>_<hash>_g<generation>`, `id TEXT COLLATE "C" PRIMARY KEY, doc JSONB`).
 *
 * Why a table per collection+generation rather than one table with a collection column:
 * - every declared index is a plain expression index of its own table: no partial-index predicate the
 *   planner must prove from a literal `collection = '…'` (a parameter would not do), and statistics,
 *   autovacuum and index sizes are the collection's own, not those of every view mixed together;
 * - a blue-green generation is its own table, so dropping the old one after a switch (or an interrupted
 *   rebuild's leftovers) is a DROP TABLE — instant, no million-row DELETE, no bloat left for vacuum.
 * The price: DDL on the first write to a collection (serialized by an advisory lock, see ensureTable) and a
 * small per-process cache of which generation each collection is read from.
 *
 * Sort and filter semantics are the SQLite adapter's (json_extract): each field is compared as the triple
 * (rank, num, txt) — rank 0 null/missing, 1 number or boolean (true = 1, false = 0), 2 string (or an
 * object/array, as its JSON text); num the numeric value (0 otherwise), txt the string in byte order
 * (COLLATE "C", as SQLite's BINARY; '' otherwise). Ordering by the triple then id gives SQLite's order
 * (NULL first ascending, last descending; numbers before strings); equality on the triple gives SQLite's
 * `=` (true matches 1, '36' does not match 36, null matches null and missing). The triple has no NULLs,
 * so a keyset page is one row comparison `(rank, num, txt, id) > (…)` that a btree index over the same
 * expressions (ensureIndex: each field's triple, then id) answers as an index range, not a filter.
 * Cursors are the SQLite adapter's `[sortKey, id]` (booleans as 1/0), validated by decodeKeysetCursor.
 *
 * commit: the checkpoint compare-and-set (`UPDATE … WHERE position = from AND generation = read`, or an
 * INSERT … ON CONFLICT for 0) and the writes in one transaction; CheckpointMoved and nothing written when it
 * matches no row. Usually that is ONE statement (the compare-and-set as a CTE the upserts/deletes join), so
 * a commit costs one round trip and one WAL flush; a first write to a new table, or generations changed since
 * this process loaded them, take an explicit transaction instead. Blue-green: see beginRebuild (generation
 * tables, the switch in one transaction, the old tables dropped after dropGraceMs).
 *
 * Differences from SQLite that the port allows: JSONB does not keep key order (documents compare equal,
 * their JSON text may list keys in another order) and refuses the escape \u0000 in strings.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  CheckpointMoved,
  type FieldValue,
  type FindPage,
  type FindQuery,
  type ViewDocument,
  type ViewRebuild,
  type ViewStore,
  type ViewWrite,
  foldAscii,
} from '../../ports/view-store.js';
import { decodeKeysetCursor, encodeCursor, type CursorKey } from '../../kernel/cursor.js';
import { translateErrors } from '../../kernel/errors.js';
import { migrateOnce, NO_STATEMENT_TIMEOUT, postgresError, schemaName } from '../postgres/pool.js';

export interface PostgresViewStoreOptions {
  /** The schema of the tables (default `public`). */
  schema?: string;
  /** How long reads may use the generations they loaded before they look again (ms, default 1000). */
  generationCacheMs?: number;
  /** How long a rebuild's switch waits before it drops the old generation (ms, default 2000: above generationCacheMs). */
  dropGraceMs?: number;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

interface FieldKey {
  rank: string;
  num: string;
  txt: string;
}

/** The (rank, num, txt) expressions of a (dotted) field; identical text in indexes and queries. */
/** `FindQuery.contains` folds ASCII letters only (PostgreSQL's lower() would fold more). */
const ASCII_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';

function fieldKey(field: string): FieldKey {
  if (!FIELD.test(field)) throw new Error(`invalid field name: ${field}`);
  // Quoted elements: an unquoted NULL in an array literal would be a NULL path element.
  const value = `(doc #> '{${field
    .split('.')
    .map((part) => `"${part}"`)
    .join(',')}}'::text[])`;
  const type = `jsonb_typeof(${value})`;
  return {
    rank: `(CASE ${type} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'object' THEN 2 WHEN 'array' THEN 2 ELSE 0 END)`,
    num: `(CASE ${type} WHEN 'number' THEN ${value}::numeric WHEN 'boolean' THEN (CASE WHEN ${value}::boolean THEN 1 ELSE 0 END)::numeric ELSE 0::numeric END)`,
    txt: `((CASE ${type} WHEN 'string' THEN ${value} #>> '{}'::text[] WHEN 'object' THEN ${value}::text WHEN 'array' THEN ${value}::text ELSE ''::text END) COLLATE "C")`,
  };
}

/** A value as its (rank, num, txt) triple, as SQLite's json_extract compares it. */
function triple(value: FieldValue | CursorKey): { rank: 0 | 1 | 2; num: number; txt: string } {
  if (value === null) return { rank: 0, num: 0, txt: '' };
  if (typeof value === 'boolean') return { rank: 1, num: value ? 1 : 0, txt: '' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot match the number ${value}`);
    return { rank: 1, num: value, txt: '' };
  }
  if (typeof value === 'string') return { rank: 2, num: 0, txt: value };
  throw new Error('only strings, finite numbers, booleans and null can be matched');
}

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The table prefix of a collection (every generation's table starts with it); lower-case, ≤ 41 characters. */
const tablePrefix = (collection: string): string => `vd_${collection.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24)}_${hash(collection, 10)}_g`;
const tableOf = (collection: string, generation: number): string => `${tablePrefix(collection)}${generation}`;
/** ≤ 63 characters (PostgreSQL's limit): the table name, then a hash of the fields. */
const indexOf = (table: string, fields: string[]): string => `${table}_x${hash(fields.join(','), 8)}`;
/** The checkpoint of a rebuild's generation. */
const rebuildKey = (projection: string, generation: number): string => `${projection}~g${generation}`;

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;
const UNDEFINED_TABLE = '42P01';
/** Another session created the same table or index at the same moment. */
const isDuplicate = (error: unknown) => ['23505', '42P07', '42710'].includes(errorCode(error) ?? '');
const DEADLOCK = '40P01';

/** The writes of one commit reduced to the last one per document (the same end state), by collection, ids sorted. */
function lastWrites(writes: ViewWrite[]): Map<string, { upserts: Array<[string, string]>; deletes: string[] }> {
  const byCollection = new Map<string, Map<string, string | null>>();
  for (const write of writes) {
    let docs = byCollection.get(write.collection);
    if (!docs) byCollection.set(write.collection, (docs = new Map()));
    docs.delete(write.id);
    docs.set(write.id, write.doc === null ? null : JSON.stringify(write.doc));
  }
  const result = new Map<string, { upserts: Array<[string, string]>; deletes: string[] }>();
  for (const collection of [...byCollection.keys()].sort()) {
    const docs = byCollection.get(collection)!;
    const ids = [...docs.keys()].sort();
    result.set(collection, {
      upserts: ids.filter((id) => docs.get(id) !== null).map((id) => [id, docs.get(id)!]),
      deletes: ids.filter((id) => docs.get(id) === null),
    });
  }
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every method (and a rebuild's) throws EngineUnavailableError when the server cannot be reached (postgresError). */
export async function postgresViewStore(pool: pg.Pool, options: PostgresViewStoreOptions = {}): Promise<ViewStore> {
  const schema = schemaName(options);
  const s = schema;
  const CP = `${s}.view_checkpoints`;
  const GEN = `${s}.view_generations`;
  const IDX = `${s}.view_indexes`;

  await migrateOnce(pool, schema, 'viewstore', [
    `CREATE TABLE IF NOT EXISTS ${CP} (
       projection TEXT COLLATE "C" PRIMARY KEY,
       position   BIGINT NOT NULL,
       generation INT NOT NULL DEFAULT 0, -- the live generation of the projection's collections
       latest     INT NOT NULL DEFAULT 0  -- the latest generation a rebuild started
     );
     -- The generation each collection is read from (absent: 0), and the declared indexes (a new generation gets them).
     CREATE TABLE IF NOT EXISTS ${GEN} (collection TEXT COLLATE "C" PRIMARY KEY, generation INT NOT NULL);
     CREATE TABLE IF NOT EXISTS ${IDX} (collection TEXT COLLATE "C" NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (collection, fields));`,
  ]);

  const generationCacheMs = options.generationCacheMs ?? 1000;
  const dropGraceMs = options.dropGraceMs ?? 2000;

  /** Named (prepared once per connection) statements: the name is a hash of the text. */
  const statement = (text: string, values: unknown[]) => ({ name: `vs_${hash(text, 20)}`, text, values });

  // ------------------------------------------------------------------------------------------
  // Tables

  /** Tables known to exist (created here or seen); a generation's table is never re-created once dropped. */
  const knownTables = new Set<string>();

  const tableDdl = (table: string) => `CREATE TABLE IF NOT EXISTS ${s}.${table} (id TEXT COLLATE "C" PRIMARY KEY, doc JSONB NOT NULL)`;
  const indexDdl = (table: string, fields: string[]) => {
    const columns = fields.flatMap((field) => {
      const key = fieldKey(field);
      return [key.rank, key.num, key.txt];
    });
    return `CREATE INDEX IF NOT EXISTS ${indexOf(table, fields)} ON ${s}.${table} (${columns.map((column) => `(${column})`).join(', ')}, id)`;
  };

  /**
   * Creates the collection's table of the generation with its declared indexes, in the client's open
   * transaction. The advisory lock serializes creators of the same table across processes (a concurrent
   * CREATE … IF NOT EXISTS of one name can otherwise fail on the catalog's unique indexes).
   */
  const createTable = async (client: pg.PoolClient, collection: string, generation: number) => {
    const table = tableOf(collection, generation);
    await client.query(NO_STATEMENT_TIMEOUT); // DDL may wait for another session's index build
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bazaar-views:${s}.${table}`]);
    await client.query(tableDdl(table));
    const declared = await client.query<{ fields: string }>(`SELECT fields FROM ${IDX} WHERE collection = $1`, [collection]);
    for (const row of declared.rows) await client.query(indexDdl(table, JSON.parse(row.fields) as string[]));
  };

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if (errorCode(error) === DEADLOCK && attempt < 3) continue; // nothing was written: run it again
        throw error;
      } finally {
        client.release();
      }
    }
  }

  /** Whether the table exists (remembered once it does: a read of a collection never written is no server error). */
  const tableExists = async (table: string): Promise<boolean> => {
    if (knownTables.has(table)) return true;
    const { rows } = await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${s}.${table}`]);
    if (rows[0]?.t) knownTables.add(table);
    return Boolean(rows[0]?.t);
  };

  /** Creates the table (and its declared indexes) in a transaction of its own, unless it exists. */
  const ensureTable = async (collection: string, generation: number) => {
    const table = tableOf(collection, generation);
    if (await tableExists(table)) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await transaction((client) => createTable(client, collection, generation));
        break;
      } catch (error) {
        if (!isDuplicate(error) || attempt >= 3) throw error;
      }
    }
    knownTables.add(table);
  };

  /** The collection's tables in the catalog, by generation. */
  const tablesOf = async (collection: string): Promise<Array<{ table: string; generation: number }>> => {
    const prefix = tablePrefix(collection);
    const { rows } = await pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 AND starts_with(tablename, $2)', [s, prefix]);
    return rows
      .map((row) => ({ table: row.tablename, rest: row.tablename.slice(prefix.length) }))
      .filter((row) => /^[0-9]+$/.test(row.rest))
      .map((row) => ({ table: row.table, generation: Number(row.rest) }));
  };

  const dropTable = async (collection: string, generation: number) => {
    const table = tableOf(collection, generation);
    // Waits for reads under way on it (they hold a lock); reads queued behind it find it gone and look again.
    await pool.query(`DROP TABLE IF EXISTS ${s}.${table}`);
    knownTables.delete(table);
  };

  // ------------------------------------------------------------------------------------------
  // Generations

  // The generation each collection is read from, loaded at most every generationCacheMs (and by every
  // checkpoint(), in the same snapshot as the checkpoint: what a writer reads after it is never older than the
  // generation its commit is checked against). A load never replaces a newer one.
  let generations: { map: Map<string, number>; at: number } | undefined;
  let loadSeq = 0;
  let storedSeq = 0;
  let loading: Promise<Map<string, number>> | undefined;
  const toMap = (rows: Array<{ collection: string; generation: number }>) => new Map(rows.map((row) => [row.collection, Number(row.generation)]));
  const storeGenerations = (seq: number, map: Map<string, number>) => {
    if (seq <= storedSeq) return;
    storedSeq = seq;
    generations = { map, at: Date.now() };
  };
  const forgetGenerations = () => {
    storedSeq = ++loadSeq;
    generations = undefined;
    loading = undefined;
  };
  const loadGenerations = (): Promise<Map<string, number>> => {
    if (loading) return loading;
    const seq = ++loadSeq;
    const load = pool
      .query<{ collection: string; generation: number }>(`SELECT collection, generation FROM ${GEN}`)
      .then(({ rows }) => {
        const map = toMap(rows);
        storeGenerations(seq, map);
        return map;
      })
      .finally(() => {
        if (loading === load) loading = undefined;
      });
    return (loading = load);
  };
  const liveGeneration = async (collection: string): Promise<number> => {
    const map = generations && Date.now() - generations.at <= generationCacheMs ? generations.map : await loadGenerations();
    return map.get(collection) ?? 0;
  };

  /**
   * Runs a read on the collection's live table; a missing table (never written, or a generation another
   * process dropped after its switch) reloads the generations once, then counts as empty.
   */
  async function onLive<R>(collection: string, read: (table: string) => Promise<R>, empty: R): Promise<R> {
    const attempt = async (generation: number): Promise<{ done: true; value: R } | { done: false }> => {
      const table = tableOf(collection, generation);
      if (!(await tableExists(table))) return { done: false };
      try {
        return { done: true, value: await read(table) };
      } catch (error) {
        if (errorCode(error) !== UNDEFINED_TABLE) throw error;
        knownTables.delete(table);
        return { done: false };
      }
    };
    const before = await liveGeneration(collection);
    const first = await attempt(before);
    if (first.done) return first.value;
    const after = (await loadGenerations()).get(collection) ?? 0;
    if (after === before) return empty;
    const second = await attempt(after);
    return second.done ? second.value : empty;
  }

  /** The projection's live generation when this store last read its checkpoint (see ViewStore.commit). */
  const readGeneration = new Map<string, number>();

  // ------------------------------------------------------------------------------------------
  // Reads

  const getIn = async <T extends ViewDocument>(table: string, id: string): Promise<T | null> => {
    const { rows } = await pool.query<{ doc: T }>(statement(`SELECT doc FROM ${s}.${table} WHERE id = $1`, [id]));
    return rows[0]?.doc ?? null;
  };

  /** Validates the query (fields, values, cursor) and returns a function running it on a table. */
  const prepareFind = <T extends ViewDocument>(query: FindQuery) => {
    const limit = query.limit ?? 50;
    const values: unknown[] = [];
    const param = (value: unknown, type: string) => {
      values.push(value);
      return `$${values.length}::${type}`;
    };
    const conditions: string[] = [];
    for (const [field, value] of Object.entries(query.where ?? {})) {
      const key = fieldKey(field);
      const t = triple(value);
      conditions.push(`${key.rank} = ${t.rank}`);
      conditions.push(t.rank === 1 ? `${key.num} = ${param(t.num, 'numeric')}` : `${key.num} = 0::numeric`);
      conditions.push(t.rank === 2 ? `${key.txt} = ${param(t.txt, 'text')}` : `${key.txt} = ''::text`);
    }
    if (query.contains?.text) {
      const needle = param(foldAscii(query.contains.text), 'text');
      const fields = query.contains.fields.map((field) => `strpos(translate(${fieldKey(field).txt}, '${ASCII_UPPER}', '${ASCII_LOWER}'), ${needle}) > 0`);
      conditions.push(`(${fields.join(' OR ')})`);
    }
    const order = query.orderBy;
    const sort = order ? fieldKey(order.field) : null;
    const desc = order?.direction === 'desc';
    if (query.cursor) {
      const { sortKey, id } = decodeKeysetCursor(query.cursor);
      if (!sort) conditions.push(`id > ${param(id, 'text')}`);
      else {
        const t = triple(sortKey);
        conditions.push(`(${sort.rank}, ${sort.num}, ${sort.txt}, id) ${desc ? '<' : '>'} (${t.rank}, ${param(t.num, 'numeric')}, ${param(t.txt, 'text')}, ${param(id, 'text')})`);
      }
    }
    const dir = desc ? 'DESC' : 'ASC';
    const columns = sort ? `, ${sort.rank} AS r, ${sort.num}::text AS n, ${sort.txt} AS t` : '';
    const orderBy = sort ? `${sort.rank} ${dir}, ${sort.num} ${dir}, ${sort.txt} ${dir}, id ${dir}` : 'id ASC';
    // A literal, not a parameter: with LIMIT known the generic plan costs what a custom one does, so PostgreSQL
    // keeps the prepared plan instead of planning every first page again. (SQLite: a negative LIMIT is none.)
    if (!Number.isSafeInteger(limit)) throw new Error(`invalid limit: ${limit}`);
    const limitParam = limit + 1 < 0 ? 'ALL' : String(limit + 1);
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';

    return async (table: string): Promise<FindPage<T>> => {
      const text = `SELECT id, doc${columns} FROM ${s}.${table}${where} ORDER BY ${orderBy} LIMIT ${limitParam}`;
      const { rows } = await pool.query<{ id: string; doc: T; r?: number; n?: string; t?: string }>(statement(text, values));
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      let nextCursor: string | null = null;
      if (rows.length > limit && last) {
        const sortKey = !sort ? last.id : last.r === 0 ? null : last.r === 1 ? Number(last.n) : last.t!;
        nextCursor = encodeCursor([sortKey, last.id]);
      }
      return { items: page.map((row) => row.doc), nextCursor };
    };
  };

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Writes the documents into the generation's tables, inside the open transaction. */
  async function writeAll(client: pg.PoolClient, byCollection: ReturnType<typeof lastWrites>, generationOf: (collection: string) => number, created: string[]) {
    const missing = [...byCollection.keys()].map((collection) => ({ collection, generation: generationOf(collection) })).filter(({ collection, generation }) => !knownTables.has(tableOf(collection, generation)));
    if (missing.length > 0) {
      const { rows } = await client.query<{ name: string }>(
        'SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass($2 || name) IS NOT NULL',
        [missing.map(({ collection, generation }) => tableOf(collection, generation)), `${s}.`],
      );
      const present = new Set(rows.map((row) => row.name));
      for (const { collection, generation } of missing) {
        const table = tableOf(collection, generation);
        if (!present.has(table)) {
          await client.query('SAVEPOINT create_table');
          try {
            await createTable(client, collection, generation);
            await client.query('RELEASE SAVEPOINT create_table');
          } catch (error) {
            // Created by another session meanwhile (committed): it is there for the writes below.
            if (!isDuplicate(error)) throw error;
            await client.query('ROLLBACK TO SAVEPOINT create_table');
          }
        }
        created.push(table);
      }
    }
    for (const [collection, { upserts, deletes }] of byCollection) {
      const table = tableOf(collection, generationOf(collection));
      if (upserts.length > 0) {
        await client.query(
          statement(
            `INSERT INTO ${s}.${table} (id, doc) SELECT w.id, w.doc::jsonb FROM unnest($1::text[], $2::text[]) AS w(id, doc) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`,
            [upserts.map(([id]) => id), upserts.map(([, doc]) => doc)],
          ),
        );
      }
      if (deletes.length > 0) await client.query(statement(`DELETE FROM ${s}.${table} WHERE id = ANY($1::text[])`, [deletes]));
    }
  }

  /**
   * The common commit as ONE autocommit statement (one round trip, atomic as any statement): the checkpoint's
   * compare-and-set in a CTE, each table's upserts and deletes joined to its result, so nothing is written
   * when it matched no row. `cas` uses $1…$n of `casValues`. Null when a table is not known to exist.
   */
  const oneStatement = (cas: string, casValues: unknown[], byCollection: ReturnType<typeof lastWrites>, generationOf: (collection: string) => number) => {
    const values = [...casValues];
    const param = (value: unknown, type: string) => {
      values.push(value);
      return `$${values.length}::${type}`;
    };
    const ctes = [`cas AS (${cas})`];
    let n = 0;
    for (const [collection, { upserts, deletes }] of byCollection) {
      const table = tableOf(collection, generationOf(collection));
      if (!knownTables.has(table)) return null;
      n++;
      if (upserts.length > 0) {
        ctes.push(
          `u${n} AS (INSERT INTO ${s}.${table} (id, doc) SELECT w.id, w.doc::jsonb FROM cas, unnest(${param(
            upserts.map(([id]) => id),
            'text[]',
          )}, ${param(
            upserts.map(([, doc]) => doc),
            'text[]',
          )}) AS w(id, doc) ORDER BY w.id ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc)`,
        );
      }
      if (deletes.length > 0) ctes.push(`d${n} AS (DELETE FROM ${s}.${table} AS t USING cas WHERE t.id = ANY(${param(deletes, 'text[]')}))`);
    }
    return { text: `WITH ${ctes.join(', ')} SELECT 1 FROM cas`, values };
  };

  /** Runs a one-statement commit; false when it wrote nothing (its compare-and-set matched no row). Throws UNDEFINED_TABLE. */
  const runOneStatement = async (commit: { text: string; values: unknown[] }): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return ((await pool.query(statement(commit.text, commit.values))).rowCount ?? 0) > 0;
      } catch (error) {
        if (errorCode(error) === DEADLOCK && attempt < 3) continue;
        throw error;
      }
    }
  };

  const positionOf = async (client: pg.PoolClient | pg.Pool, projection: string): Promise<number> => {
    const { rows } = await client.query<{ position: number | string }>(`SELECT position FROM ${CP} WHERE projection = $1`, [projection]);
    return rows[0] ? Number(rows[0].position) : 0;
  };

  const collectionGenerations = async (client: pg.PoolClient, collections: string[]): Promise<Map<string, number>> => {
    const { rows } = await client.query<{ collection: string; generation: number }>(`SELECT collection, generation FROM ${GEN} WHERE collection = ANY($1::text[])`, [collections]);
    return new Map(rows.map((row) => [row.collection, Number(row.generation)]));
  };

  return translateErrors<ViewStore>({
    async get<T extends ViewDocument>(collection: string, id: string) {
      return onLive<T | null>(collection, (table) => getIn<T>(table, id), null);
    },

    async find<T extends ViewDocument>(collection: string, query: FindQuery = {}): Promise<FindPage<T>> {
      const run = prepareFind<T>(query);
      return onLive(collection, run, { items: [], nextCursor: null });
    },

    async ensureIndex(collection: string, fields: string[]) {
      if (fields.length === 0) return;
      for (const field of fields) fieldKey(field);
      await transaction(async (client) => {
        await client.query(`INSERT INTO ${IDX} (collection, fields) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [collection, JSON.stringify(fields)]);
      });
      const live = (await loadGenerations()).get(collection) ?? 0;
      await ensureTable(collection, live);
      // Every generation there is (the live one, a rebuild under way: whichever is switched in has it). An index
      // that exists is left alone: CREATE INDEX … IF NOT EXISTS would still take the table's SHARE lock first.
      for (const { table } of await tablesOf(collection)) {
        const index = indexOf(table, fields);
        if ((await pool.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${s}.${index}`])).rows[0]?.t) continue;
        for (let attempt = 1; ; attempt++) {
          try {
            await transaction(async (client) => {
              await client.query(NO_STATEMENT_TIMEOUT); // an index over a large table takes its time
              await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bazaar-views:${s}.${table}`]);
              if ((await client.query('SELECT to_regclass($1)::text AS t', [`${s}.${table}`])).rows[0]?.t) await client.query(indexDdl(table, fields));
            });
            break;
          } catch (error) {
            if (!isDuplicate(error) || attempt >= 3) throw error;
          }
        }
      }
    },

    async checkpoint(projection: string) {
      const seq = ++loadSeq;
      const { rows } = await pool.query<{ position: number | string | null; generation: number | null; generations: Array<{ collection: string; generation: number }> }>(
        statement(
          `SELECT c.position, c.generation, (SELECT coalesce(json_agg(g), '[]') FROM ${GEN} AS g) AS generations FROM (SELECT 1) AS one LEFT JOIN ${CP} AS c ON c.projection = $1`,
          [projection],
        ),
      );
      const row = rows[0]!;
      storeGenerations(seq, toMap(row.generations));
      readGeneration.set(projection, Number(row.generation ?? 0));
      return Number(row.position ?? 0);
    },

    async commit(projection: string, writes: ViewWrite[], from: number, to: number) {
      const byCollection = lastWrites(writes);
      const expected = readGeneration.get(projection);
      if (expected !== undefined) {
        // One statement, when every table is known: the generations this process has for the collections must
        // still be the stored ones (checked in the compare-and-set, else the transaction below decides), and
        // the projection's generation the one the writer read (a switch since moves it).
        const map = generations?.map ?? (await loadGenerations());
        const collections = [...byCollection.keys()];
        const values: unknown[] = [projection, to, from, expected, collections, collections.map((collection) => map.get(collection) ?? 0)];
        const guessed = `NOT EXISTS (SELECT 1 FROM unnest($5::text[], $6::int[]) AS x(collection, generation) WHERE coalesce((SELECT g.generation FROM ${GEN} AS g WHERE g.collection = x.collection), 0) <> x.generation)`;
        const cas =
          from === 0
            ? `INSERT INTO ${CP} AS c (projection, position) SELECT $1, $2 WHERE ${guessed} ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position WHERE c.position = $3 AND c.generation = $4 AND ${guessed} RETURNING c.generation`
            : `UPDATE ${CP} AS c SET position = $2 WHERE c.projection = $1 AND c.position = $3 AND c.generation = $4 AND ${guessed} RETURNING c.generation`;
        // A projection never committed has no row: the INSERT above must not create one in generation ≠ 0.
        const commit = from === 0 && expected !== 0 ? null : oneStatement(cas, values, byCollection, (collection) => map.get(collection) ?? 0);
        if (commit) {
          try {
            if (await runOneStatement(commit)) return;
            const { rows } = await pool.query<{ position: number | string; generation: number }>(`SELECT position, generation FROM ${CP} WHERE projection = $1`, [projection]);
            const actual = rows[0] ? Number(rows[0].position) : 0;
            if (actual !== from || (rows[0] ? Number(rows[0].generation) : 0) !== expected) throw new CheckpointMoved(projection, from, actual);
            forgetGenerations(); // the collections' generations moved: the transaction below reads them
          } catch (error) {
            if (errorCode(error) !== UNDEFINED_TABLE) throw error;
            for (const collection of collections) knownTables.delete(tableOf(collection, map.get(collection) ?? 0));
          }
        }
      }
      const created: string[] = [];
      const generation = await transaction(async (client) => {
        created.length = 0;
        // 1. Move the checkpoint, only from where this writer started (and in the generation it read).
        const values: unknown[] = [projection, to, from];
        const sameGeneration = expected === undefined ? '' : ` AND c.generation = $${values.push(expected)}`;
        const moved =
          from === 0
            ? await client.query<{ generation: number }>(
                `INSERT INTO ${CP} AS c (projection, position) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position WHERE c.position = $3${sameGeneration} RETURNING c.generation`,
                values,
              )
            : await client.query<{ generation: number }>(`UPDATE ${CP} AS c SET position = $2 WHERE c.projection = $1 AND c.position = $3${sameGeneration} RETURNING c.generation`, values);
        if (moved.rows.length === 0) throw new CheckpointMoved(projection, from, await positionOf(client, projection));
        // 2. The documents, into the generation each collection is read from (read after the checkpoint's row
        // lock: a switch is either wholly before this or waits for it).
        const current = byCollection.size > 0 ? await collectionGenerations(client, [...byCollection.keys()]) : new Map<string, number>();
        await writeAll(client, byCollection, (collection) => current.get(collection) ?? 0, created);
        return Number(moved.rows[0]!.generation);
      });
      for (const table of created) knownTables.add(table);
      if (expected === undefined) readGeneration.set(projection, generation);
    },

    async reset(projection: string, collections: string[]) {
      await transaction(async (client) => {
        await client.query(NO_STATEMENT_TIMEOUT); // emptying a large read model takes its time
        await client.query(`INSERT INTO ${CP} AS c (projection, position) VALUES ($1, 0) ON CONFLICT (projection) DO UPDATE SET position = 0`, [projection]);
        const current = await collectionGenerations(client, collections);
        for (const collection of collections) {
          const table = tableOf(collection, current.get(collection) ?? 0);
          const exists = (await client.query('SELECT to_regclass($1) AS t', [`${s}.${table}`])).rows[0]?.t;
          if (exists) await client.query(`DELETE FROM ${s}.${table}`);
        }
      });
    },

    async beginRebuild(projection: string, collections: string[]): Promise<ViewRebuild> {
      const key = (generation: number) => rebuildKey(projection, generation);
      const { generation, live } = await transaction(async (client) => {
        const { rows } = await client.query<{ latest: number }>(
          `INSERT INTO ${CP} AS c (projection, position, latest) VALUES ($1, 0, 1) ON CONFLICT (projection) DO UPDATE SET latest = c.latest + 1 RETURNING c.latest`,
          [projection],
        );
        const next = Number(rows[0]!.latest);
        // An interrupted rebuild's checkpoint: its writer gets CheckpointMoved from now on.
        const earlier = Array.from({ length: next - 1 }, (_, n) => key(n + 1));
        if (earlier.length > 0) await client.query(`DELETE FROM ${CP} WHERE projection = ANY($1::text[])`, [earlier]);
        await client.query(`INSERT INTO ${CP} (projection, position) VALUES ($1, 0)`, [key(next)]);
        return { generation: next, live: await collectionGenerations(client, collections) };
      });
      // What an interrupted rebuild (or a switch that could not drop) left: every older generation but the live one.
      for (const collection of collections) {
        for (const table of await tablesOf(collection)) {
          if (table.generation < generation && table.generation !== (live.get(collection) ?? 0)) await dropTable(collection, table.generation);
        }
      }
      for (const collection of collections) await ensureTable(collection, generation);
      const written = new Set(collections);

      return translateErrors<ViewRebuild>({
        generation,
        get: <T extends ViewDocument>(collection: string, id: string) => getIn<T>(tableOf(collection, generation), id).catch((error: unknown) => {
          if (errorCode(error) === UNDEFINED_TABLE) return null;
          throw error;
        }),
        find: <T extends ViewDocument>(collection: string, query: FindQuery = {}) => {
          const run = prepareFind<T>(query);
          return run(tableOf(collection, generation)).catch((error: unknown) => {
            if (errorCode(error) === UNDEFINED_TABLE) return { items: [], nextCursor: null };
            throw error;
          });
        },
        checkpoint: () => positionOf(pool, key(generation)),
        async commit(writes, from, to) {
          const byCollection = lastWrites(writes);
          for (const collection of byCollection.keys()) written.add(collection);
          const cas = `UPDATE ${CP} SET position = $2 WHERE projection = $1 AND position = $3 RETURNING generation`;
          const commit = oneStatement(cas, [key(generation), to, from], byCollection, () => generation);
          if (commit) {
            try {
              if (await runOneStatement(commit)) return;
              throw new CheckpointMoved(key(generation), from, await positionOf(pool, key(generation)));
            } catch (error) {
              // A table of the generation is gone (another rebuild began): the transaction below finds out why.
              if (errorCode(error) !== UNDEFINED_TABLE) throw error;
              for (const collection of byCollection.keys()) knownTables.delete(tableOf(collection, generation));
            }
          }
          const created: string[] = [];
          await transaction(async (client) => {
            created.length = 0;
            // Gone when another rebuild of the projection began, or this one was switched or aborted.
            const moved = await client.query(`UPDATE ${CP} SET position = $2 WHERE projection = $1 AND position = $3`, [key(generation), to, from]);
            if (moved.rowCount === 0) throw new CheckpointMoved(key(generation), from, await positionOf(client, key(generation)));
            await writeAll(client, byCollection, () => generation, created);
          });
          for (const table of created) knownTables.add(table);
        },
        async switch() {
          const old = await transaction(async (client) => {
            const stored = await client.query<{ latest: number }>(`SELECT latest FROM ${CP} WHERE projection = $1 FOR UPDATE`, [projection]);
            const rebuilt = await client.query<{ position: number | string }>(`SELECT position FROM ${CP} WHERE projection = $1 FOR UPDATE`, [key(generation)]);
            if (Number(stored.rows[0]?.latest) !== generation || !rebuilt.rows[0]) {
              throw new CheckpointMoved(key(generation), rebuilt.rows[0] ? Number(rebuilt.rows[0].position) : 0, -1);
            }
            const current = await collectionGenerations(client, collections);
            await client.query(
              `INSERT INTO ${GEN} (collection, generation) SELECT c, $2 FROM unnest($1::text[]) AS c ON CONFLICT (collection) DO UPDATE SET generation = EXCLUDED.generation`,
              [collections, generation],
            );
            // The writer that read the old generation's checkpoint now gets CheckpointMoved.
            await client.query(`UPDATE ${CP} SET position = $2, generation = $3, latest = $3 WHERE projection = $1`, [projection, Number(rebuilt.rows[0].position), generation]);
            await client.query(`DELETE FROM ${CP} WHERE projection = $1`, [key(generation)]);
            return collections.map((collection) => ({ collection, generation: current.get(collection) ?? 0 }));
          });
          forgetGenerations();
          await sleep(dropGraceMs);
          // The switch has happened: an old table that cannot be dropped now is dropped by the next beginRebuild.
          for (const { collection, generation: previous } of old) {
            if (previous !== generation) await dropTable(collection, previous).catch(() => {});
          }
        },
        async abort() {
          const live = await transaction(async (client) => {
            await client.query(`DELETE FROM ${CP} WHERE projection = $1`, [key(generation)]);
            const { rows } = await client.query<{ generation: number }>(`SELECT generation FROM ${CP} WHERE projection = $1`, [projection]);
            return Number(rows[0]?.generation ?? 0);
          });
          if (live === generation) return; // already switched in (a failure after the switch): never drop the live tables
          for (const collection of written) await dropTable(collection, generation);
        },
      }, postgresError);
    },

    async ping() {
      await pool.query('SELECT 1');
    },

    async close() {
      // The pool is the caller's: it stays open.
      forgetGenerations();
      knownTables.clear();
    },
  }, postgresError);
}
