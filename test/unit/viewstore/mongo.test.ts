import { describe, expect, it } from 'vitest';
import { MongoServerError, type Db } from 'mongodb';
import { asciiCaselessPattern, mongoViewStore } from '../../../src/adapters/viewstore/mongo.js';

/*
 * No MongoDB server runs on this machine (no Docker; mongod is not packaged here), so these tests drive
 * the adapter through a fake of the few `mongodb` Db / Collection calls it makes, and record them: what
 * runs inside a transaction, in which order. The contract suite (test/contract/view-store.contract.test.ts)
 * runs the adapter against a real replica set when MONGODB_URL is set or Docker is available.
 */

type Doc = Record<string, unknown> & { _id: string };
type Filter = Record<string, unknown>;

function matches(doc: Doc | undefined, filter: Filter): boolean {
  if (!doc) return false;
  return Object.entries(filter).every(([field, condition]) => {
    const value = doc[field];
    if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
      const ops = condition as Record<string, unknown>;
      if ('$in' in ops) return (ops.$in as unknown[]).some((option) => (option === null ? value === undefined || value === null : option === value));
      if ('$exists' in ops) return (value !== undefined) === ops.$exists;
      throw new Error(`fake: unsupported condition ${JSON.stringify(condition)}`);
    }
    return condition === null ? value === undefined || value === null : value === condition;
  });
}

interface Op {
  op: string;
  collection: string;
  inTransaction: boolean;
}

class FakeDb {
  readonly collections = new Map<string, Map<string, Doc>>();
  readonly log: Op[] = [];
  /** Names another process creates between our listCollections and our createCollection. */
  readonly createdElsewhere = new Set<string>();
  failDeleteOf: string | null = null;
  private transaction = false;

  private record(op: string, collection: string, options?: { session?: unknown }) {
    this.log.push({ op, collection, inTransaction: this.transaction && Boolean(options?.session) });
    if (!this.collections.has(collection)) {
      // MongoDB creates a collection on its first write; note when that happens inside a transaction.
      if (op !== 'find' && op !== 'findOne') this.log.push({ op: 'implicit-create', collection, inTransaction: this.transaction && Boolean(options?.session) });
      if (op !== 'find' && op !== 'findOne') this.collections.set(collection, new Map());
    }
  }

  private rows(name: string) {
    return this.collections.get(name) ?? new Map<string, Doc>();
  }

  listCollections() {
    return { toArray: async () => [...this.collections.keys()].map((name) => ({ name })) };
  }

  async createCollection(name: string) {
    this.log.push({ op: 'createCollection', collection: name, inTransaction: false });
    if (this.collections.has(name) || this.createdElsewhere.has(name)) {
      this.collections.set(name, this.collections.get(name) ?? new Map());
      throw new MongoServerError({ message: `Collection ${name} already exists`, codeName: 'NamespaceExists', code: 48 });
    }
    this.collections.set(name, new Map());
  }

  async command() {
    return { ok: 1 };
  }

  readonly client = {
    startSession: () => {
      this.log.push({ op: 'startSession', collection: '', inTransaction: false });
      const session = {
        withTransaction: async (work: (session: unknown) => Promise<void>) => {
          this.transaction = true;
          try {
            await work(session);
          } finally {
            this.transaction = false;
          }
        },
        endSession: async () => undefined,
      };
      return session;
    },
    close: async () => undefined,
  };

  collection = (name: string) => {
    const db = { record: (op: string, collection: string, options?: { session?: unknown }) => this.record(op, collection, options), rows: (collection: string) => this.rows(collection), failDeleteOf: () => this.failDeleteOf };
    return {
      collectionName: name,
      async findOne(filter: Filter, options?: { session?: unknown }) {
        db.record('findOne', name, options);
        return [...db.rows(name).values()].find((doc) => matches(doc, filter)) ?? null;
      },
      find(filter: Filter = {}, options?: { session?: unknown }) {
        db.record('find', name, options);
        return { toArray: async () => [...db.rows(name).values()].filter((doc) => matches(doc, filter)) };
      },
      async updateOne(filter: Filter, update: { $set?: Record<string, unknown>; $setOnInsert?: Record<string, unknown> }, options?: { session?: unknown; upsert?: boolean }) {
        db.record('updateOne', name, options);
        const rows = db.rows(name);
        const found = [...rows.values()].find((doc) => matches(doc, filter));
        if (found) {
          Object.assign(found, update.$set);
          return { matchedCount: 1, upsertedCount: 0 };
        }
        if (!options?.upsert) return { matchedCount: 0, upsertedCount: 0 };
        const id = filter._id as string;
        if (rows.has(id)) throw new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
        const plain = Object.fromEntries(Object.entries(filter).filter(([, value]) => value === null || typeof value !== 'object'));
        rows.set(id, { ...plain, ...update.$setOnInsert, ...update.$set, _id: id });
        return { matchedCount: 0, upsertedCount: 1 };
      },
      async deleteMany(_filter: Filter, options?: { session?: unknown }) {
        db.record('deleteMany', name, options);
        if (db.failDeleteOf() === name) throw new Error(`fake crash while deleting ${name}`);
        db.rows(name).clear();
        return { deletedCount: 0 };
      },
      async bulkWrite(operations: Array<{ replaceOne?: { filter: { _id: string }; replacement: Record<string, unknown> }; deleteOne?: { filter: { _id: string } } }>, options?: { session?: unknown }) {
        db.record('bulkWrite', name, options);
        for (const operation of operations) {
          if (operation.replaceOne) db.rows(name).set(operation.replaceOne.filter._id, { ...operation.replaceOne.replacement, _id: operation.replaceOne.filter._id });
          if (operation.deleteOne) db.rows(name).delete(operation.deleteOne.filter._id);
        }
        return {};
      },
      async createIndex() {
        db.record('createIndex', name);
        return 'index';
      },
    };
  };
}

const open = (db: FakeDb, collections?: string[]) => mongoViewStore(db as unknown as Db, { collections, closeClient: false });
const seed = (db: FakeDb, name: string, ids: string[]) => db.collections.set(name, new Map(ids.map((id) => [id, { _id: id, n: 1 }])));

describe('mongoViewStore (a fake of the mongodb driver: no MongoDB server runs here)', () => {
  it('creates the checkpoint, bookkeeping and declared collections at start, outside any transaction', async () => {
    const db = new FakeDb();
    seed(db, 'orders', ['o1']); // already there: left alone
    db.createdElsewhere.add('refunds'); // another process creates it first: not an error
    await open(db, ['orders', 'refunds', 'users']);
    expect(db.log.filter((op) => op.op === 'createCollection').map((op) => op.collection)).toEqual(['checkpoints', 'view_generations', 'view_indexes', 'refunds', 'users']);
    expect([...db.collections.keys()].sort()).toEqual(['checkpoints', 'orders', 'refunds', 'users', 'view_generations', 'view_indexes']);
    expect(db.log.some((op) => op.op === 'startSession')).toBe(false);
    expect(db.collections.get('orders')!.size).toBe(1);
  });

  it('creates a collection it has not seen before the first transaction that writes it, never inside it', async () => {
    const db = new FakeDb();
    const store = await open(db, ['orders']);
    await store.checkpoint('p');
    await store.commit('p', [{ collection: 'orders', id: 'o1', doc: { total: 1 } }, { collection: 'wallet', id: 'w1', doc: { coins: 2 } }], 0, 5);
    const created = db.log.findIndex((op) => op.op === 'createCollection' && op.collection === 'wallet');
    const transaction = db.log.findIndex((op) => op.op === 'startSession');
    expect(created).toBeGreaterThan(-1);
    expect(created).toBeLessThan(transaction);
    expect(db.log.filter((op) => op.op === 'implicit-create')).toEqual([]);
    expect(await store.checkpoint('p')).toBe(5);
    expect(await store.get('wallet', 'w1')).toEqual({ coins: 2 });
    // Known now: the next commit creates nothing.
    const before = db.log.length;
    await store.commit('p', [{ collection: 'wallet', id: 'w1', doc: { coins: 3 } }], 5, 6);
    expect(db.log.slice(before).filter((op) => op.op === 'createCollection')).toEqual([]);
  });

  it('resets without a transaction: the checkpoint goes to 0 before any document is deleted', async () => {
    const db = new FakeDb();
    const store = await open(db, ['orders', 'refunds']);
    await store.checkpoint('orders');
    await store.commit('orders', [{ collection: 'orders', id: 'o1', doc: {} }, { collection: 'refunds', id: 'r1', doc: {} }], 0, 900);
    const before = db.log.length;
    await store.reset('orders', ['orders', 'refunds']);
    const reset = db.log.slice(before);
    expect(reset.some((op) => op.op === 'startSession' || op.inTransaction)).toBe(false);
    const checkpointAt = reset.findIndex((op) => op.op === 'updateOne' && op.collection === 'checkpoints');
    const firstDelete = reset.findIndex((op) => op.op === 'deleteMany');
    expect(checkpointAt).toBeGreaterThan(-1);
    expect(checkpointAt).toBeLessThan(firstDelete);
    expect(reset.filter((op) => op.op === 'deleteMany').map((op) => op.collection)).toEqual(['orders', 'refunds']);
    expect(await store.checkpoint('orders')).toBe(0);
    expect(await store.get('orders', 'o1')).toBeNull();
    expect(await store.get('refunds', 'r1')).toBeNull();
  });

  it('a crash in the middle of a reset leaves checkpoint 0 (the projection replays from the start); resetting again finishes it', async () => {
    const db = new FakeDb();
    const store = await open(db, ['orders', 'refunds']);
    await store.checkpoint('orders');
    await store.commit('orders', [{ collection: 'orders', id: 'o1', doc: {} }, { collection: 'refunds', id: 'r1', doc: {} }], 0, 900);
    db.failDeleteOf = 'refunds';
    await expect(store.reset('orders', ['orders', 'refunds'])).rejects.toThrow(/fake crash/);
    // Never "caught up at 900 with documents missing": the runner starts over from the first event.
    const restarted = await open(db, ['orders', 'refunds']);
    expect(await restarted.checkpoint('orders')).toBe(0);
    expect(db.collections.get('orders')!.size).toBe(0);
    expect(db.collections.get('refunds')!.size).toBe(1);
    db.failDeleteOf = null;
    await restarted.reset('orders', ['orders', 'refunds']);
    expect(db.collections.get('refunds')!.size).toBe(0);
    expect(await restarted.checkpoint('orders')).toBe(0);
    await restarted.commit('orders', [{ collection: 'orders', id: 'o2', doc: { again: true } }], 0, 10);
    expect(await restarted.get('orders', 'o2')).toEqual({ again: true });
  });
});

describe('FindQuery.contains on MongoDB', () => {
  it('is a $regex that takes the text literally and folds ASCII letters only, as the other adapters do', () => {
    const finds = (text: string, value: string) => new RegExp(asciiCaselessPattern(text)).test(value);
    expect(finds('MATE', 'Huawei Mate 60')).toBe(true);
    expect(finds('%_off (M', '华为 50%_off (mate)')).toBe(true);
    expect(finds('50_', '华为 50%_off')).toBe(false);
    expect(finds('.', 'no dot here')).toBe(false);
    expect(finds('a+b[c]^$\\', 'x A+B[C]^$\\ y')).toBe(true);
    expect(finds('émile', 'Émile chair')).toBe(false);
    expect(finds('手机', 'Mate 60 手机')).toBe(true);
  });
});
