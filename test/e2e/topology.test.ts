import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildRuntime, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { ORDERS, type OrderView } from '../../src/projections/orders/orders.js';
import { inventoryStream } from '../../src/domain/inventory/inventory.js';
import type { RecordedEvent } from '../../src/ports/event-store.js';
import { call, catalog, Cluster, orderBody, readModelDigests, until, type Json, type Proc } from './roles-support.js';
import { pgInstanceUnavailable, startPgInstance, type PgInstance } from '../support/pg-instance.js';

/**
 * Production topology on PostgreSQL + Redis (issue 15): two `api` processes, a `projector` and `reactors`, on a
 * PostgreSQL server of this file only (so restarting it disturbs no other test) and the local Redis under a key
 * prefix of this run. 2,000 checkouts go through both APIs (a few SKUs with little stock, so an oversell would
 * show) while the projector is killed with SIGKILL and started again, and PostgreSQL is restarted. Afterwards:
 * every acknowledged order exists (event stream and read model) exactly once, nothing is oversold and no stock
 * count ever went negative, the read models equal a rebuild from the events, the finance reconciliation is
 * clean, and during the outage every refusal was a 503 problem with Retry-After, never a 500, and no request
 * took 10 s. Clients retry a 503 after Retry-After with the same Idempotency-Key, as docs/operations.md says.
 */

const REDIS_URL = 'redis://127.0.0.1:6379';
const CHECKOUTS = 2000;
/** Checkouts started per second (the load is paced so the faults land in its middle), and in flight at most. */
const RATE_PER_SECOND = 60;
const CONCURRENCY = 12;
const BUYERS = 200; // anti-fraud allows 30 orders per buyer per 10 minutes: 10 each, with room for retries
/** Every 10th acknowledged order is paid by card (its own Idempotency-Key), so the reconciliation has captures to check. */
const PAY_EVERY = 10;
const LIMITED = [40, 40, 40];
const PLENTY = [1000, 1000, 1000, 1000, 1000];

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(6379, '127.0.0.1');
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const skipReason = pgInstanceUnavailable() ?? ((await redisReachable()) ? null : `no Redis answers at ${REDIS_URL}`);
if (skipReason) console.warn(`[topology] SKIPPED the PostgreSQL + Redis topology test because ${skipReason}`);

interface Attempt {
  kind: 'checkout' | 'payment';
  api: string;
  startedAt: number;
  ms: number;
  /** 0: no HTTP answer (network error or our 12 s abort). */
  status: number;
  code?: string;
  retryAfter: string | null;
  contentType: string | null;
  error?: string;
  body?: string;
}

interface Acknowledged {
  key: string;
  orderId: string;
  payOrderId: string;
  skuId: string;
}

/** One HTTP call with a 12 s abort, timed and recorded. */
async function attempt(attempts: Attempt[], kind: Attempt['kind'], api: Proc, path: string, token: string, key: string, body: unknown) {
  const startedAt = Date.now();
  const started = performance.now();
  try {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(12_000),
    });
    const text = await response.text();
    let json: Json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // recorded as text below
    }
    const record: Attempt = {
      kind,
      api: api.baseUrl,
      startedAt,
      ms: performance.now() - started,
      status: response.status,
      code: json?.code,
      retryAfter: response.headers.get('retry-after'),
      contentType: response.headers.get('content-type'),
      ...(response.status >= 300 ? { body: text.slice(0, 300) } : {}),
    };
    attempts.push(record);
    return { record, json };
  } catch (error) {
    const record: Attempt = { kind, api: api.baseUrl, startedAt, ms: performance.now() - started, status: 0, retryAfter: null, contentType: null, error: String(error) };
    attempts.push(record);
    return { record, json: null };
  }
}

/** Retries what a client retries (503 after Retry-After, a conflict or an in-progress duplicate shortly), same key. */
async function withRetries(attempts: Attempt[], kind: Attempt['kind'], api: Proc, path: string, token: string, key: string, body: unknown) {
  // A client keeps retrying for a while (on a loaded machine an outage's tail can outlast a few attempts).
  const deadline = Date.now() + 120_000;
  const mine: Attempt[] = [];
  while (Date.now() < deadline) {
    const { record, json } = await attempt(attempts, kind, api, path, token, key, body);
    mine.push(record);
    if (record.status === 503) await sleep(Math.min(Number(record.retryAfter) || 1, 2) * 1000);
    else if (record.status === 409 && (record.code === 'CONCURRENCY_CONFLICT' || record.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS')) await sleep(200);
    else if (record.status === 0) await sleep(500);
    else return { record, json };
  }
  throw new Error(`${kind} ${key}: still not answered after 120 s; its last attempts: ${JSON.stringify(mine.slice(-5))}`);
}

/** Every event of the store, in position order. */
async function allEvents(observer: Runtime): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let after = 0; ; ) {
    const batch = await observer.deps.store.readAll({ after, maxCount: 2000 });
    if (batch.length === 0) return events;
    events.push(...batch);
    after = batch[batch.length - 1]!.position;
  }
}

/** Waits until every projection and reactor has reached the head (nothing is being written any more). */
async function quiescent(observer: Runtime): Promise<number> {
  return until(
    'every projection and reactor at the head',
    async () => {
      const head = await observer.deps.store.headPosition();
      const statuses = await observer.deps.projections.status();
      return statuses.every((status) => status.checkpoint >= head && !status.error) && head;
    },
    60_000,
    250,
  );
}

/**
 * The read models a full replay builds: the events up to `head` copied into a new schema of the same server,
 * every projection caught up from zero in a runtime of the test process (no Redis: an embedded KeyValue and
 * search index in a temporary directory), digested the way the live ones are.
 */
async function rebuiltDigests(url: string, sourceSchema: string, head: number): Promise<Record<string, string>> {
  const schema = `rebuild_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-topology-rebuild-'));
  const pool = createPostgresPool(url, 2);
  try {
    await (await postgresEventStore(pool, { schema })).close(); // its tables
    await pool.query(`SET statement_timeout = 0; INSERT INTO ${schema}.events SELECT * FROM ${sourceSchema}.events WHERE position <= ${Number(head)}`);
    const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', DATABASE_URL: url, BAZAAR_PG_SCHEMA: schema, BAZAAR_PG_POOL_SIZE: '4' }, { readDotEnv: false });
    const runtime = await buildRuntime(config, createLogger('silent'));
    try {
      expect(await runtime.deps.store.headPosition()).toBe(head);
      for (const status of await runtime.deps.projections.status()) if (status.kind === 'projection') await runtime.deps.projections.catchUp(status.name, head);
      return await readModelDigests(runtime.deps);
    } finally {
      await runtime.close();
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe.skipIf(skipReason !== null)('production topology on PostgreSQL + Redis: two APIs, a projector, reactors', () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `bazaar-topology-${run}:`;
  const schema = 'bazaar';
  let pg: PgInstance;
  let cluster: Cluster;
  let apis: Proc[];
  let observer: Runtime;

  beforeAll(async () => {
    pg = await startPgInstance();
    cluster = new Cluster({
      DATABASE_URL: pg.url,
      BAZAAR_PG_SCHEMA: schema,
      BAZAAR_PG_POOL_SIZE: '8',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      // A card payment whose callback met the outage is settled by asking the acquirer after this long.
      BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS: '3',
    });
    // The first process creates the schema; the others wait on the migration lock.
    const first = await cluster.spawn('api');
    const [second] = await Promise.all([cluster.spawn('api'), cluster.spawn('projector'), cluster.spawn('reactors')]);
    apis = [first, second];
    observer = await cluster.observer();
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    await pg?.stop();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('2,000 checkouts through a projector kill -9 and a PostgreSQL restart: nothing lost, oversold or doubled; views equal a rebuild; 503s only, with Retry-After, none slow', async ({ onTestFailed }) => {
    onTestFailed(() => {
      for (const proc of cluster.procs) console.error(`[topology] ${proc.role} ${proc.baseUrl} (exit ${proc.child.exitCode ?? proc.child.signalCode ?? 'running'}):\n${proc.output().slice(-3000)}`);
      console.error(`[topology] PostgreSQL log:\n${pg.log().slice(-3000)}`);
    });
    const shop = await catalog(apis[0]!, observer.deps);
    const skus: Array<{ skuId: string; productId: string; price: number; position: number; stock: number }> = [];
    for (const stock of [...LIMITED, ...PLENTY]) skus.push({ ...(await shop.sku({ stock })), stock });
    const last = Math.max(...skus.map((sku) => sku.position));
    for (const api of apis) {
      await until('the products in the API read model', async () => (await call(api, 'GET', `/api/v1/products/${skus.at(-1)!.productId}`, { headers: { 'X-Min-Position': String(last) } })).headers.get('x-consistency') === 'consistent', 30_000);
    }
    const buyers: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < BUYERS; i += 20) buyers.push(...(await Promise.all(Array.from({ length: Math.min(20, BUYERS - i) }, () => shop.buyer()))));

    // ---- the load: paced, both APIs, every checkout with its own Idempotency-Key
    const attempts: Attempt[] = [];
    const acknowledged: Acknowledged[] = [];
    const outOfStock: Array<{ key: string; skuId: string }> = [];
    const unexpected: string[] = [];
    const payments: Array<{ payOrderId: string; paymentId: string }> = [];
    let done = 0;
    let next = 0;
    const loadStarted = Date.now();
    const checkout = async (i: number) => {
      const buyer = buyers[i % BUYERS]!;
      const sku = skus[(i + Math.floor(i / BUYERS)) % skus.length]!;
      const api = apis[i % 2]!;
      const key = `topology-${run}-${i}`;
      const { record, json } = await withRetries(attempts, 'checkout', api, '/api/v1/orders', buyer.token, key, orderBody(sku));
      if (record.status === 201) {
        acknowledged.push({ key, orderId: json.orders[0].id, payOrderId: json.payOrderId, skuId: sku.skuId });
        if (acknowledged.length % PAY_EVERY === 0) {
          const paid = await withRetries(attempts, 'payment', apis[(i + 1) % 2]!, `/api/v1/pay-orders/${json.payOrderId}/payments`, buyer.token, `${key}-pay`, { method: 'card', card: { number: '4242424242424242' } });
          if (paid.record.status === 201) payments.push({ payOrderId: json.payOrderId, paymentId: paid.json.paymentId });
          else unexpected.push(`payment ${key}: ${paid.record.status} ${paid.record.body}`);
        }
      } else if (record.status === 409 && record.code === 'OUT_OF_STOCK') outOfStock.push({ key, skuId: sku.skuId });
      else unexpected.push(`checkout ${key}: ${record.status} ${record.body ?? record.error}`);
    };
    const worker = async () => {
      for (let i = next++; i < CHECKOUTS; i = next++) {
        const due = loadStarted + (i * 1000) / RATE_PER_SECOND;
        if (due > Date.now()) await sleep(due - Date.now());
        await checkout(i);
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const loadEnded = load.then(() => Date.now());

    // ---- the faults, in the middle of the load: kill -9 of the projector and a new one; then PostgreSQL restarted
    await until('a sixth of the checkouts', async () => done >= CHECKOUTS / 6, 60_000, 20);
    const projector = cluster.procs.find((proc) => proc.role === 'projector')!;
    await cluster.kill9(projector);
    const killedAt = done;
    await sleep(300);
    await cluster.spawn('projector');
    await until('a third of the checkouts', async () => done >= Math.max(CHECKOUTS / 3, killedAt + 100), 60_000, 20);
    const outage = { from: Date.now(), to: 0, at: done };
    await pg.restart({ downMs: 1500 });
    outage.to = Date.now();
    const end = await loadEnded.catch((error: Error) => {
      // What the APIs logged (conflicts answered 409 name their stream) explains a checkout that never got through.
      const logged = apis.map((api) => `${api.baseUrl}:\n${api.output().split('\n').filter((line) => line.includes('conflict')).slice(-10).join('\n')}`).join('\n');
      throw new Error(`${error.message}\n${logged}`, { cause: error });
    });
    const loadMs = end - loadStarted;

    // ---- the answers: 2xx, OUT_OF_STOCK or 503 with Retry-After; never a 500, never 10 s
    const summary = {
      loadMs,
      attempts: attempts.length,
      acknowledged: acknowledged.length,
      outOfStock: outOfStock.length,
      payments: payments.length,
      unavailable: attempts.filter((a) => a.status === 503).length,
      slowestMs: Math.round(Math.max(...attempts.map((a) => a.ms))),
      projectorKilledAt: killedAt,
      outage: { atCheckout: outage.at, ms: outage.to - outage.from },
    };
    console.info('[topology]', JSON.stringify(summary));
    expect(outage.from, 'PostgreSQL restarted while checkouts were still running').toBeLessThan(end);
    expect(unexpected, 'every checkout ended in an order or OUT_OF_STOCK').toEqual([]);
    expect(acknowledged.length + outOfStock.length).toBe(CHECKOUTS);
    const answered = attempts.filter((a) => a.status !== 0);
    expect(attempts.filter((a) => a.status === 0).map((a) => `${a.kind} ${a.error} after ${Math.round(a.ms)} ms`), 'every request answered').toEqual([]);
    expect(answered.filter((a) => a.status >= 500 && a.status !== 503).map((a) => `${a.status} ${a.body}`), 'no 500').toEqual([]);
    for (const refused of answered.filter((a) => a.status === 503)) {
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.contentType).toBe('application/problem+json');
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(summary.unavailable, 'the outage was met by requests (503s)').toBeGreaterThan(0);
    expect(attempts.filter((a) => a.ms >= 10_000).map((a) => `${a.kind} ${a.status} ${Math.round(a.ms)} ms`), 'no request took 10 s').toEqual([]);

    // ---- every acknowledged order exists once; no order, pay order or reservation that nobody acknowledged
    const acknowledgedIds = new Set(acknowledged.map((order) => order.orderId));
    expect(acknowledgedIds.size).toBe(acknowledged.length);
    expect(new Set(acknowledged.map((order) => order.payOrderId)).size).toBe(acknowledged.length);
    await quiescent(observer);
    const events = await allEvents(observer);
    const placed = events.filter((event) => event.type === 'OrderPlaced').map((event) => (event.data as { orderId: string }).orderId);
    expect(placed.length, 'one OrderPlaced per acknowledged order').toBe(acknowledged.length);
    expect(new Set(placed)).toEqual(acknowledgedIds);
    const payOrders = events.filter((event) => event.type === 'PayOrderPlaced').map((event) => (event.data as { payOrderId: string }).payOrderId);
    expect(new Set(payOrders)).toEqual(new Set(acknowledged.map((order) => order.payOrderId)));
    expect(payOrders.length).toBe(acknowledged.length);
    const inModel = new Set<string>();
    for (let cursor: string | null = null; ; ) {
      const page: { items: OrderView[]; nextCursor: string | null } = await observer.deps.views.find<OrderView>(ORDERS, { limit: 500, cursor });
      for (const order of page.items) inModel.add(order.id);
      if (!(cursor = page.nextCursor)) break;
    }
    expect(inModel).toEqual(acknowledgedIds);

    // ---- no oversell: per SKU, never more reserved than on hand, no acknowledged order lost its reservation
    for (const sku of skus) {
      const stream = events.filter((event) => event.streamId === inventoryStream(sku.skuId));
      for (const event of stream) {
        const data = event.data as { onHand?: number; reserved?: number };
        if (data.onHand !== undefined) expect(data.onHand, `${event.type} of ${sku.skuId}`).toBeGreaterThanOrEqual(0);
        if (data.onHand !== undefined && data.reserved !== undefined) expect(data.onHand - data.reserved, `${event.type} of ${sku.skuId}`).toBeGreaterThanOrEqual(0);
      }
      const mine = acknowledged.filter((order) => order.skuId === sku.skuId);
      expect(mine.length, `sold of ${sku.skuId}`).toBeLessThanOrEqual(sku.stock);
      const reserved = new Set(stream.filter((event) => event.type === 'StockReserved').map((event) => (event.data as { orderId: string }).orderId));
      const released = new Set(stream.filter((event) => event.type === 'ReservationReleased').map((event) => (event.data as { orderId: string }).orderId));
      for (const order of mine) {
        expect(reserved.has(order.orderId), `reservation of ${order.orderId}`).toBe(true);
        expect(released.has(order.orderId), `reservation of acknowledged order ${order.orderId} released`).toBe(false);
      }
    }
    // The SKUs with little stock were asked for more than they had: an oversell would have shown.
    for (const sku of skus.slice(0, LIMITED.length)) expect(outOfStock.filter((refused) => refused.skuId === sku.skuId).length, `refusals of ${sku.skuId}`).toBeGreaterThan(0);

    // ---- the finance reconciliation is clean (the card payments settled, some through the stuck-payment sweep)
    const report = await until(
      'a clean reconciliation',
      async () => {
        const response = await call(apis[1]!, 'GET', '/api/v1/admin/finance/reconciliation', { token: shop.admin });
        return response.status === 200 && response.body.ok === true && response;
      },
      60_000,
      500,
    ).catch(async (error: unknown) => {
      const response = await call(apis[1]!, 'GET', '/api/v1/admin/finance/reconciliation', { token: shop.admin });
      throw new Error(`${String(error)}: ${JSON.stringify(response.body).slice(0, 2000)}`);
    });
    expect(report.body.ok).toBe(true);

    // ---- the read models equal a rebuild from the events (the same head)
    let live: Record<string, string> = {};
    let head = 0;
    for (let tries = 0; tries < 5; tries++) {
      head = await quiescent(observer);
      live = await readModelDigests(observer.deps);
      if ((await observer.deps.store.headPosition()) === head) break;
    }
    for (const payment of payments) {
      const order = await observer.deps.views.get<OrderView>(ORDERS, acknowledged.find((o) => o.payOrderId === payment.payOrderId)!.orderId);
      expect(order?.paymentStatus, `order of pay order ${payment.payOrderId}`).toBe('paid');
    }
    expect(await rebuiltDigests(pg.url, schema, head)).toEqual(live);
    expect(Number(live.orders!.split(':')[0])).toBe(acknowledged.length);
  }, 240_000);
});
