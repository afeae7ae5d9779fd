import type Database from 'better-sqlite3';
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
import { decodeKeysetCursor, encodeCursor } from '../../kernel/cursor.js';
import { groupCommit, immediateBatchWrite, type Outcome } from '../sqlite/group-commit.js';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function fieldPath(field: string): string {
  if (!FIELD.test(field)) throw new Error(`invalid field name: ${field}`);
  return `'$.${field}'`;
}

/** A string literal (collections are named in the SQL, so partial indexes apply to the query). */
const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** The partial index of a collection over `fields` (then `id`). */
const indexName = (collection: string, fields: string[]): string => `pidx_${collection}_${fields.join('_')}`.replace(/[^A-Za-z0-9_]/g, '_');

const toSqlValue = (value: FieldValue): string | number | null => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

interface ProjectionCommit {
  projection: string;
  writes: ViewWrite[];
  from: number;
  to: number;
  /** A rebuild's generation: write there, under its own checkpoint, instead of the live one. */
  generation?: number;
}

/** Where a collection's documents of a generation live: generation 0 under the collection's own name. */
const physical = (collection: string, generation: number): string => (generation === 0 ? collection : `${collection}~g${generation}`);
/** The checkpoint of a rebuild's generation. */
const rebuildKey = (projection: string, generation: number): string => `${projection}~g${generation}`;
/** Documents deleted per statement when a generation is dropped (other writers get the lock in between). */
const DROP_CHUNK = 1000;

export interface SqliteViewStoreOptions {
  /** How long a rebuild's switch waits before it drops the old generation (reads under way finish; ms, default 1000). */
  dropGraceMs?: number;
}

/**
 * ViewStore on SQLite: one table of JSON documents, expression indexes on declared fields. Commits that
 * arrive in the same tick (the projections woken by one append) share one IMMEDIATE transaction (group
 * commit); each runs in its own savepoint, so a moved checkpoint fails only its own projection.
 */
export function sqliteViewStore(db: Database.Database, options: SqliteViewStoreOptions = {}): ViewStore {
  // Waits for a lock first: switching to WAL takes one, and several processes may open the file at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS documents (
      collection TEXT NOT NULL,
      id         TEXT NOT NULL,
      doc        TEXT NOT NULL,
      PRIMARY KEY (collection, id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS checkpoints (
      projection TEXT PRIMARY KEY,
      position   INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Blue-green rebuilds: the generation each collection is read from (absent: 0), each projection's live
    -- generation and the latest one a rebuild started, and the declared indexes (a new generation gets them).
    CREATE TABLE IF NOT EXISTS view_generations (collection TEXT PRIMARY KEY, generation INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS projection_generations (projection TEXT PRIMARY KEY, live INTEGER NOT NULL, latest INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_indexes (collection TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (collection, fields)) WITHOUT ROWID;
  `);

  const selectDoc = db.prepare<[string, string], { doc: string }>('SELECT doc FROM documents WHERE collection = ? AND id = ?');
  const upsertDoc = db.prepare(
    'INSERT INTO documents (collection, id, doc) VALUES (?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc',
  );
  const deleteDoc = db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?');
  const deleteChunk = db.prepare(`DELETE FROM documents WHERE collection = ? AND id IN (SELECT id FROM documents WHERE collection = ? LIMIT ${DROP_CHUNK})`);
  const selectCheckpoint = db.prepare<[string], { position: number }>('SELECT position FROM checkpoints WHERE projection = ?');
  const upsertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
  );
  const deleteCheckpoint = db.prepare('DELETE FROM checkpoints WHERE projection = ?');
  const selectGenerations = db.prepare<[], { collection: string; generation: number }>('SELECT collection, generation FROM view_generations');
  const selectGeneration = db.prepare<[string], number>('SELECT generation FROM view_generations WHERE collection = ?').pluck();
  const upsertGeneration = db.prepare(
    'INSERT INTO view_generations (collection, generation) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET generation = excluded.generation',
  );
  const selectProjection = db.prepare<[string], { live: number; latest: number }>('SELECT live, latest FROM projection_generations WHERE projection = ?');
  const upsertProjection = db.prepare(
    'INSERT INTO projection_generations (projection, live, latest) VALUES (?, ?, ?) ON CONFLICT (projection) DO UPDATE SET live = excluded.live, latest = excluded.latest',
  );
  const insertIndex = db.prepare('INSERT OR IGNORE INTO view_indexes (collection, fields) VALUES (?, ?)');
  const selectIndexes = db.prepare<[string], string>('SELECT fields FROM view_indexes WHERE collection = ?').pluck();
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const findStatements = new Map<string, Database.Statement>();
  const indexExists = db.prepare<[string], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?`);
  const knownIndexes = new Set<string>();
  /**
   * The declared index that serves a find of this shape (its equality fields, then its sort field), if it
   * exists (created by this connection or another: the projector thread creates them). Named in the query:
   * without statistics SQLite prefers the primary key's `collection = ?` and sorts the whole collection in a
   * temporary B-tree, which for a find without a filter (the expiry sweep's holds by `expiresAt`) grows with
   * the collection, on the event loop.
   */
  const indexFor = (collection: string, fields: string[]): string | null => {
    if (fields.length === 0) return null;
    const name = indexName(collection, fields);
    if (knownIndexes.has(name)) return name;
    if (!indexExists.get(name)) return null;
    knownIndexes.add(name);
    return name;
  };

  const checkpointOf = (projection: string) => selectCheckpoint.get(projection)?.position ?? 0;
  const liveGeneration = (projection: string) => selectProjection.get(projection)?.live ?? 0;

  // The generation each collection is read from, reloaded when another connection committed something (a
  // rebuild's switch there changes it); this connection's own switch forgets it (seenVersion = -1).
  let generations = new Map<string, number>();
  let seenVersion = -1;
  const live = (collection: string): string => {
    const version = dataVersion.get()!;
    if (version !== seenVersion) {
      seenVersion = version;
      generations = new Map(selectGenerations.all().map((row) => [row.collection, row.generation]));
    }
    return physical(collection, generations.get(collection) ?? 0);
  };

  /**
   * The projection's live generation when this store last read its checkpoint: a commit is refused once a
   * rebuild switched since, as the writer's reads may come from the old generation.
   */
  const readGeneration = new Map<string, number>();

  const commitOne = db.transaction((commit: ProjectionCommit) => {
    const key = commit.generation === undefined ? commit.projection : rebuildKey(commit.projection, commit.generation);
    const actual = checkpointOf(key);
    if (commit.generation === undefined) {
      const generation = liveGeneration(commit.projection);
      const expected = readGeneration.get(commit.projection);
      if (actual !== commit.from || (expected !== undefined && expected !== generation)) throw new CheckpointMoved(commit.projection, commit.from, actual);
      if (expected === undefined) readGeneration.set(commit.projection, generation);
    } else if (actual !== commit.from || selectProjection.get(commit.projection)?.latest !== commit.generation) {
      throw new CheckpointMoved(key, commit.from, actual); // or another rebuild took over
    }
    const names = new Map<string, string>();
    const nameOf = (collection: string) => {
      let name = names.get(collection);
      if (name === undefined) names.set(collection, (name = physical(collection, commit.generation ?? selectGeneration.get(collection) ?? 0)));
      return name;
    };
    for (const write of commit.writes) {
      if (write.doc === null) deleteDoc.run(nameOf(write.collection), write.id);
      else upsertDoc.run(nameOf(write.collection), write.id, JSON.stringify(write.doc));
    }
    upsertCheckpoint.run(key, commit.to);
  });
  // Inside the outer transaction each commitOne is a savepoint: a failure rolls back only its own writes.
  const commitGroup = db.transaction((batch: ProjectionCommit[]): Array<Outcome<void>> =>
    batch.map((commit) => {
      try {
        commitOne(commit);
        return { ok: true, value: undefined };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const commits = groupCommit(immediateBatchWrite(db, commitGroup));

  const resetTx = db.transaction((projection: string, collections: string[]) => {
    for (const collection of collections) {
      const name = physical(collection, selectGeneration.get(collection) ?? 0);
      while (deleteChunk.run(name, name).changes > 0);
    }
    upsertCheckpoint.run(projection, 0);
  });

  const createIndex = (name: string, fields: string[]) => {
    // Partial: only the collection's own writes maintain it (all collections share one table).
    const index = indexName(name, fields);
    const columns = fields.map((field) => `json_extract(doc, ${fieldPath(field)})`).join(', ');
    db.exec(`CREATE INDEX IF NOT EXISTS ${index} ON documents (${columns}, id) WHERE collection = ${sqlString(name)}`);
    knownIndexes.add(index);
  };

  /** Deletes a generation's documents of the collection, a chunk per transaction, and its indexes. */
  const dropGeneration = async (collection: string, generation: number) => {
    const name = physical(collection, generation);
    while (deleteChunk.run(name, name).changes > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const fields of selectIndexes.all(collection)) {
      const index = indexName(name, JSON.parse(fields) as string[]);
      db.exec(`DROP INDEX IF EXISTS ${index}`);
      knownIndexes.delete(index);
    }
  };

  /** Starts generation latest + 1; returns it and the generations an interrupted rebuild or switch left behind. */
  const beginTx = db.transaction((projection: string, collections: string[]) => {
    const row = selectProjection.get(projection) ?? { live: 0, latest: 0 };
    const generation = row.latest + 1;
    upsertProjection.run(projection, row.live, generation);
    const leftovers: Array<{ collection: string; generation: number }> = [];
    for (let g = 0; g <= row.latest; g++) {
      if (g > 0) deleteCheckpoint.run(rebuildKey(projection, g));
      for (const collection of collections) if (g !== (selectGeneration.get(collection) ?? 0)) leftovers.push({ collection, generation: g });
    }
    upsertCheckpoint.run(rebuildKey(projection, generation), 0);
    return { generation, leftovers };
  });

  /** Makes the generation live; returns the generation each collection was read from until now. */
  const switchTx = db.transaction((projection: string, collections: string[], generation: number) => {
    const key = rebuildKey(projection, generation);
    if (selectProjection.get(projection)?.latest !== generation) throw new CheckpointMoved(key, checkpointOf(key), -1);
    const old = collections.map((collection) => ({ collection, generation: selectGeneration.get(collection) ?? 0 }));
    for (const collection of collections) upsertGeneration.run(collection, generation);
    upsertProjection.run(projection, generation, generation);
    upsertCheckpoint.run(projection, checkpointOf(key));
    deleteCheckpoint.run(key);
    return old;
  });

  /** `cursorKey` is the sort value the previous page ended on (SQLite sorts NULL first ascending, last descending). */
  function findStatement(collection: string, query: FindQuery, cursorKey: unknown): Database.Statement {
    const where = Object.entries(query.where ?? {}).map(([field, value]) =>
      value === null ? `json_extract(doc, ${fieldPath(field)}) IS NULL` : `json_extract(doc, ${fieldPath(field)}) = ?`,
    );
    // SQLite's lower() folds ASCII letters only, as the port asks.
    if (query.contains?.text) where.push(`(${query.contains.fields.map((field) => `instr(lower(json_extract(doc, ${fieldPath(field)})), ?) > 0`).join(' OR ')})`);
    const order = query.orderBy;
    const sortExpr = order ? `json_extract(doc, ${fieldPath(order.field)})` : 'id';
    const dir = order?.direction === 'desc' ? 'DESC' : 'ASC';
    if (query.cursor) {
      if (!order) where.push('id > ?');
      else if (cursorKey === null) where.push(dir === 'ASC' ? `(${sortExpr} IS NOT NULL OR id > ?)` : `(${sortExpr} IS NULL AND id < ?)`);
      // Ascending, the redundant `>=` bound lets SQLite seek the index to the cursor instead of walking to it.
      else if (dir === 'ASC') where.push(`${sortExpr} >= ? AND (${sortExpr} > ? OR (${sortExpr} = ? AND id > ?))`);
      else where.push(`(${sortExpr} < ? OR (${sortExpr} = ? AND id < ?) OR ${sortExpr} IS NULL)`);
    }
    const index = order ? indexFor(collection, [...Object.keys(query.where ?? {}), order.field]) : null;
    const sqlUsing = (indexed: string | null) => `SELECT id, doc, ${sortExpr} AS sort_key FROM documents${indexed ? ` INDEXED BY ${indexed}` : ''} WHERE collection = ${sqlString(collection)}${where.map((w) => ` AND ${w}`).join('')}
      ORDER BY ${order ? `${sortExpr} ${dir}, id ${dir}` : 'id ASC'} LIMIT ?`;
    const sql = sqlUsing(index);
    let statement = findStatements.get(sql);
    if (!statement) {
      try {
        statement = db.prepare(sql);
      } catch (error) {
        if (!index) throw error;
        statement = db.prepare(sqlUsing(null)); // the index cannot serve this query after all: let SQLite choose
      }
      findStatements.set(sql, statement);
    }
    return statement;
  }

  /** `name`: the collection's name in the table (see `physical`). */
  const getIn = <T extends ViewDocument>(name: string, id: string): T | null => {
    const row = selectDoc.get(name, id);
    return row ? (JSON.parse(row.doc) as T) : null;
  };

  const findIn = <T extends ViewDocument>(collection: string, query: FindQuery = {}): FindPage<T> => {
    const limit = query.limit ?? 50;
    const params: Array<string | number | null> = [];
    for (const value of Object.values(query.where ?? {})) if (value !== null) params.push(toSqlValue(value));
    if (query.contains?.text) params.push(...query.contains.fields.map(() => foldAscii(query.contains!.text)));
    let cursorKey: string | number | null = null;
    if (query.cursor) {
      const { sortKey, id } = decodeKeysetCursor(query.cursor);
      cursorKey = toSqlValue(sortKey);
      if (query.orderBy && cursorKey !== null) params.push(...(query.orderBy.direction === 'desc' ? [] : [cursorKey]), cursorKey, cursorKey, id);
      else params.push(id);
    }
    params.push(limit + 1);
    const rows = findStatement(collection, query, cursorKey).all(...params) as Array<{ id: string; doc: string; sort_key: string | number | null }>;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => JSON.parse(row.doc) as T),
      nextCursor: rows.length > limit && last ? encodeCursor([last.sort_key, last.id]) : null,
    };
  };

  return {
    async get<T extends ViewDocument>(collection: string, id: string) {
      return getIn<T>(live(collection), id);
    },

    async find<T extends ViewDocument>(collection: string, query: FindQuery = {}): Promise<FindPage<T>> {
      return findIn<T>(live(collection), query);
    },

    async ensureIndex(collection: string, fields: string[]) {
      db.exec(`DROP INDEX IF EXISTS ${indexName(collection, fields).replace(/^pidx_/, 'idx_')}`); // the full-table index of earlier versions
      insertIndex.run(collection, JSON.stringify(fields));
      createIndex(physical(collection, selectGeneration.get(collection) ?? 0), fields);
    },

    async checkpoint(projection: string) {
      // The generation first: a switch between the two reads then fails the next commit (never the reverse).
      readGeneration.set(projection, liveGeneration(projection));
      return checkpointOf(projection);
    },

    commit(projection: string, writes: ViewWrite[], from: number, to: number) {
      return commits.submit({ projection, writes, from, to });
    },

    async reset(projection: string, collections: string[]) {
      resetTx.immediate(projection, collections);
    },

    async beginRebuild(projection: string, collections: string[]): Promise<ViewRebuild> {
      const { generation, leftovers } = beginTx.immediate(projection, collections);
      for (const leftover of leftovers) await dropGeneration(leftover.collection, leftover.generation);
      for (const collection of collections) {
        for (const fields of selectIndexes.all(collection)) createIndex(physical(collection, generation), JSON.parse(fields) as string[]);
      }
      return {
        generation,
        get: async <T extends ViewDocument>(collection: string, id: string) => getIn<T>(physical(collection, generation), id),
        find: async <T extends ViewDocument>(collection: string, query?: FindQuery) => findIn<T>(physical(collection, generation), query),
        checkpoint: async () => checkpointOf(rebuildKey(projection, generation)),
        commit: (writes, from, to) => commits.submit({ projection, writes, from, to, generation }),
        async switch() {
          const old = switchTx.immediate(projection, collections, generation);
          seenVersion = -1;
          await new Promise((resolve) => setTimeout(resolve, options.dropGraceMs ?? 1000));
          for (const { collection, generation: previous } of old) await dropGeneration(collection, previous);
        },
        async abort() {
          deleteCheckpoint.run(rebuildKey(projection, generation));
          for (const collection of collections) await dropGeneration(collection, generation);
        },
      };
    },

    async ping() {
      db.prepare('SELECT 1').get();
    },

    async close() {
      commits.flush();
      db.close();
    },
  };
}
