/**
 * The PostgreSQL and Redis adapters while their engine is away (docs/operations.md, Engine outages): every call
 * fails within a few seconds with EngineUnavailableError (HTTP 503), whether the server refuses connections or
 * accepts them and never answers, and works again once the engine is back. The outages are faked by a TCP
 * proxy in front of the shared servers, which are never disturbed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { Redis } from 'ioredis';
import { EngineUnavailableError } from '../../src/kernel/errors.js';
import { CONNECT_TIMEOUT_MS, createPostgresPool, postgresError, STATEMENT_TIMEOUT_MS } from '../../src/adapters/postgres/pool.js';
import { postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { postgresViewStore } from '../../src/adapters/viewstore/postgres.js';
import { REDIS_BOUNDS, redisConnection, redisKeyValue } from '../../src/adapters/keyvalue/redis.js';
import type { EventStore, RecordedEvent } from '../../src/ports/event-store.js';
import type { ViewStore } from '../../src/ports/view-store.js';
import type { KeyValue } from '../../src/ports/key-value.js';
import { loadConfig } from '../../src/config.js';
import { buildRuntime, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { createApp } from '../../src/http/app.js';
import { freshSchema, POSTGRES_URL, postgresAvailable } from '../support/postgres.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Resolves with how long `work` took to reject, and what it rejected with (fails the test if it resolves). */
async function failure(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected a failure, but it succeeded');
}

async function eventually<T>(work: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const pgAvailable = postgresAvailable();

describe.skipIf(!pgAvailable)('PostgreSQL adapters during an outage', () => {
  let fresh: Awaited<ReturnType<typeof freshSchema>>;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let store: EventStore;
  let views: ViewStore;

  beforeAll(async () => {
    fresh = await freshSchema('outage');
    const target = new URL(POSTGRES_URL);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    pool = createPostgresPool(proxy.via(POSTGRES_URL), 4);
    store = await postgresEventStore(pool, { schema: fresh.schema, pollMs: 200 });
    views = await postgresViewStore(pool, { schema: fresh.schema });
  });
  afterAll(async () => {
    await proxy?.restore();
    await store?.close();
    await views?.close();
    await pool?.end();
    await proxy?.stop();
    await fresh?.drop();
  });

  const everyCall = (): Array<[string, () => Promise<unknown>]> => [
    ['append', () => store.append('outage-1', [{ type: 'T', data: {} }], 'any')],
    ['readStream', () => store.readStream('outage-1')],
    ['readAll', () => store.readAll({ maxCount: 10 })],
    ['headPosition', () => store.headPosition()],
    ['views.get', () => views.get('outage_docs', 'a')],
    ['views.find', () => views.find('outage_docs', { limit: 5 })],
    ['views.checkpoint', () => views.checkpoint('outage')],
    ['views.ping', () => views.ping()],
  ];

  it('refused connections (server down): every call fails at once with EngineUnavailableError, then works again', async () => {
    await store.append('outage-1', [{ type: 'T', data: { n: 1 } }], 'no_stream');
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribeToAll(async (events) => void seen.push(...events.filter((event) => event.streamId === 'outage-1')));
    await eventually(async () => expect(seen).toHaveLength(1));

    await proxy.cut();
    for (const [name, call] of everyCall()) {
      const { error, ms } = await failure(call);
      expect(error, name).toBeInstanceOf(EngineUnavailableError);
      expect((error as EngineUnavailableError).engine).toBe('postgresql');
      expect(ms, name).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
    }

    await proxy.restore();
    await eventually(() => store.append('outage-1', [{ type: 'T', data: { n: 2 } }], 0));
    await eventually(async () => expect(seen).toHaveLength(2)); // the subscription read on across the outage
    await subscription.close();
    expect(await views.checkpoint('outage')).toBe(0);
  });

  it('a server that accepts and never answers: calls fail within the connect timeout', async () => {
    await proxy.blackHole();
    try {
      for (const [name, call] of [everyCall()[0]!, everyCall()[4]!]) {
        const { error, ms } = await failure(call);
        expect(error, name).toBeInstanceOf(EngineUnavailableError);
        expect(ms, name).toBeLessThan(CONNECT_TIMEOUT_MS + 1500);
      }
    } finally {
      await proxy.restore();
    }
    await eventually(() => store.headPosition());
  }, 30_000);

  it('a statement that runs past the statement timeout is cancelled as EngineUnavailableError; migrations are not bounded by it', async () => {
    const started = performance.now();
    const error = await pool.query(`SELECT pg_sleep(${(STATEMENT_TIMEOUT_MS + 3000) / 1000})`).then(
      () => null,
      (failed: unknown) => failed,
    );
    expect((error as { code?: string }).code).toBe('57014');
    expect(postgresError(error)).toBeInstanceOf(EngineUnavailableError);
    expect(performance.now() - started).toBeLessThan(STATEMENT_TIMEOUT_MS + 2000);
    // SET LOCAL in a maintenance transaction lifts it for that transaction only.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL statement_timeout = 0');
      expect((await client.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout).toBe('0');
      await client.query('COMMIT');
      expect((await client.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]!.statement_timeout).toBe(`${STATEMENT_TIMEOUT_MS / 1000}s`);
    } finally {
      client.release();
    }
  }, 20_000);
});

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await new Promise<boolean>((resolve) => {
  const target = new URL(redisUrl);
  const socket = createConnection(Number(target.port || 6379), target.hostname || '127.0.0.1');
  socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
  socket.once('connect', () => (socket.destroy(), resolve(true)));
  socket.once('error', () => resolve(false));
});
if (!redisAvailable) console.warn(`[engine-outage] Redis part SKIPPED: nothing answers at ${redisUrl}`);

describe.skipIf(!redisAvailable)('Redis key-value during an outage', () => {
  const prefix = `bazaar-outage:${Date.now().toString(36)}:`;
  let proxy: TcpProxy;
  let kv: KeyValue;

  beforeAll(async () => {
    const target = new URL(redisUrl);
    proxy = await TcpProxy.start({ host: target.hostname || '127.0.0.1', port: Number(target.port || 6379) });
    const connection = redisConnection({ url: proxy.via(redisUrl) }, { keyPrefix: prefix });
    connection.on('error', () => undefined); // reconnect attempts while the proxy is cut
    kv = redisKeyValue(connection);
    await kv.ping();
  });
  afterAll(async () => {
    await proxy?.restore();
    await kv?.close();
    await proxy?.stop();
    const admin = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    admin.disconnect();
  });

  const calls = (): Array<[string, () => Promise<unknown>]> => [
    ['get', () => kv.get('a')],
    ['set', () => kv.set('a', '1', { ttlMs: 60_000 })],
    ['incr', () => kv.incr('n', 1, { ttlMs: 60_000 })],
    ['compareAndSet', () => kv.compareAndSet('lease', null, 'me', { ttlMs: 60_000 })],
  ];
  const bound = REDIS_BOUNDS.commandTimeoutMs + 1000;

  it('refused connections: every command fails with EngineUnavailableError within the bounds, then works again', async () => {
    expect(await kv.set('a', 'before')).toBe(true);
    await proxy.cut();
    for (const [name, call] of calls()) {
      const { error, ms } = await failure(call);
      expect(error, name).toBeInstanceOf(EngineUnavailableError);
      expect((error as EngineUnavailableError).engine).toBe('redis');
      expect(ms, name).toBeLessThan(bound);
    }
    await proxy.restore();
    expect(await eventually(() => kv.get('a'))).toBe('before');
  }, 30_000);

  it('a server that never answers: commands fail at the command timeout', async () => {
    await proxy.blackHole();
    try {
      for (const [name, call] of calls().slice(0, 2)) {
        const { error, ms } = await failure(call);
        expect(error, name).toBeInstanceOf(EngineUnavailableError);
        expect(ms, name).toBeLessThan(bound);
      }
    } finally {
      await proxy.restore();
    }
    expect(await eventually(() => kv.get('a'))).toBe('before');
  }, 30_000);
});

/** Deletes every key under `prefix` from the shared Redis. */
async function dropKeys(prefix: string): Promise<void> {
  const admin = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
}

describe.skipIf(!pgAvailable || !redisAvailable)('HTTP while an engine is away (the runtime as main.ts builds it)', () => {
  const prefix = `bazaar-outage-http:${Date.now().toString(36)}:`;
  let fresh: Awaited<ReturnType<typeof freshSchema>>;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let dataDir: string;

  beforeAll(async () => {
    fresh = await freshSchema('outage_http');
    const pgTarget = new URL(POSTGRES_URL);
    const redisTarget = new URL(redisUrl);
    pgProxy = await TcpProxy.start({ host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
    redisProxy = await TcpProxy.start({ host: redisTarget.hostname || '127.0.0.1', port: Number(redisTarget.port || 6379) });
    dataDir = mkdtempSync(join(tmpdir(), 'bazaar-outage-http-'));
    const config = loadConfig(
      {
        BAZAAR_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        DATABASE_URL: pgProxy.via(POSTGRES_URL),
        BAZAAR_PG_SCHEMA: fresh.schema,
        BAZAAR_PG_POOL_SIZE: '4',
        REDIS_URL: redisProxy.via(redisUrl),
        REDIS_KEY_PREFIX: prefix,
      },
      { readDotEnv: false },
    );
    runtime = await buildRuntime(config, createLogger('silent'));
    app = createApp(runtime.deps);
    token = await runtime.deps.tokens.issueAccessToken({ userId: 'outage-buyer', roles: ['customer'] }, new Date());
  });
  afterAll(async () => {
    await pgProxy?.restore();
    await redisProxy?.restore();
    await runtime?.close();
    await pgProxy?.stop();
    await redisProxy?.stop();
    await fresh?.drop();
    await dropKeys(prefix);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const checkout = async (key: string): Promise<Response> =>
    app.request('/api/v1/orders', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ items: [{ skuId: 'sku-outage', quantity: 1, expectedUnitPrice: { amount: 100, currency: 'CNY' } }], shippingAddress: { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' } }),
    });
  const product = async (): Promise<Response> => app.request('/api/v1/products/p-outage', { headers: { Authorization: `Bearer ${token}` } });
  const cart = async (): Promise<Response> => app.request('/api/v1/cart', { headers: { Authorization: `Bearer ${token}` } });

  /** The answer is the documented 503: problem+json, SERVICE_UNAVAILABLE, Retry-After, within the bounds. */
  async function expectUnavailable(what: string, request: () => Promise<Response>, boundMs: number) {
    const started = performance.now();
    const response = await request();
    const ms = performance.now() - started;
    const text = await response.text();
    expect(response.status, `${what}: ${text}`).toBe(503);
    expect(response.headers.get('content-type'), what).toBe('application/problem+json');
    expect(Number(response.headers.get('retry-after')), what).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(text).code, what).toBe('SERVICE_UNAVAILABLE');
    expect(ms, what).toBeLessThan(boundMs);
  }

  it('PostgreSQL away: a read and a checkout answer 503 with Retry-After at once, /readyz 503; then they work again', async () => {
    expect((await product()).status).toBe(404);
    await pgProxy.cut();
    await expectUnavailable('GET a product', product, CONNECT_TIMEOUT_MS + 1000);
    await expectUnavailable('POST a checkout', () => checkout('pg-away-1'), CONNECT_TIMEOUT_MS + 1000);
    expect((await app.request('/readyz')).status).toBe(503);
    await pgProxy.restore();
    expect((await eventually(async () => {
      const response = await product();
      if (response.status === 503) throw new Error('still 503');
      return response;
    })).status).toBe(404);
  }, 30_000);

  it('Redis away: a checkout (Idempotency-Key) and the cart answer 503 with Retry-After within the command bounds; then they work again', async () => {
    expect((await cart()).status).toBe(200);
    await redisProxy.blackHole();
    try {
      await expectUnavailable('POST a checkout', () => checkout('redis-away-1'), 2 * REDIS_BOUNDS.commandTimeoutMs + 1000);
      await expectUnavailable('GET the cart', cart, 2 * REDIS_BOUNDS.commandTimeoutMs + 1000);
    } finally {
      await redisProxy.restore();
    }
    expect((await eventually(async () => {
      const response = await cart();
      if (response.status === 503) throw new Error('still 503');
      return response;
    })).status).toBe(200);
  }, 30_000);
});
