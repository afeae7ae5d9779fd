import { MongoServerError, type ClientSession, type Collection, type Db, type Filter, type Sort, type TransactionOptions } from 'mongodb';
import {
  CheckpointMoved,
  type FieldValue,
  type FindPage,
  type FindQuery,
  type ViewDocument,
  type ViewStore,
  type ViewWrite,
} from '../../ports/view-store.js';
import { InvalidCursor, decodeCursor, encodeCursor } from '../../kernel/cursor.js';

export interface MongoViewStoreOptions {
  /** Prepended to every collection name, the checkpoints' included (e.g. `bazaar_`). */
  collectionPrefix?: string;
  /** Collection holding `{ _id: projection, position }`. Default `checkpoints`. */
  checkpointCollection?: string;
  /** close() closes the MongoClient behind `db`. Default true. */
  closeClient?: boolean;
}

interface StoredDocument {
  _id: string;
  [field: string]: unknown;
}

interface StoredCheckpoint {
  _id: string;
  position: number;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function checkField(field: string): string {
  if (!FIELD.test(field)) throw new Error(`invalid field name: ${field}`);
  return field;
}

function checkValue(field: string, value: unknown): FieldValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  throw new Error(`invalid value for ${field}: only strings, finite numbers, booleans and null can be matched`);
}

/** The value at a dotted path; missing counts as null, as MongoDB sorts it. */
function valueAt(doc: Record<string, unknown>, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined ? null : value;
}

/**
 * BSON sort order of the types a sort field can hold, after null/missing (which sort first).
 * A keyset "after the cursor" must include the later *types* as well as later values of the same
 * type, because `$gt` / `$lt` only compare values of one type.
 */
const TYPE_ORDER = ['number', 'string', 'object', 'array', 'binData', 'objectId', 'bool', 'date', 'timestamp', 'regex'];
const typeRank = (value: Exclude<FieldValue, null>) =>
  TYPE_ORDER.indexOf(typeof value === 'number' ? 'number' : typeof value === 'string' ? 'string' : 'bool');

/** Documents strictly after (field = value, _id = id) in the given order; missing and null sort as null, first. */
function after(field: string, value: FieldValue, id: string, direction: 'asc' | 'desc'): Filter<StoredDocument> {
  const clauses: Array<Record<string, unknown>> = [];
  if (direction === 'asc') {
    if (value === null) {
      clauses.push({ [field]: { $type: TYPE_ORDER } });
      clauses.push({ [field]: null, _id: { $gt: id } });
    } else {
      const later = TYPE_ORDER.slice(typeRank(value) + 1);
      clauses.push({ [field]: { $gt: value } });
      if (later.length > 0) clauses.push({ [field]: { $type: later } });
      clauses.push({ [field]: value, _id: { $gt: id } });
    }
  } else if (value === null) {
    clauses.push({ [field]: null, _id: { $lt: id } });
  } else {
    const earlier = TYPE_ORDER.slice(0, typeRank(value));
    clauses.push({ [field]: { $lt: value } });
    if (earlier.length > 0) clauses.push({ [field]: { $type: earlier } });
    clauses.push({ [field]: null });
    clauses.push({ [field]: value, _id: { $lt: id } });
  }
  return { $or: clauses } as Filter<StoredDocument>;
}

function withoutId(stored: StoredDocument): ViewDocument {
  const { _id: _ignored, ...fields } = stored;
  return fields;
}

const TRANSACTION: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

/** The checkpoint upsert lost a race to another writer's insert (duplicate key). */
class CheckpointRace extends Error {}

/**
 * ViewStore on MongoDB: one collection per view collection, `_id` = the document id, the document's
 * fields stored as they are. commit() and reset() run in a transaction (MongoDB must be a replica
 * set, as production runs it), so documents and checkpoint move together. Sort fields must hold
 * scalars (string, number, boolean) or be null/missing; null and missing sort first, as in SQLite.
 */
export function mongoViewStore(db: Db, options: MongoViewStoreOptions = {}): ViewStore {
  const prefix = options.collectionPrefix ?? '';
  const checkpointName = prefix + (options.checkpointCollection ?? 'checkpoints');
  const checkpoints = db.collection<StoredCheckpoint>(checkpointName);

  const collection = (name: string): Collection<StoredDocument> => {
    const full = prefix + name;
    if (full === checkpointName) throw new Error(`collection name ${name} is reserved for checkpoints`);
    return db.collection<StoredDocument>(full);
  };

  const checkpointOf = async (projection: string, session?: ClientSession) =>
    (await checkpoints.findOne({ _id: projection }, session ? { session } : {}))?.position ?? 0;

  async function inTransaction(work: (session: ClientSession) => Promise<void>): Promise<void> {
    const session = db.client.startSession();
    try {
      await session.withTransaction(work, TRANSACTION);
    } finally {
      await session.endSession();
    }
  }

  return {
    async get<T extends ViewDocument>(name: string, id: string) {
      const stored = await collection(name).findOne({ _id: id });
      return stored ? (withoutId(stored) as T) : null;
    },

    async find<T extends ViewDocument>(name: string, query: FindQuery = {}): Promise<FindPage<T>> {
      const limit = query.limit ?? 50;
      const clauses: Array<Filter<StoredDocument>> = [];
      const where: Record<string, FieldValue> = {};
      for (const [field, value] of Object.entries(query.where ?? {})) where[checkField(field)] = checkValue(field, value);
      if (Object.keys(where).length > 0) clauses.push(where as Filter<StoredDocument>);

      const order = query.orderBy;
      const direction = order?.direction === 'desc' ? 'desc' : 'asc';
      const sortField = order ? checkField(order.field) : '_id';
      if (query.cursor) {
        const [sortKey, id] = decodeCursor(query.cursor);
        if (typeof id !== 'string') throw new InvalidCursor();
        if (!order) clauses.push({ _id: { $gt: id } });
        else {
          let key: FieldValue;
          try {
            key = checkValue(sortField, sortKey);
          } catch {
            throw new InvalidCursor();
          }
          clauses.push(after(sortField, key, id, direction));
        }
      }

      const filter: Filter<StoredDocument> = clauses.length === 0 ? {} : clauses.length === 1 ? clauses[0]! : { $and: clauses };
      const dir = direction === 'desc' ? -1 : 1;
      const sort: Sort = order ? { [sortField]: dir, _id: dir } : { _id: 1 };
      const rows = await collection(name)
        .find(filter)
        .sort(sort)
        .limit(limit + 1)
        .toArray();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      let nextCursor: string | null = null;
      if (rows.length > limit && last) {
        const sortKey = order ? valueAt(last, sortField) : last._id;
        if (sortKey !== null && typeof sortKey === 'object') {
          throw new Error(`cannot page by ${sortField}: document ${last._id} holds a non-scalar value there`);
        }
        nextCursor = encodeCursor([sortKey, last._id]);
      }
      return { items: page.map((row) => withoutId(row) as T), nextCursor };
    },

    async ensureIndex(name: string, fields: string[]) {
      if (fields.length === 0) return;
      const keys: Record<string, 1> = {};
      for (const field of fields) keys[checkField(field)] = 1;
      keys._id = 1;
      await collection(name).createIndex(keys);
    },

    async checkpoint(projection: string) {
      return checkpointOf(projection);
    },

    async commit(projection: string, writes: ViewWrite[], from: number, to: number) {
      const byCollection = new Map<string, ViewWrite[]>();
      for (const write of writes) {
        const list = byCollection.get(write.collection) ?? [];
        list.push(write);
        byCollection.set(write.collection, list);
      }
      try {
        await inTransaction(async (session) => {
          // 1. Move the checkpoint, only from where this writer started. A missing checkpoint is 0.
          let moved;
          try {
            moved = await checkpoints.updateOne({ _id: projection, position: from }, { $set: { position: to } }, { session, upsert: from === 0 });
          } catch (error) {
            if (error instanceof MongoServerError && error.code === 11000) throw new CheckpointRace();
            throw error;
          }
          if (moved.matchedCount === 0 && moved.upsertedCount === 0) {
            throw new CheckpointMoved(projection, from, await checkpointOf(projection, session));
          }
          // 2. Then the documents, in order within each collection.
          for (const [name, list] of byCollection) {
            await collection(name).bulkWrite(
              list.map((write) => {
                if (write.doc === null) return { deleteOne: { filter: { _id: write.id } } };
                const { _id: _ignored, ...fields } = write.doc;
                return { replaceOne: { filter: { _id: write.id }, replacement: fields, upsert: true } };
              }),
              { session, ordered: true, ignoreUndefined: true },
            );
          }
        });
      } catch (error) {
        // The upsert for `from === 0` met a checkpoint another writer had stored: read it outside the aborted transaction.
        if (error instanceof CheckpointRace) throw new CheckpointMoved(projection, from, await checkpointOf(projection));
        throw error;
      }
    },

    async reset(projection: string, collections: string[]) {
      await inTransaction(async (session) => {
        for (const name of collections) await collection(name).deleteMany({}, { session });
        await checkpoints.updateOne({ _id: projection }, { $set: { position: 0 } }, { session, upsert: true });
      });
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async close() {
      if (options.closeClient ?? true) await db.client.close();
    },
  };
}
