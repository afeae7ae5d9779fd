/**
 * The EventStoreDB, MongoDB and Elasticsearch adapters while their engine is away: the clients' own error
 * classes are sorted into "the server is away or overloaded" (EngineUnavailableError, HTTP 503 + Retry-After)
 * and everything else (passed on unchanged), and each adapter, built on a fake client, throws accordingly.
 * No server of these engines runs here; where a real client is used, it points at a closed local port (or a
 * local HTTP server standing in for Elasticsearch), which gives the real driver's real errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  KurrentDBClient,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError as EsdbTimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  convertToCommandError,
} from '@kurrent/kurrentdb-client';
import {
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
  type Db,
} from 'mongodb';
import { Client, errors, type DiagnosticResult } from '@elastic/elasticsearch';
import { ConcurrencyError, EngineUnavailableError } from '../../../src/kernel/errors.js';
import { esdbEventStore, eventStoreDbError, isEventStoreDbUnavailable } from '../../../src/adapters/eventstore/esdb.js';
import { isMongoUnavailable, mongoError, mongoViewStore } from '../../../src/adapters/viewstore/mongo.js';
import { elasticsearchError, elasticsearchSearchIndex, isElasticsearchUnavailable } from '../../../src/adapters/search/elasticsearch.js';
import { CheckpointMoved } from '../../../src/ports/view-store.js';
import { CheckpointMoved as SearchCheckpointMoved, InvalidSearchQuery } from '../../../src/ports/search-index.js';

/** What `work` rejected with (fails the test if it resolves). */
async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but it resolved');
}

function expectUnavailable(error: unknown, engine: string, retryAfterSeconds: number, cause?: unknown) {
  expect(error).toBeInstanceOf(EngineUnavailableError);
  expect(error).toMatchObject({ engine, retryAfterSeconds, code: 'SERVICE_UNAVAILABLE' });
  if (cause !== undefined) expect((error as Error).cause).toBe(cause);
}

/** A local port nothing listens on (it was listening a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const plain = new Error('something else went wrong');

// ---------------------------------------------------------------------------------------------------------
// EventStoreDB / KurrentDB

type ServiceError = NonNullable<ConstructorParameters<typeof UnavailableError>[0]>;

/** A gRPC ServiceError as grpc-js rejects with (code, details, metadata: the two Metadata calls the client makes). */
function serviceError(code: number, details: string, metadata: Record<string, string> = {}): ServiceError {
  const fields = { code, details, metadata: { getMap: () => metadata, get: (key: string) => (key in metadata ? [metadata[key]] : []) } };
  return Object.assign(new Error(`${code} ${details}`), fields) as unknown as ServiceError;
}

describe('isEventStoreDbUnavailable: @kurrent/kurrentdb-client errors', () => {
  const outages: Array<[string, unknown]> = [
    ['UnavailableError (gRPC UNAVAILABLE, converted by the client)', convertToCommandError(serviceError(14, 'No connection established'))],
    ['UnavailableError (gRPC INTERNAL, converted by the client)', convertToCommandError(serviceError(13, 'Received RST_STREAM'))],
    ['UnavailableError (constructed)', new UnavailableError(undefined, 'UnavailableError')],
    ['DeadlineExceededError (gRPC DEADLINE_EXCEEDED)', convertToCommandError(serviceError(4, 'Deadline exceeded'))],
    ['TimeoutError (the server timed the operation out)', new EsdbTimeoutError(serviceError(10, 'Operation timed out'))],
    ['UnknownError of gRPC ABORTED without details (the server timed the operation out)', convertToCommandError(serviceError(10, 'Operation timed out'))],
    ['CancelledError (gRPC CANCELLED by the server)', convertToCommandError(serviceError(1, 'Call cancelled'))],
    ['NotLeaderError', new NotLeaderError(serviceError(5, 'Leader info available', { 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' }))],
    ['a raw ServiceError, code UNAVAILABLE (what appendToStream rejects with without a connection)', serviceError(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2113')],
    ['a raw ServiceError, code DEADLINE_EXCEEDED', serviceError(4, 'Deadline exceeded')],
    ['discovery finding no node', new Error('Failed to discover after 10 attempts.')],
  ];
  it.each(outages)('%s: unavailable', (_name, error) => {
    expect(isEventStoreDbUnavailable(error)).toBe(true);
    expectUnavailable(eventStoreDbError(error), 'eventstoredb', 2, error);
  });

  it('the client maps the gRPC statuses to the classes the adapter checks', () => {
    expect(outages[0]![1]).toBeInstanceOf(UnavailableError);
    expect(outages[1]![1]).toBeInstanceOf(UnavailableError);
    expect(outages[3]![1]).toBeInstanceOf(DeadlineExceededError);
    expect(outages[5]![1]).toBeInstanceOf(UnknownError);
    expect(outages[6]![1]).toBeInstanceOf(CancelledError);
  });

  const others: Array<[string, unknown]> = [
    ['WrongExpectedVersionError', new WrongExpectedVersionError(undefined, { streamName: 'order-1', expected: 3n, current: 5n })],
    ['StreamNotFoundError', new StreamNotFoundError(undefined, 'order-1')],
    ['StreamDeletedError', StreamDeletedError.fromStreamName('order-1')],
    ['AccessDeniedError (gRPC UNAUTHENTICATED)', convertToCommandError(serviceError(16, 'Access denied'))],
    ['UnknownError (the client cancelling its own call)', convertToCommandError(serviceError(1, 'Cancelled on client'))],
    ['ConcurrencyError (the port)', new ConcurrencyError('order-1', '3', '5')],
    ['a plain Error', plain],
    ['an Error with a numeric code but no gRPC details', Object.assign(new Error('odd'), { code: 14 })],
    ['a string', 'UNAVAILABLE'],
    ['undefined', undefined],
  ];
  it.each(others)('%s: not unavailable, passed on as it is', (_name, error) => {
    expect(isEventStoreDbUnavailable(error)).toBe(false);
    expect(eventStoreDbError(error)).toBe(error);
  });

  it('the client classes are what the cases claim', () => {
    expect(others[3]![1]).toBeInstanceOf(AccessDeniedError);
    expect(others[4]![1]).toBeInstanceOf(UnknownError);
  });

  it('an EngineUnavailableError is kept as it is', () => {
    const already = new EngineUnavailableError('eventstoredb', 7);
    expect(isEventStoreDbUnavailable(already)).toBe(true);
    expect(eventStoreDbError(already)).toBe(already);
  });
});

type EsdbFake = Partial<Pick<KurrentDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll'>>;
const fakeKurrent = (overrides: EsdbFake): KurrentDBClient => ({ dispose: async () => undefined, ...overrides }) as unknown as KurrentDBClient;
const failingRead = (error: unknown) =>
  (async function* () {
    yield* [];
    throw error;
  })();

describe('esdbEventStore while KurrentDB is away (a fake client)', () => {
  it('an append, a stream read, a $all read and the head position reject with EngineUnavailableError', async () => {
    const unavailable = new UnavailableError(undefined, 'UnavailableError');
    const deadline = convertToCommandError(serviceError(4, 'Deadline exceeded'));
    const store = esdbEventStore(
      fakeKurrent({
        appendToStream: async () => {
          throw unavailable;
        },
        readStream: (() => failingRead(deadline)) as unknown as KurrentDBClient['readStream'],
        readAll: (() => failingRead(unavailable)) as unknown as KurrentDBClient['readAll'],
      }),
    );
    expectUnavailable(await rejection(() => store.append('cart-1', [{ type: 'CartCreated', data: {} }], 'any')), 'eventstoredb', 2, unavailable);
    expectUnavailable(await rejection(() => store.appendAll([{ streamId: 'cart-1', events: [{ type: 'CartCreated', data: {} }], expected: 'any' }])), 'eventstoredb', 2, unavailable);
    expectUnavailable(await rejection(() => store.readStream('cart-1')), 'eventstoredb', 2, deadline);
    expectUnavailable(await rejection(() => store.readAll({ after: 0 })), 'eventstoredb', 2, unavailable);
    expectUnavailable(await rejection(() => store.headPosition()), 'eventstoredb', 2, unavailable);
    expect(store.atomicAppends).toBe(false);
    await store.close();
  });

  it('keeps its own refusals: a wrong expected version is a ConcurrencyError, a missing stream no events, other errors pass unchanged', async () => {
    const store = esdbEventStore(
      fakeKurrent({
        appendToStream: async (streamName) => {
          if (streamName === 'order-1') throw new WrongExpectedVersionError(undefined, { streamName: 'order-1', expected: 3n, current: 5n });
          throw plain;
        },
        readStream: (() => failingRead(new StreamNotFoundError(undefined, 'missing'))) as unknown as KurrentDBClient['readStream'],
      }),
    );
    const conflict = await rejection(() => store.append('order-1', [{ type: 'OrderPaid', data: {} }], 3));
    expect(conflict).toBeInstanceOf(ConcurrencyError);
    expect(conflict).toMatchObject({ streamId: 'order-1', expected: '3', actual: '5' });
    expect(await rejection(() => store.append('order-2', [{ type: 'OrderPaid', data: {} }], 'any'))).toBe(plain);
    expect(await store.readStream('missing')).toEqual([]);
    // The adapter's own checks are not outages either.
    expect(await rejection(() => store.append('order-3', [], 'any'))).toMatchObject({ message: 'append needs at least one event' });
    await store.close();
  });

  it("a subscription's `done` rejects with the client's own error (its owner resubscribes), not EngineUnavailableError", async () => {
    const source = Object.assign(new Readable({ objectMode: true, read() {} }), { unsubscribe: async () => undefined });
    const store = esdbEventStore(fakeKurrent({ subscribeToAll: (() => source) as unknown as KurrentDBClient['subscribeToAll'] }));
    const subscription = store.subscribeToAll(() => undefined);
    const unavailable = new UnavailableError(undefined, 'UnavailableError');
    source.destroy(unavailable);
    expect(await rejection(() => subscription.done)).toBe(unavailable);
    await subscription.close();
    await store.close();
  });

  it('the real client against a closed port: an append and a read reject with EngineUnavailableError', async () => {
    const store = esdbEventStore(KurrentDBClient.connectionString(`kurrentdb://127.0.0.1:${await closedPort()}?tls=false`));
    try {
      const append = await rejection(() => store.append('cart-1', [{ type: 'CartCreated', data: {} }], 'any'));
      expectUnavailable(append, 'eventstoredb', 2);
      expect((append as Error).message).toMatch(/UNAVAILABLE|ECONNREFUSED/);
      expectUnavailable(await rejection(() => store.readStream('cart-1')), 'eventstoredb', 2);
    } finally {
      await store.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// MongoDB

/** What the driver passes a server selection error as its reason (a TopologyDescription; its shape, not the class). */
const topology = { type: 'ReplicaSetNoPrimary', servers: new Map(), error: null } as unknown as ConstructorParameters<typeof MongoServerSelectionError>[1];

describe('isMongoUnavailable: mongodb driver errors', () => {
  const outages: Array<[string, unknown]> = [
    ['MongoNetworkError', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
    ['MongoNetworkTimeoutError', new MongoNetworkTimeoutError('connection 3 to 127.0.0.1:27017 timed out')],
    ['MongoServerSelectionError', new MongoServerSelectionError('Server selection timed out after 30000 ms', topology)],
    ['MongoNotConnectedError', new MongoNotConnectedError('Client must be connected before running operations')],
    ['MongoOperationTimeoutError', new MongoOperationTimeoutError('Timed out during operation execution')],
    ['NotWritablePrimary (a write on a stepped-down primary)', new MongoServerError({ message: 'not primary', code: 10107, codeName: 'NotWritablePrimary', errorLabels: ['RetryableWriteError'] })],
    ['NotPrimaryNoSecondaryOk (a read, no label)', new MongoServerError({ message: 'not primary and secondaryOk=false', code: 13435, codeName: 'NotPrimaryNoSecondaryOk' })],
    ['ShutdownInProgress', new MongoServerError({ message: 'The server is in quiesce mode and will shut down', code: 91, codeName: 'ShutdownInProgress' })],
    ['InterruptedDueToReplStateChange', new MongoServerError({ message: 'operation was interrupted', code: 11602, codeName: 'InterruptedDueToReplStateChange' })],
    ['a write concern error of a primary stepping down', new MongoWriteConcernError({ ok: 1, writeConcernError: { code: 189, codeName: 'PrimarySteppedDown', errmsg: 'primary stepped down' }, errorLabels: ['RetryableWriteError'] })],
    ['an error labelled ResetPool (its code alone would not say)', withLabel(new MongoServerError({ message: 'connection pool for mongo:27017 was cleared', code: 0 }), 'ResetPool')],
    ['an overloaded server (SystemOverloadedError, RetryableError)', new MongoServerError({ message: 'the server is overloaded', errorLabels: ['SystemOverloadedError', 'RetryableError'] })],
  ];
  it.each(outages)('%s: unavailable', (_name, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
    expectUnavailable(mongoError(error), 'mongodb', 2, error);
  });

  const others: Array<[string, unknown]> = [
    ['a duplicate key (11000)', new MongoServerError({ message: 'E11000 duplicate key error collection: bazaar.checkpoints', code: 11000, codeName: 'DuplicateKey' })],
    ['a write conflict (112, TransientTransactionError)', new MongoServerError({ message: 'WriteConflict', code: 112, codeName: 'WriteConflict', errorLabels: ['TransientTransactionError'] })],
    ['a validation failure (121)', new MongoServerError({ message: 'Document failed validation', code: 121, codeName: 'DocumentValidationFailure' })],
    ['NamespaceExists (48)', new MongoServerError({ message: 'Collection already exists', code: 48, codeName: 'NamespaceExists' })],
    ['CheckpointMoved (the port)', new CheckpointMoved('orders', 0, 5)],
    ['a plain Error', plain],
    ['null', null],
  ];
  it.each(others)('%s: not unavailable, passed on as it is', (_name, error) => {
    expect(isMongoUnavailable(error)).toBe(false);
    expect(mongoError(error)).toBe(error);
  });

  it('the real driver against a closed port: its MongoServerSelectionError is unavailable', async () => {
    const client = new MongoClient(`mongodb://127.0.0.1:${await closedPort()}/?directConnection=true`, { serverSelectionTimeoutMS: 200 });
    try {
      const error = await rejection(() => client.db('bazaar').command({ ping: 1 }));
      expect(error).toBeInstanceOf(MongoServerSelectionError);
      expectUnavailable(mongoError(error), 'mongodb', 2, error);
    } finally {
      await client.close();
    }
  });
});

function withLabel<T extends MongoServerError>(error: T, label: string): T {
  error.addErrorLabel(label);
  return error;
}

/** The few Db / Collection calls of the adapter; each collection call fails with `failure` once it is set. */
function fakeMongo() {
  const state: { failure: unknown; updateFailure: unknown } = { failure: null, updateFailure: null };
  const fail = () => {
    if (state.failure !== null) throw state.failure;
  };
  const collection = (name: string) => ({
    collectionName: name,
    findOne: async () => (fail(), null),
    find: () => ({ toArray: async () => (fail(), []) }),
    updateOne: async () => {
      fail();
      if (state.updateFailure !== null) throw state.updateFailure;
      return { matchedCount: 1, upsertedCount: 0 };
    },
    deleteOne: async () => (fail(), { deletedCount: 0 }),
    deleteMany: async () => (fail(), { deletedCount: 0 }),
    insertOne: async () => (fail(), { insertedId: 'x' }),
    bulkWrite: async () => (fail(), {}),
    createIndex: async () => (fail(), 'index'),
    drop: async () => (fail(), true),
  });
  const db = {
    listCollections: () => ({ toArray: async () => ['checkpoints', 'view_generations', 'view_indexes', 'orders'].map((name) => ({ name })) }),
    createCollection: async () => fail(),
    collection,
    command: async () => (fail(), { ok: 1 }),
    client: {
      startSession: () => ({ withTransaction: async (work: (session: unknown) => Promise<void>) => work({}), endSession: async () => undefined }),
      close: async () => undefined,
    },
  };
  return { db: db as unknown as Db, state };
}

describe('mongoViewStore while MongoDB is away (a fake driver)', () => {
  it('reads, commits, a reset, an index, a ping and a rebuild reject with EngineUnavailableError', async () => {
    const { db, state } = fakeMongo();
    const store = await mongoViewStore(db, { collections: ['orders'], closeClient: false });
    const rebuild = await store.beginRebuild('orders', ['orders']);
    const lost = new MongoNetworkError('connection 7 to mongo:27017 closed');
    state.failure = lost;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['get', () => store.get('orders', 'o1')],
      ['find', () => store.find('orders', { limit: 5 })],
      ['checkpoint', () => store.checkpoint('orders')],
      ['commit', () => store.commit('orders', [{ collection: 'orders', id: 'o1', doc: { total: 1 } }], 0, 5)],
      ['reset', () => store.reset('orders', ['orders'])],
      ['ensureIndex', () => store.ensureIndex('orders', ['total'])],
      ['beginRebuild', () => store.beginRebuild('orders', ['orders'])],
      ['ping', () => store.ping()],
      ['rebuild.get', () => rebuild.get('orders', 'o1')],
      ['rebuild.checkpoint', () => rebuild.checkpoint()],
      ['rebuild.commit', () => rebuild.commit([{ collection: 'orders', id: 'o1', doc: {} }], 0, 5)],
      ['rebuild.abort', () => rebuild.abort()],
    ];
    for (const [name, call] of calls) {
      const error = await rejection(call);
      expect(error, name).toBeInstanceOf(EngineUnavailableError);
      expectUnavailable(error, 'mongodb', 2, lost);
    }
    expect(rebuild.generation).toBe(1);
    state.failure = new MongoServerSelectionError('Server selection timed out after 30000 ms', topology);
    expectUnavailable(await rejection(() => store.get('orders', 'o1')), 'mongodb', 2, state.failure);
    await store.close();
  });

  it('passes other errors on unchanged: a write conflict, a plain error; a lost checkpoint race stays CheckpointMoved', async () => {
    const { db, state } = fakeMongo();
    const store = await mongoViewStore(db, { collections: ['orders'], closeClient: false });
    const conflict = new MongoServerError({ message: 'WriteConflict', code: 112, codeName: 'WriteConflict', errorLabels: ['TransientTransactionError'] });
    state.updateFailure = conflict;
    expect(await rejection(() => store.commit('orders', [], 5, 6))).toBe(conflict);
    // The upsert from 0 meets another writer's checkpoint (duplicate key): the port's CheckpointMoved.
    state.updateFailure = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
    expect(await rejection(() => store.commit('orders', [], 0, 6))).toBeInstanceOf(CheckpointMoved);
    state.updateFailure = null;
    state.failure = plain;
    expect(await rejection(() => store.get('orders', 'o1'))).toBe(plain);
    await store.close();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Elasticsearch

/** A response's diagnostic as the transport builds it. */
function diagnostic(statusCode?: number, type?: string): DiagnosticResult {
  return {
    body: type === undefined ? undefined : { error: { type, reason: type }, status: statusCode },
    statusCode,
    headers: {},
    warnings: null,
    meta: { context: null, name: 'elasticsearch-js', request: { params: { method: 'POST', path: '/bazaar-products/_search' }, options: {}, id: 1 }, connection: null, attempts: 0, aborted: false },
  };
}
const responseError = (statusCode: number, type: string) => new errors.ResponseError(diagnostic(statusCode, type));

describe('isElasticsearchUnavailable: @elastic/elasticsearch errors', () => {
  const outages: Array<[string, unknown, number]> = [
    ['ConnectionError (refused)', new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200'), 2],
    ['ConnectionError (socket closed)', new errors.ConnectionError('other side closed - Local: 127.0.0.1:50000, Remote: 127.0.0.1:9200'), 2],
    ['TimeoutError', new errors.TimeoutError('Request timed out'), 2],
    ['NoLivingConnectionsError', new errors.NoLivingConnectionsError('There are no living connections', diagnostic()), 2],
    ['ResponseError 502', responseError(502, 'bad_gateway'), 2],
    ['ResponseError 503 (no master, shards unavailable)', responseError(503, 'search_phase_execution_exception'), 2],
    ['ResponseError 504', responseError(504, 'gateway_timeout'), 2],
    ['ResponseError 429 (rejected execution)', responseError(429, 'es_rejected_execution_exception'), 5],
  ];
  it.each(outages)('%s: unavailable', (_name, error, retryAfterSeconds) => {
    expect(isElasticsearchUnavailable(error)).toBe(true);
    expectUnavailable(elasticsearchError(error), 'elasticsearch', retryAfterSeconds, error);
  });

  const others: Array<[string, unknown]> = [
    ['ResponseError 400', responseError(400, 'parsing_exception')],
    ['ResponseError 404', responseError(404, 'index_not_found_exception')],
    ['ResponseError 409', responseError(409, 'version_conflict_engine_exception')],
    ['ConnectionError of an untrusted certificate (configuration)', new errors.ConnectionError('self-signed certificate in certificate chain')],
    ["ConnectionError of a host name the certificate does not name", new errors.ConnectionError("Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list")],
    ['RequestAbortedError (the caller aborted)', new errors.RequestAbortedError('Request aborted')],
    ['InvalidSearchQuery (the port)', new InvalidSearchQuery(['q must be at most 200 characters'])],
    ['a plain Error', plain],
  ];
  it.each(others)('%s: not unavailable, passed on as it is', (_name, error) => {
    expect(isElasticsearchUnavailable(error)).toBe(false);
    expect(elasticsearchError(error)).toBe(error);
  });
});

/** The client calls the adapter makes, each answering from `answers` (a function or a value), else failing with `failure`. */
function fakeElasticsearch(failure: unknown, answers: Record<string, unknown> = {}) {
  const call = (name: string) => async (...args: unknown[]) => {
    const answer = answers[name];
    if (typeof answer === 'function') return (answer as (...args: unknown[]) => unknown)(...args);
    if (answer !== undefined) return answer;
    throw failure;
  };
  const indices = Object.fromEntries(['existsAlias', 'putMapping', 'create', 'get', 'delete', 'putSettings', 'refresh', 'getAlias', 'updateAliases'].map((name) => [name, call(`indices.${name}`)]));
  return { indices, ...Object.fromEntries(['search', 'count', 'get', 'bulk', 'index', 'ping'].map((name) => [name, call(name)])), close: async () => undefined } as unknown as Client;
}
const ready = { 'indices.existsAlias': true, 'indices.putMapping': {} };

describe('elasticsearchSearchIndex while Elasticsearch is away (a fake client)', () => {
  it('every call rejects with EngineUnavailableError, a 429 with a longer Retry-After', async () => {
    const down = responseError(503, 'cluster_block_exception');
    const index = elasticsearchSearchIndex(fakeElasticsearch(down, ready));
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['search', () => index.search({ q: 'phone' })],
      ['suggest', () => index.suggest({ q: 'ph' })],
      ['get', () => index.get('p1')],
      ['count', () => index.count()],
      ['remove', () => index.remove(['p1'])],
      ['checkpoint', () => index.checkpoint('search')],
      ['commit', () => index.commit('search', [], [], 0, 1)],
      ['beginRebuild', () => index.beginRebuild()],
      ['ping', () => index.ping()],
    ];
    for (const [name, call] of calls) {
      const error = await rejection(call);
      expect(error, name).toBeInstanceOf(EngineUnavailableError);
      expectUnavailable(error, 'elasticsearch', 2, down);
    }
    // Before the alias is known: the first call the adapter makes fails.
    const refused = new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200');
    expectUnavailable(await rejection(() => elasticsearchSearchIndex(fakeElasticsearch(refused)).count()), 'elasticsearch', 2, refused);
    const busy = responseError(429, 'es_rejected_execution_exception');
    expectUnavailable(await rejection(() => elasticsearchSearchIndex(fakeElasticsearch(busy, ready)).search({ q: 'phone' })), 'elasticsearch', 5, busy);
  });

  it('a bulk write whose items a busy shard refused (200 with item 429s) is unavailable; other item failures are errors', async () => {
    const item = (status: number, type: string) => ({ index: { _index: 'bazaar-products-initial', _id: 'p1', status, error: { type, reason: type } } });
    const doc = { id: 'p1', title: 't', description: '', brand: { id: 'b', name: 'B' }, categoryId: 'c', categoryIds: ['c'], frontendCategoryIds: [], attributes: {}, minPrice: 1, maxPrice: 1, currency: 'CNY', inStock: true, salesCount: 0, listedAt: null, image: null, status: 'listed' as const, revision: 1 };
    const busy = elasticsearchSearchIndex(fakeElasticsearch(new Error('unused'), { ...ready, bulk: { errors: true, items: [item(429, 'es_rejected_execution_exception')] } }));
    const refused = await rejection(() => busy.upsert([doc]));
    expect(refused).toBeInstanceOf(EngineUnavailableError);
    expect((refused as EngineUnavailableError).retryAfterSeconds).toBe(5);
    const broken = elasticsearchSearchIndex(fakeElasticsearch(new Error('unused'), { ...ready, bulk: { errors: true, items: [item(400, 'mapper_parsing_exception')] } }));
    const failed = await rejection(() => broken.upsert([doc]));
    expect(failed).not.toBeInstanceOf(EngineUnavailableError);
    expect((failed as Error).message).toContain('mapper_parsing_exception');
    const stale = elasticsearchSearchIndex(fakeElasticsearch(new Error('unused'), { ...ready, bulk: { errors: true, items: [item(409, 'version_conflict_engine_exception')] } }));
    await expect(stale.upsert([doc])).resolves.toBeUndefined(); // an older revision: a no-op
  });

  it("a rebuild's calls are translated too", async () => {
    const timeout = new errors.TimeoutError('Request timed out');
    const index = elasticsearchSearchIndex(fakeElasticsearch(timeout, { ...ready, 'indices.get': {}, 'indices.create': {} }));
    const rebuild = await index.beginRebuild();
    for (const call of [() => rebuild.remove(['p1']), () => rebuild.commit(), () => rebuild.abort()]) {
      expectUnavailable(await rejection(call), 'elasticsearch', 2, timeout);
    }
  });

  it('passes other errors on unchanged: a 400, an invalid query; a 409 on the checkpoint stays CheckpointMoved', async () => {
    const bad = responseError(400, 'parsing_exception');
    const index = elasticsearchSearchIndex(fakeElasticsearch(bad, ready));
    expect(await rejection(() => index.search({ q: 'phone' }))).toBe(bad);
    expect(await rejection(() => index.search({ q: 'x'.repeat(201) }))).toBeInstanceOf(InvalidSearchQuery);
    const checkpoint = { found: true, _source: { checkpoint: { projection: 'search', position: 0 } }, _seq_no: 1, _primary_term: 1, _index: 'bazaar-products-initial' };
    const moved = elasticsearchSearchIndex(fakeElasticsearch(responseError(409, 'version_conflict_engine_exception'), { ...ready, get: checkpoint }));
    expect(await rejection(() => moved.commit('search', [], [], 0, 1))).toBeInstanceOf(SearchCheckpointMoved);
  });
});

describe('elasticsearchSearchIndex on the real client: a closed port, and a local server answering 503 / 429 / 400', () => {
  let server: Server;
  let url: string;
  let status = 503;
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(status, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { type: status === 400 ? 'parsing_exception' : 'cluster_block_exception', reason: 'test' }, status }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const countOn = async (node: string) => {
    const index = elasticsearchSearchIndex(new Client({ node, maxRetries: 0 }));
    try {
      return await rejection(() => index.count());
    } finally {
      await index.close();
    }
  };

  it('no server: ConnectionError → EngineUnavailableError', async () => {
    const error = await countOn(`http://127.0.0.1:${await closedPort()}`);
    expectUnavailable(error, 'elasticsearch', 2);
    expect((error as Error).cause).toBeInstanceOf(errors.ConnectionError);
  });

  it('503 and 429 answers are unavailable (2 s, 5 s); a 400 is the ResponseError itself', async () => {
    status = 503;
    expectUnavailable(await countOn(url), 'elasticsearch', 2);
    status = 429;
    expectUnavailable(await countOn(url), 'elasticsearch', 5);
    status = 400;
    const error = await countOn(url);
    expect(error).toBeInstanceOf(errors.ResponseError);
    expect((error as errors.ResponseError).statusCode).toBe(400);
  });
});
