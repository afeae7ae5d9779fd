import type Database from 'better-sqlite3';
import {
  CheckpointMoved,
  type FieldValue,
  type FindPage,
  type FindQuery,
  type ViewDocument,
  type ViewStore,
  type ViewWrite,
} from '../../ports/view-store.js';
import { decodeCursor, encodeCursor, InvalidCursor } from '../../kernel/cursor.js';
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
}

/**
 * ViewStore on SQLite: one table of JSON documents, expression indexes on declared fields. Commits that
 * arrive in the same tick (the projections woken by one append) share one IMMEDIATE transaction (group
 * commit); each runs in its own savepoint, so a moved checkpoint fails only its own projection.
 */
export function sqliteViewStore(db: Database.Database): ViewStore {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
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
  `);

  const selectDoc = db.prepare<[string, string], { doc: string }>('SELECT doc FROM documents WHERE collection = ? AND id = ?');
  const upsertDoc = db.prepare(
    'INSERT INTO documents (collection, id, doc) VALUES (?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc',
  );
  const deleteDoc = db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?');
  const deleteCollection = db.prepare('DELETE FROM documents WHERE collection = ?');
  const selectCheckpoint = db.prepare<[string], { position: number }>('SELECT position FROM checkpoints WHERE projection = ?');
  const upsertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
  );
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

  const commitOne = db.transaction((commit: ProjectionCommit) => {
    const actual = checkpointOf(commit.projection);
    if (actual !== commit.from) throw new CheckpointMoved(commit.projection, commit.from, actual);
    for (const write of commit.writes) {
      if (write.doc === null) deleteDoc.run(write.collection, write.id);
      else upsertDoc.run(write.collection, write.id, JSON.stringify(write.doc));
    }
    upsertCheckpoint.run(commit.projection, commit.to);
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
    for (const collection of collections) deleteCollection.run(collection);
    upsertCheckpoint.run(projection, 0);
  });

  /** `cursorKey` is the sort value the previous page ended on (SQLite sorts NULL first ascending, last descending). */
  function findStatement(collection: string, query: FindQuery, cursorKey: unknown): Database.Statement {
    const where = Object.entries(query.where ?? {}).map(([field, value]) =>
      value === null ? `json_extract(doc, ${fieldPath(field)}) IS NULL` : `json_extract(doc, ${fieldPath(field)}) = ?`,
    );
    const order = query.orderBy;
    const sortExpr = order ? `json_extract(doc, ${fieldPath(order.field)})` : 'id';
    const dir = order?.direction === 'desc' ? 'DESC' : 'ASC';
    const cmp = dir === 'DESC' ? '<' : '>';
    if (query.cursor) {
      if (!order) where.push('id > ?');
      else if (cursorKey === null) where.push(dir === 'ASC' ? `(${sortExpr} IS NOT NULL OR id > ?)` : `(${sortExpr} IS NULL AND id < ?)`);
      else where.push(`(${sortExpr} ${cmp} ? OR (${sortExpr} = ? AND id ${cmp} ?)${dir === 'DESC' ? ` OR ${sortExpr} IS NULL` : ''})`);
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

  return {
    async get<T extends ViewDocument>(collection: string, id: string) {
      const row = selectDoc.get(collection, id);
      return row ? (JSON.parse(row.doc) as T) : null;
    },

    async find<T extends ViewDocument>(collection: string, query: FindQuery = {}): Promise<FindPage<T>> {
      const limit = query.limit ?? 50;
      const params: Array<string | number | null> = [];
      for (const value of Object.values(query.where ?? {})) if (value !== null) params.push(toSqlValue(value));
      let cursorKey: string | number | null = null;
      if (query.cursor) {
        const [sortKey, id] = decodeCursor(query.cursor) as [string | number | null, string];
        if (typeof id !== 'string') throw new InvalidCursor();
        cursorKey = sortKey ?? null;
        if (query.orderBy && cursorKey !== null) params.push(cursorKey, cursorKey, id);
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
    },

    async ensureIndex(collection: string, fields: string[]) {
      // Partial: only the collection's own writes maintain it (all collections share one table).
      const name = indexName(collection, fields);
      const columns = fields.map((field) => `json_extract(doc, ${fieldPath(field)})`).join(', ');
      db.exec(`DROP INDEX IF EXISTS ${name.replace(/^pidx_/, 'idx_')}`); // the full-table index of earlier versions
      db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON documents (${columns}, id) WHERE collection = ${sqlString(collection)}`);
      knownIndexes.add(name);
    },

    async checkpoint(projection: string) {
      return checkpointOf(projection);
    },

    commit(projection: string, writes: ViewWrite[], from: number, to: number) {
      return commits.submit({ projection, writes, from, to });
    },

    async reset(projection: string, collections: string[]) {
      resetTx.immediate(projection, collections);
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
