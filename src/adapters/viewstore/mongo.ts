import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  type ClientSession,
  type Collection,
  type Db,
  type Filter,
  type Sort,
  type TransactionOptions,
} from 'mongodb';
import {
  CheckpointMoved,
  type FieldValue,
  type FindPage,
  type FindQuery,
  type ViewDocument,
  type ViewRebuild,
  type ViewStore,
  type ViewWrite,
} from '../../ports/view-store.js';
import { decodeKeysetCursor, encodeCursor } from '../../kernel/cursor.js';
import { EngineUnavailableError, translateErrors } from '../../kernel/errors.js';

/**
 * Server error codes of a node that is away, stepping down or not yet able to serve: the driver's retryable
 * read/write codes (HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
 * ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown, InterruptedDueToReplStateChange,
 * NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, ReadConcernMajorityNotAvailableYet).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 134]);
/**
 * Labels the driver or server put on such errors ('TransientTransactionError' is not one: a write conflict has it).
 * The driver also labels any failed connection attempt 'SystemOverloadedError', so that label earns no longer retry.
 */
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError'];

/**
 * Whether a `mongodb` driver error means the server is away or cannot serve right now: a network error or
 * timeout, no server selectable within serverSelectionTimeoutMS (no primary: down or electing), a client not
 * connected, an operation past its timeoutMS, or a server error of a node shutting down, stepping down or
 * overloaded (UNAVAILABLE_CODES, UNAVAILABLE_LABELS). Duplicate keys, write conflicts and validation are not.
 */
export function isMongoUnavailable(error: unknown): boolean {
  if (error instanceof EngineUnavailableError) return true;
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  if (!(error instanceof MongoError)) return false;
  return (typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code)) || UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label));
}

/** `error` as EngineUnavailableError when MongoDB is away (isMongoUnavailable), else unchanged. */
export function mongoError(error: unknown): unknown {
  if (error instanceof EngineUnavailableError || !isMongoUnavailable(error)) return error;
  return new EngineUnavailableError('mongodb', 2, { cause: error });
}

export interface MongoViewStoreOptions {
  /** Prepended to every collection name, the checkpoints' included (e.g. `bazaar_`). */
  collectionPrefix?: string;
  /** Collection holding `{ _id: projection, position }`. Default `checkpoints`. */
  checkpointCollection?: string;
  /** close() closes the MongoClient behind `db`. Default true. */
  closeClient?: boolean;
  /** How long a read may use the generations it loaded before it looks again (ms, default 1000). */
  generationCacheMs?: number;
  /** How long a rebuild's switch waits before it drops the old generation (ms, default 5000: above generationCacheMs). */
  dropGraceMs?: number;
  /** View collections to create at start (the runtime passes every projection's); others are created before their first transaction. */
  collections?: string[];
}

interface StoredDocument {
  _id: string;
  [field: string]: unknown;
}

interface StoredCheckpoint {
  _id: string;
  position: number;
  /** A projection's live generation (absent: 0) and the latest one a rebuild started. */
  generation?: number;
  latest?: number;
}

interface StoredGeneration {
  _id: string;
  generation: number;
}

interface StoredIndex {
  _id: string;
  collection: string;
  fields: string[];
}

/** The checkpoint of a rebuild's generation. */
const rebuildKey = (projection: string, generation: number): string => `${projection}~g${generation}`;

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

function indexKeys(fields: string[]): Record<string, 1> {
  const keys: Record<string, 1> = {};
  for (const field of fields) keys[checkField(field)] = 1;
  keys._id = 1;
  return keys;
}

function groupByCollection(writes: ViewWrite[]): Map<string, ViewWrite[]> {
  const byCollection = new Map<string, ViewWrite[]>();
  for (const write of writes) {
    const list = byCollection.get(write.collection) ?? [];
    list.push(write);
    byCollection.set(write.collection, list);
  }
  return byCollection;
}

/** One collection's writes, in order. */
async function writeDocuments(target: Collection<StoredDocument>, writes: ViewWrite[], session: ClientSession): Promise<void> {
  await target.bulkWrite(
    writes.map((write) => {
      if (write.doc === null) return { deleteOne: { filter: { _id: write.id } } };
      const { _id: _ignored, ...fields } = write.doc;
      return { replaceOne: { filter: { _id: write.id }, replacement: fields, upsert: true } };
    }),
    { session, ordered: true, ignoreUndefined: true },
  );
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

/** Creates a collection unless it exists (another process may create it at the same moment). */
async function createCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (!(error instanceof MongoServerError && (error.codeName === 'NamespaceExists' || error.code === 48))) throw error;
  }
}

/**
 * ViewStore on MongoDB: one collection per view collection, `_id` = the document id, the document's
 * fields stored as they are. commit() runs in a transaction (MongoDB must be a replica set, as
 * production runs it), so documents and checkpoint move together. Sort fields must hold scalars
 * (string, number, boolean) or be null/missing; null and missing sort first, as in SQLite.
 *
 * Collections are created outside transactions: the checkpoint and bookkeeping collections and
 * `options.collections` here, at start; any other collection before the first transaction that writes
 * to it. (MongoDB creates a missing collection inside a transaction too, but two first transactions
 * creating the same one at once conflict, and one of them aborts.)
 *
 * Every method (and a rebuild's) throws EngineUnavailableError when the server cannot serve (mongoError).
 */
export async function mongoViewStore(db: Db, options: MongoViewStoreOptions = {}): Promise<ViewStore> {
  const prefix = options.collectionPrefix ?? '';
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name));
  const fixed = [prefix + (options.checkpointCollection ?? 'checkpoints'), `${prefix}view_generations`, `${prefix}view_indexes`];
  for (const name of [...fixed, ...(options.collections ?? []).map((name) => prefix + name)]) {
    if (!existing.has(name)) await createCollection(db, name);
    existing.add(name);
  }
  return mongoViewStoreOn(db, options, existing);
}

function mongoViewStoreOn(db: Db, options: MongoViewStoreOptions, created: Set<string>): ViewStore {
  const prefix = options.collectionPrefix ?? '';
  const checkpointName = prefix + (options.checkpointCollection ?? 'checkpoints');
  const checkpoints = db.collection<StoredCheckpoint>(checkpointName);

  const generationsName = `${prefix}view_generations`;
  const indexesName = `${prefix}view_indexes`;
  const generationsOf = db.collection<StoredGeneration>(generationsName);
  const declaredIndexes = db.collection<StoredIndex>(indexesName);

  /** A view collection of a generation (generation 0 under its own name). */
  const collection = (name: string, generation = 0): Collection<StoredDocument> => {
    const full = prefix + name + (generation === 0 ? '' : `~g${generation}`);
    if (full === checkpointName || full === generationsName || full === indexesName) throw new Error(`collection name ${name} is reserved`);
    return db.collection<StoredDocument>(full);
  };

  const checkpointOf = async (projection: string, session?: ClientSession) =>
    (await checkpoints.findOne({ _id: projection }, session ? { session } : {}))?.position ?? 0;

  // The generation each collection is read from, loaded at most every generationCacheMs: after a switch,
  // reads may use the old generation that long (its drop waits dropGraceMs).
  let generations: { map: Map<string, number>; at: number } | undefined;
  const live = async (name: string): Promise<Collection<StoredDocument>> => {
    if (!generations || Date.now() - generations.at > (options.generationCacheMs ?? 1000)) {
      const map = new Map((await generationsOf.find({}).toArray()).map((row) => [row._id, row.generation]));
      generations = { map, at: Date.now() };
    }
    return collection(name, generations.map.get(name) ?? 0);
  };

  /** The projection's live generation when this store last read its checkpoint (see ViewStore.commit). */
  const readGeneration = new Map<string, number>();

  const dropCollection = async (name: string, generation: number) => {
    const target = collection(name, generation);
    created.delete(target.collectionName);
    try {
      await target.drop();
    } catch (error) {
      if (!(error instanceof MongoServerError && error.codeName === 'NamespaceNotFound')) throw error;
    }
  };

  /** Creates, outside any transaction, the collections a transaction is about to write that this store has not seen yet. */
  const ensureCollections = async (targets: Array<Collection<StoredDocument>>) => {
    for (const target of targets) {
      if (created.has(target.collectionName)) continue;
      await createCollection(db, target.collectionName);
      created.add(target.collectionName);
    }
  };

  const getIn = async <T extends ViewDocument>(target: Collection<StoredDocument>, id: string) => {
    const stored = await target.findOne({ _id: id });
    return stored ? (withoutId(stored) as T) : null;
  };

  const findIn = async <T extends ViewDocument>(target: Collection<StoredDocument>, query: FindQuery = {}): Promise<FindPage<T>> => {
    const limit = query.limit ?? 50;
    const clauses: Array<Filter<StoredDocument>> = [];
    const where: Record<string, FieldValue> = {};
    for (const [field, value] of Object.entries(query.where ?? {})) where[checkField(field)] = checkValue(field, value);
    if (Object.keys(where).length > 0) clauses.push(where as Filter<StoredDocument>);
    if (query.contains?.text) {
      const pattern = asciiCaselessPattern(query.contains.text);
      clauses.push({ $or: query.contains.fields.map((field) => ({ [checkField(field)]: { $regex: pattern } })) } as Filter<StoredDocument>);
    }

    const order = query.orderBy;
    const direction = order?.direction === 'desc' ? 'desc' : 'asc';
    const sortField = order ? checkField(order.field) : '_id';
    if (query.cursor) {
      const { sortKey, id } = decodeKeysetCursor(query.cursor);
      if (!order) clauses.push({ _id: { $gt: id } });
      else clauses.push(after(sortField, sortKey, id, direction));
    }

    const filter: Filter<StoredDocument> = clauses.length === 0 ? {} : clauses.length === 1 ? clauses[0]! : { $and: clauses };
    const dir = direction === 'desc' ? -1 : 1;
    const sort: Sort = order ? { [sortField]: dir, _id: dir } : { _id: 1 };
    const rows = await target
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
  };

  async function inTransaction(work: (session: ClientSession) => Promise<void>): Promise<void> {
    const session = db.client.startSession();
    try {
      await session.withTransaction(work, TRANSACTION);
    } finally {
      await session.endSession();
    }
  }

  return translateErrors<ViewStore>({
    async get<T extends ViewDocument>(name: string, id: string) {
      return getIn<T>(await live(name), id);
    },

    async find<T extends ViewDocument>(name: string, query: FindQuery = {}): Promise<FindPage<T>> {
      return findIn<T>(await live(name), query);
    },

    async ensureIndex(name: string, fields: string[]) {
      if (fields.length === 0) return;
      await declaredIndexes.updateOne({ _id: `${name}\u0000${fields.join(',')}` }, { $set: { collection: name, fields } }, { upsert: true });
      const current = (await generationsOf.findOne({ _id: name }))?.generation ?? 0;
      await collection(name, current).createIndex(indexKeys(fields));
    },

    async checkpoint(projection: string) {
      const stored = await checkpoints.findOne({ _id: projection });
      readGeneration.set(projection, stored?.generation ?? 0);
      return stored?.position ?? 0;
    },

    async commit(projection: string, writes: ViewWrite[], from: number, to: number) {
      const byCollection = groupByCollection(writes);
      const expected = readGeneration.get(projection);
      // Refused once a rebuild switched generations since the writer read the checkpoint (absent means 0).
      const sameGeneration = (expected === undefined ? {} : { generation: expected === 0 ? { $in: [0, null] } : expected }) as Filter<StoredCheckpoint>;
      if (byCollection.size > 0) {
        // The generations as now (a switch before the transaction may leave one to create inside it, as before).
        const now = new Map((await generationsOf.find({ _id: { $in: [...byCollection.keys()] } }).toArray()).map((row) => [row._id, row.generation]));
        await ensureCollections([...byCollection.keys()].map((name) => collection(name, now.get(name) ?? 0)));
      }
      try {
        await inTransaction(async (session) => {
          // 1. Move the checkpoint, only from where this writer started. A missing checkpoint is 0.
          let moved;
          try {
            moved = await checkpoints.updateOne({ _id: projection, position: from, ...sameGeneration }, { $set: { position: to } }, { session, upsert: from === 0 });
          } catch (error) {
            if (error instanceof MongoServerError && error.code === 11000) throw new CheckpointRace();
            throw error;
          }
          if (moved.matchedCount === 0 && moved.upsertedCount === 0) {
            throw new CheckpointMoved(projection, from, await checkpointOf(projection, session));
          }
          // 2. Then the documents, in order within each collection, into the generation each is read from.
          const current = new Map(
            (await generationsOf.find({ _id: { $in: [...byCollection.keys()] } }, { session }).toArray()).map((row) => [row._id, row.generation]),
          );
          for (const [name, list] of byCollection) {
            await writeDocuments(collection(name, current.get(name) ?? 0), list, session);
          }
        });
      } catch (error) {
        // The upsert for `from === 0` met a checkpoint another writer had stored: read it outside the aborted transaction.
        if (error instanceof CheckpointRace) throw new CheckpointMoved(projection, from, await checkpointOf(projection));
        throw error;
      }
    },

    /**
     * Not a transaction (one deleting a large collection exceeds the transaction limits and aborts): the
     * checkpoint goes to 0 first, then the documents are deleted. A crash in between leaves checkpoint 0
     * with part of the old documents: the projection replays from the first event (it rebuilds), and
     * running the reset again empties what is left.
     */
    async reset(projection: string, collections: string[]) {
      await checkpoints.updateOne({ _id: projection }, { $set: { position: 0 } }, { upsert: true });
      const current = new Map((await generationsOf.find({ _id: { $in: collections } }).toArray()).map((row) => [row._id, row.generation]));
      for (const name of collections) await collection(name, current.get(name) ?? 0).deleteMany({});
    },

    async beginRebuild(projection: string, collections: string[]): Promise<ViewRebuild> {
      let generation = 0;
      let leftovers: Array<{ name: string; generation: number }> = [];
      await inTransaction(async (session) => {
        const stored = await checkpoints.findOne({ _id: projection }, { session });
        const latest = stored?.latest ?? stored?.generation ?? 0;
        generation = latest + 1;
        await checkpoints.updateOne({ _id: projection }, { $set: { latest: generation }, $setOnInsert: { position: 0 } }, { session, upsert: true });
        const current = new Map((await generationsOf.find({ _id: { $in: collections } }, { session }).toArray()).map((row) => [row._id, row.generation]));
        leftovers = [];
        for (let g = 0; g <= latest; g++) {
          if (g > 0) await checkpoints.deleteOne({ _id: rebuildKey(projection, g) }, { session });
          for (const name of collections) if (g !== (current.get(name) ?? 0)) leftovers.push({ name, generation: g });
        }
        await checkpoints.insertOne({ _id: rebuildKey(projection, generation), position: 0 }, { session });
      });
      for (const leftover of leftovers) await dropCollection(leftover.name, leftover.generation);
      for (const name of collections) {
        for (const index of await declaredIndexes.find({ collection: name }).toArray()) await collection(name, generation).createIndex(indexKeys(index.fields));
      }
      const key = rebuildKey(projection, generation);
      return translateErrors<ViewRebuild>({
        generation,
        get: (name, id) => getIn(collection(name, generation), id),
        find: (name, query) => findIn(collection(name, generation), query),
        checkpoint: () => checkpointOf(key),
        async commit(writes, from, to) {
          const byCollection = groupByCollection(writes);
          await ensureCollections([...byCollection.keys()].map((name) => collection(name, generation)));
          await inTransaction(async (session) => {
            const moved = await checkpoints.updateOne({ _id: key, position: from }, { $set: { position: to } }, { session });
            // Not there: another rebuild of the projection took over.
            if (moved.matchedCount === 0) throw new CheckpointMoved(key, from, await checkpointOf(key, session));
            for (const [name, list] of byCollection) await writeDocuments(collection(name, generation), list, session);
          });
        },
        async switch() {
          let old: Array<{ name: string; generation: number }> = [];
          await inTransaction(async (session) => {
            const stored = await checkpoints.findOne({ _id: projection }, { session });
            const rebuilt = await checkpoints.findOne({ _id: key }, { session });
            if (stored?.latest !== generation || !rebuilt) throw new CheckpointMoved(key, rebuilt?.position ?? 0, -1);
            const current = new Map((await generationsOf.find({ _id: { $in: collections } }, { session }).toArray()).map((row) => [row._id, row.generation]));
            old = collections.map((name) => ({ name, generation: current.get(name) ?? 0 }));
            for (const name of collections) await generationsOf.updateOne({ _id: name }, { $set: { generation } }, { session, upsert: true });
            await checkpoints.updateOne({ _id: projection }, { $set: { position: rebuilt.position, generation, latest: generation } }, { session });
            await checkpoints.deleteOne({ _id: key }, { session });
          });
          generations = undefined;
          await new Promise((resolve) => setTimeout(resolve, options.dropGraceMs ?? 5000));
          for (const { name, generation: previous } of old) await dropCollection(name, previous);
        },
        async abort() {
          await checkpoints.deleteOne({ _id: key });
          for (const name of collections) await dropCollection(name, generation);
        },
      }, mongoError);
    },

    async ping() {
      await db.command({ ping: 1 });
    },

    async close() {
      if (options.closeClient ?? true) await db.client.close();
    },
  }, mongoError);
}

/** A regular expression matching the text with ASCII letters in either case (Mongo's `i` option folds more). */
export function asciiCaselessPattern(text: string): string {
  return [...text].map((char) => (/[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))).join('');
}
