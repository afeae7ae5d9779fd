/**
 * Checkout benchmarks: POST /api/v1/orders over HTTP on the embedded default, next to the raw append rate
 * of the same events on the same store engine.
 *
 *   npx tsx bench/checkout.ts [--quick] [--profile] [--rate=1000] [--only=saturation,paced,hot,flash,raw]
 *
 * Scenarios (one server process, BAZAAR_LIMITS=relaxed, NODE_ENV=production, LOG_LEVEL=info → /dev/null):
 *   1. many SKUs: each order 1 unit of one of N SKUs, round-robin; many buyers, each request its own
 *      Idempotency-Key. Saturation (as fast as C connections go), then orders arriving at 1,000/s (open
 *      loop, bench/lib/paced.ts) for p99.
 *   2. one hot SKU with ample stock, with and without a flash sale on it (gate admits everyone): the cost
 *      of the serialized inventory stream and of the gate.
 *   3. 10,000 buyers (distinct users) for 100 units of one SKU, with and without the flash-sale gate.
 *   4. raw appends: the events one order writes (StockReserved, PayOrderPlaced, OrderPlaced, shapes and
 *      sizes taken from the server's own store), appended straight to sqliteEventStore with the same
 *      concurrency: the physical limit of the store for this workload.
 *
 * The server runs in a child process (this file with `--serve`), autocannon in this one; on 2 cores that is
 * one core each. Buyers are registered with the RegisterUser command (the events createUser appends,
 * without hashing 10,000 passwords with argon2: one hash is computed and shared) and get access tokens
 * from the server's token service. `--profile` profiles the server's main thread during the many-SKU
 * saturation run, the paced run, the hot-SKU run without a sale and the gated flash sale (the measured windows only, not the setup) and adds where the time goes
 * to the report (raw profiles in bench/results/profiles/, for Chrome DevTools or speedscope).
 * `BENCH_SERVER_LOG=<file>` keeps the server's log (its access log gives each request's time in the server).
 * `BENCH_SERVER_NODE_ARGS="--trace-gc"` passes Node options to the server process (with BENCH_SERVER_LOG, its GC trace).
 * `BENCH_LOG_LEVEL=warn` runs the server without its access log (default info), to weigh what logging costs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parseArgs, type BenchArgs } from './lib/args.js';
import { cpuBusy, cpuSample, machineInfo, machineMarkdown, otherCores } from './lib/machine.js';
import { isMain } from './lib/main-module.js';
import { int, summarize, table } from './lib/stats.js';
import { closedLoad, pacedLoad, type LoadRequest, type LoadResult } from './lib/paced.js';
import { watchLoop, type LoopStats } from './lib/loop-watch.js';
import { profileMarkdown, startProfiler, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/profiler.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');

// ---------------------------------------------------------------------------------------------
// autocannon (the package ships no types): the part used here

interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration?: number;
  timeout?: number;
  requests: Array<{ method: string; path: string; setupRequest: (request: CannonRequest) => CannonRequest }>;
}
interface CannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: { total: number; average: number };
}
type Autocannon = (options: CannonOptions, callback: (error: Error | null, result: CannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const cannon = (options: CannonOptions) =>
  new Promise<CannonResult>((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));

// ---------------------------------------------------------------------------------------------
// the server process

type Request =
  | { type: 'skus'; count: number; stock: number; price: number }
  | { type: 'buyers'; count: number }
  | { type: 'flash-sale'; skuId: string; quantity: number; price?: number }
  | { type: 'stock'; skuId: string }
  | { type: 'sample-order' }
  | { type: 'settle' }
  | { type: 'loop-start' }
  | { type: 'loop-stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; name: string }
  | { type: 'stop' };

interface Sku {
  skuId: string;
  price: number;
}
interface Buyer {
  id: string;
  token: string;
}

async function serveMode(): Promise<void> {
  const { loadConfig } = await import('../src/config.js');
  const { startServer } = await import('../src/main.js');
  const { createApp } = await import('../src/http/app.js');
  const { userStream } = await import('../src/domain/users/user.js');
  const { inventoryStream, available } = await import('../src/domain/inventory/inventory.js');
  const { hashPassword } = await import('../src/commands/users/passwords.js');

  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-bench-checkout-'));
  const config = loadConfig(
    { BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', NODE_ENV: 'production', BAZAAR_LIMITS: 'relaxed', PORT: '0', HOST: '127.0.0.1', BAZAAR_PROJECTOR_THREAD: process.env.BAZAAR_PROJECTOR_THREAD },
    { readDotEnv: false },
  );
  // What `bazaar serve` runs (role all: projections on their own thread, reactors and sweepers here).
  const running = await startServer(config);
  const { deps } = running.runtime;
  const app = createApp(deps); // the set-up's admin calls, in-process
  const admin = await deps.tokens.issueAccessToken({ userId: 'bench-admin', roles: ['admin'] }, new Date());
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(path, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  // taxonomy: one category with one sales attribute, one brand
  const rootId = (await call('POST', '/api/v1/admin/categories', { name: '服装' })).id as string;
  const categoryId = (await call('POST', '/api/v1/admin/categories', { name: 'T恤', parentId: rootId })).id as string;
  await call('POST', '/api/v1/admin/attributes', { categoryId, name: '颜色', kind: 'sales', values: ['红色', '蓝色'] });
  const brandId = (await call('POST', '/api/v1/admin/brands', { name: 'Acme' })).id as string;
  const passwordHash = await hashPassword('bench-password');
  let products = 0;
  let users = 0;
  let stopProfiler: (() => Promise<CpuProfile>) | null = null;
  let stopLoopWatch: (() => LoopStats) | null = null;

  async function handle(request: Request): Promise<unknown> {
    switch (request.type) {
      case 'skus': {
        const skus: Sku[] = [];
        let position = 0;
        for (let n = 0; n < request.count; n++) {
          const created = await call('POST', '/api/v1/admin/products', {
            title: `Bench tee ${++products}`,
            categoryId,
            brandId,
            attributes: {},
            description: 'bench',
            images: ['https://img.example.com/tee.png'],
            status: 'listed',
            skus: [{ skuCode: `B-${products}`, salesAttributes: { 颜色: '红色' }, price: { amount: request.price, currency: 'CNY' }, stock: request.stock }],
          });
          skus.push({ skuId: (created.skus as Array<{ id: string }>)[0]!.id, price: request.price });
          position = Number(created.position);
        }
        await deps.projections.waitFor(position, 60_000);
        return skus;
      }
      case 'buyers': {
        const buyers: Buyer[] = [];
        const now = new Date();
        for (let n = 0; n < request.count; n++) {
          const userId = `bench-buyer-${++users}`;
          await deps.handlers.user.handle(userStream(userId), {
            type: 'RegisterUser',
            userId,
            phone: null,
            email: `${userId}@bench.example.com`,
            nickname: userId,
            passwordHash,
            roles: ['customer'],
            at: now.toISOString(),
          });
          buyers.push({ id: userId, token: await deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, now) });
        }
        return buyers;
      }
      case 'flash-sale':
        return (await call('POST', '/api/v1/admin/flash-sales', { skuId: request.skuId, quantity: request.quantity, ...(request.price ? { price: { amount: request.price, currency: 'CNY' } } : {}) })).id;
      case 'stock': {
        const { state } = await deps.handlers.inventory.load(inventoryStream(request.skuId));
        const events = await deps.store.readStream(inventoryStream(request.skuId));
        return { available: available(state), reserved: state.status === 'tracked' ? state.reserved : 0, reservations: events.filter((event) => event.type === 'StockReserved').length };
      }
      case 'sample-order': {
        // The events of the latest order: what one checkout appends.
        const recent = await deps.store.readAll({ after: Math.max(0, (await deps.store.headPosition()) - 2000) });
        const order = [...recent].reverse().find((event) => event.type === 'OrderPlaced')!;
        const payOrderId = (order.data as { order?: { payOrderId: string }; payOrderId?: string }).order?.payOrderId ?? (order.data as { payOrderId: string }).payOrderId;
        const payOrder = recent.find((event) => event.type === 'PayOrderPlaced' && event.streamId === `payorder-${payOrderId}`)!;
        const reserved = recent.find((event) => event.type === 'StockReserved' && (event.data as { payOrderId: string }).payOrderId === payOrderId)!;
        return [reserved, payOrder, order].map((event) => ({ streamId: event.streamId, type: event.type, data: event.data, metadata: event.metadata }));
      }
      case 'settle':
        // The projections catch up with what the previous scenario wrote before the next one is timed.
        await deps.projections.waitFor(await deps.store.headPosition(), 120_000);
        return null;
      case 'loop-start':
        stopLoopWatch = watchLoop();
        return null;
      case 'loop-stop': {
        const stats = stopLoopWatch!();
        stopLoopWatch = null;
        return stats;
      }
      case 'profile-start':
        stopProfiler = await startProfiler();
        return null;
      case 'profile-stop': {
        const profile = await stopProfiler!();
        stopProfiler = null;
        const dir = join(here, 'results', 'profiles');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${request.name}.cpuprofile`), JSON.stringify(profile));
        return summarizeProfile(profile);
      }
      case 'stop':
        return null;
    }
  }

  process.send!({ port: running.port });
  process.on('message', (message: { id: number; request: Request }) => {
    void (async () => {
      if (message.request.type === 'stop') {
        await running.close();
        rmSync(dataDir, { recursive: true, force: true });
        process.send!({ id: message.id, result: null }, () => process.exit(0));
        return;
      }
      try {
        process.send!({ id: message.id, result: await handle(message.request) });
      } catch (error) {
        process.send!({ id: message.id, error: String((error as Error).stack ?? error) });
      }
    })();
  });
}

class Server {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  }

  static async start(): Promise<Server> {
    const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'pipe' : 'ignore', 'inherit', 'ipc'],
    });
    if (process.env.BENCH_SERVER_LOG) child.stdout!.pipe(createWriteStream(process.env.BENCH_SERVER_LOG));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve((message as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`the server exited with code ${code}`)));
    });
    return new Server(child, `http://127.0.0.1:${port}`);
  }

  ask<T>(request: Request): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, request });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask({ type: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// load

const address = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };
let keySequence = 0;
const runId = Date.now().toString(36);

/** The n-th order of a run: buyer and SKU round-robin, a fresh Idempotency-Key. */
function orderRequest(buyers: readonly Buyer[], skus: readonly Sku[], n: number): LoadRequest {
  const buyer = buyers[n % buyers.length]!;
  const sku = skus[n % skus.length]!;
  return {
    method: 'POST',
    path: '/api/v1/orders',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}`, 'idempotency-key': `${runId}-${++keySequence}` },
    body: JSON.stringify({ items: [{ skuId: sku.skuId, quantity: 1, expectedUnitPrice: { amount: sku.price, currency: 'CNY' } }], shippingAddress: address }),
  };
}

/** One request per call, for autocannon. */
function orderRequests(buyers: readonly Buyer[], skus: readonly Sku[]) {
  let n = 0;
  return {
    method: 'POST',
    path: '/api/v1/orders',
    setupRequest(request: CannonRequest): CannonRequest {
      const next = orderRequest(buyers, skus, n++);
      request.headers = next.headers;
      request.body = next.body!;
      return request;
    },
  };
}

/** A run of bench/lib/paced.ts as a row of the table (connections 0: open loop). */
function poolRow(scenario: string, connections: number, result: LoadResult, note = ''): LoadRow {
  const latency = summarize(result.latencies);
  const created = result.statuses['201'] ?? 0;
  const outOfStock = result.statuses['409'] ?? 0;
  const answered = result.latencies.length;
  return {
    scenario,
    connections,
    requests: result.sent,
    seconds: result.seconds,
    perSecond: answered / result.seconds,
    created,
    createdPerSecond: created / result.seconds,
    outOfStock,
    other: result.sent - created - outOfStock,
    otherStatuses: Object.fromEntries([...Object.entries(result.statuses).filter(([status]) => status !== '201' && status !== '409'), ...(result.failed > 0 ? [['no answer', result.failed]] : [])]),
    p50: Math.round(latency.p50),
    p90: Math.round(latency.p90),
    p99: Math.round(latency.p99),
    max: Math.round(latency.max),
    worstPerSecond: result.worstPerSecond,
    clientLatePerSecond: result.clientLatePerSecond,
    note,
  };
}

export interface LoadRow {
  scenario: string;
  connections: number;
  requests: number;
  seconds: number;
  perSecond: number;
  created: number;
  createdPerSecond: number;
  outOfStock: number;
  other: number;
  /** What the other answers were (status → count; `no answer`: errors and time-outs). */
  otherStatuses?: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Open- and closed-loop runs: the worst latency of each second, ms. */
  worstPerSecond?: number[];
  /** The load generator's own event loop: its worst lateness in each second, ms. */
  clientLatePerSecond?: number[];
  note: string;
  /** The server's event loop over the run. */
  loop?: LoopStats;
}

function row(scenario: string, connections: number, result: CannonResult, note = ''): LoadRow {
  const count = (status: string) => Number(result.statusCodeStats?.[status]?.count ?? 0);
  const created = count('201');
  const outOfStock = count('409');
  const requests = result.requests.total;
  return {
    scenario,
    connections,
    requests,
    seconds: result.duration,
    perSecond: requests / result.duration,
    created,
    createdPerSecond: created / result.duration,
    outOfStock,
    other: requests - created - outOfStock + result.errors + result.timeouts,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    note,
  };
}

// ---------------------------------------------------------------------------------------------
// raw appends

interface SampleEvent {
  streamId: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** Appends, per "order", the same three events to three streams (one inventory stream of `skus`), `inFlight` orders at a time. */
async function rawAppends(sample: SampleEvent[], orders: number, inFlight: number, skus: number): Promise<{ perSecond: number; p99: number }> {
  const { sqliteEventStore } = await import('../src/adapters/eventstore/sqlite.js');
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-raw-'));
  const db = new Database(join(dir, 'events.db'));
  db.pragma('synchronous = normal');
  const store = sqliteEventStore(db);
  const revisions = new Map<string, number>();
  const latencies: number[] = [];
  const one = async (n: number) => {
    const started = performance.now();
    const streams = [`inventory-raw-${n % skus}`, `payorder-raw-${n}`, `order-raw-${n}`];
    for (const [index, event] of sample.entries()) {
      const stream = streams[index]!;
      const revision = revisions.get(stream) ?? -1;
      revisions.set(stream, revision + 1);
      await store.append(stream, [{ type: event.type, data: event.data, metadata: event.metadata }], revision < 0 ? 'no_stream' : 'any');
    }
    latencies.push(performance.now() - started);
  };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < orders) await one(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { perSecond: orders / seconds, p99: summarize(latencies).p99 };
}

// ---------------------------------------------------------------------------------------------

export interface CheckoutOptions extends BenchArgs {
  profile?: boolean;
  /** Only these groups of scenarios (saturation, paced, hot, flash, raw), for experiments: no report then. */
  only?: string[];
  /** Arrivals per second of the open-loop run (default 1,000: the goal's rate). */
  rate?: number;
}

export interface CheckoutResult {
  rows: LoadRow[];
  raw: Array<{ label: string; perSecond: number; p99: number }>;
  flash: Array<{ label: string; orders: number; available: number; reservations: number; seconds: number; p99: number }>;
  markdown: string;
}

export async function benchCheckout(options: CheckoutOptions, log: (line: string) => void = () => {}): Promise<CheckoutResult> {
  const quick = options.quick;
  const skuCount = quick ? 100 : 500;
  const buyerCount = quick ? 2_000 : 12_000;
  const flashBuyers = quick ? 2_000 : 10_000;
  const flashUnits = 100;
  /** Each flash-sale run is preceded by a smaller sale of the same kind on its own SKU, not counted. */
  const warmUpFlashBuyers = quick ? 500 : 2_000;
  const warmUpFlashUnits = 20;
  const connections = 100;
  const durationSec = quick ? 3 : 10;
  const rate = options.rate ?? 1000;
  const profiles: Array<{ title: string; summary: ProfileSummary }> = [];
  /** Runs one measured scenario, under the CPU profiler with --profile. */
  const profiled = async <T>(name: string, title: string, run: () => Promise<T>): Promise<T> => {
    if (!options.profile) return run();
    await server.ask({ type: 'profile-start' });
    const result = await run();
    profiles.push({ title, summary: await server.ask<ProfileSummary>({ type: 'profile-stop', name }) });
    return result;
  };

  const busyBefore = await cpuBusy();
  const server = await Server.start();
  const rows: LoadRow[] = [];
  const flash: CheckoutResult['flash'] = [];
  let raw: CheckoutResult['raw'] = [];
  let other = 0;
  try {
    log(`setting up ${skuCount} SKUs and ${buyerCount} buyers`);
    const skus = await server.ask<Sku[]>({ type: 'skus', count: skuCount, stock: 1_000_000, price: 9900 });
    const buyers = await server.ask<Buyer[]>({ type: 'buyers', count: buyerCount });
    const [hot, gatedHot] = await server.ask<Sku[]>({ type: 'skus', count: 2, stock: 1_000_000, price: 9900 });
    const [flashSku, noGateSku] = await server.ask<Sku[]>({ type: 'skus', count: 2, stock: flashUnits, price: 9900 });
    const [warmFlashSku, warmNoGateSku] = await server.ask<Sku[]>({ type: 'skus', count: 2, stock: warmUpFlashUnits, price: 9900 });
    const pids = [server.child.pid!];
    const logRow = (measured: LoadRow) =>
      log(
        `${measured.scenario}: ${int(measured.perSecond)} req/s, ${int(measured.createdPerSecond)} orders/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, max ${measured.max} ms, 201 ${measured.created}, 409 ${measured.outOfStock}, other ${measured.other}${measured.other > 0 && measured.otherStatuses ? ` ${JSON.stringify(measured.otherStatuses)}` : ''}` +
          (measured.loop ? `; server loop delay p50 ${measured.loop.delay.p50} ms, p99 ${measured.loop.delay.p99} ms; GC ${measured.loop.gc.count} pauses, ${measured.loop.gc.totalMs} ms, max ${measured.loop.gc.maxMs} ms; CPU ${measured.loop.cpuPerSecond} cores (main thread ${measured.loop.mainThreadCpuPerSecond ?? '?'})` : '') +
          (measured.worstPerSecond ? `; worst latency per second: ${measured.worstPerSecond.join(', ')} ms` : '') +
          (measured.clientLatePerSecond ? `; client loop late per second: ${measured.clientLatePerSecond.join(', ')} ms` : '') +
          (measured.loop ? `; worst loop delay per second: ${measured.loop.worstDelayPerSecond.join(', ')} ms` : ''),
      );
    /** Settles the projections, then runs one scenario with the server's event loop watched. */
    const watched = async (run: () => Promise<LoadRow>): Promise<LoadRow> => {
      await server.ask({ type: 'settle' });
      await server.ask({ type: 'loop-start' });
      const measured = await run();
      measured.loop = await server.ask<LoopStats>({ type: 'loop-stop' });
      logRow(measured);
      return measured;
    };
    const load = (scenario: string, skuList: readonly Sku[], buyerList: readonly Buyer[], extra: Partial<CannonOptions> = {}, note = '') =>
      watched(async () => row(scenario, extra.connections ?? connections, await cannon({ url: server.url, connections: extra.connections ?? connections, timeout: 30, requests: [orderRequests(buyerList, skuList)], ...extra }), note));

    // The velocity rule allows 30 orders per user per 10 minutes: buyers are used round-robin in disjoint slices.
    let cursor = 0;
    const slice = (count: number) => {
      const picked = Array.from({ length: count }, (_, n) => buyers[(cursor + n) % buyers.length]!);
      cursor += count;
      return picked;
    };

    const runs = (group: string) => !options.only || options.only.includes(group);
    log('warm-up');
    await load('warm-up', skus, slice(1000), { duration: quick ? 1 : 3 });
    const before = cpuSample(pids);
    if (runs('saturation')) rows.push(
      await profiled('checkout-saturation', `Server CPU, many SKUs at saturation`, () =>
        load(`many SKUs (${skuCount}), saturation`, skus, slice(4000), { duration: durationSec }, `${connections} connections, as fast as they go`),
      ),
    );
    const pacedBuyers = slice(4000);
    if (runs('paced')) rows.push(
      await profiled('checkout-paced', 'Server CPU, paced', () => watched(async () =>
        poolRow(
          `many SKUs (${skuCount}), arrivals at ${int(rate)}/s`,
          0,
          await pacedLoad({ url: server.url, rate, durationSec, warmUpSec: quick ? 1 : 2, request: (n) => orderRequest(pacedBuyers, skus, n) }),
          'open loop over 256 open connections: one request due every millisecond, latency from when it was due, after 2 s at the same rate not counted',
        ),
      )),
    );
    if (runs('hot')) rows.push(await profiled('checkout-hot', 'Server CPU, one hot SKU', () => load('one hot SKU, no flash sale', [hot!], slice(3000), { duration: durationSec }, 'ample stock; every order appends to the same inventory stream')));
    await server.ask({ type: 'flash-sale', skuId: gatedHot!.skuId, quantity: 1_000_000 });
    if (runs('hot')) rows.push(await load('one hot SKU, flash-sale gate (admits all)', [gatedHot!], slice(3000), { duration: durationSec }, 'gate quantity = stock: the cost of the gate on winners'));

    // 10,000 buyers for 100 units (SKUs with exactly 100 in stock): every request a distinct buyer.
    for (const gated of runs('flash') ? [true, false] : []) {
      const sku = gated ? flashSku! : noGateSku!;
      // Warm-up: a smaller sale of the same kind on another SKU, so the refusal path is compiled (JIT) as in a
      // server that has been up, not first run in the measured window; logged, not counted.
      const warmSku = gated ? warmFlashSku! : warmNoGateSku!;
      if (gated) await server.ask({ type: 'flash-sale', skuId: warmSku.skuId, quantity: warmUpFlashUnits });
      const warmBuyers = slice(warmUpFlashBuyers);
      await watched(async () =>
        poolRow(`warm-up: ${int(warmUpFlashBuyers)} buyers for ${warmUpFlashUnits} units, ${gated ? 'flash-sale gate' : 'no gate'}`, 200, await closedLoad({ url: server.url, connections: 200, amount: warmUpFlashBuyers, request: (n) => orderRequest(warmBuyers, [warmSku], n) })),
      );
      if (gated) await server.ask({ type: 'flash-sale', skuId: sku.skuId, quantity: flashUnits });
      const scenario = `${int(flashBuyers)} buyers for ${flashUnits} units, ${gated ? 'flash-sale gate' : 'no gate'}`;
      const flashBuyerList = slice(flashBuyers);
      const flashSale = () =>
        watched(async () =>
          poolRow(scenario, 200, await closedLoad({ url: server.url, connections: 200, amount: flashBuyers, request: (n) => orderRequest(flashBuyerList, [sku], n) }), '200 connections opened before the clock starts, one request per buyer'),
        );
      const result = gated ? await profiled('checkout-flash-sale', `Server CPU, ${scenario}`, flashSale) : await flashSale();
      rows.push(result);
      const stock = await server.ask<{ available: number; reservations: number }>({ type: 'stock', skuId: sku.skuId });
      flash.push({ label: gated ? 'flash-sale gate' : 'no gate', orders: result.created, available: stock.available, reservations: stock.reservations, seconds: result.seconds, p99: result.p99 });
    }
    other = otherCores(before, cpuSample(pids));

    const sample = await server.ask<SampleEvent[]>({ type: 'sample-order' });
    await server.stop();
    if (!runs('raw')) return { rows, raw, flash, markdown: '' };
    log('raw appends of the same events');
    const rawOrders = quick ? 5_000 : 30_000;
    raw = [
      { label: `${skuCount} inventory streams, 100 orders in flight`, ...(await rawAppends(sample, rawOrders, 100, skuCount)) },
      { label: '1 inventory stream, 100 orders in flight', ...(await rawAppends(sample, rawOrders, 100, 1)) },
      { label: `${skuCount} inventory streams, 1 order at a time`, ...(await rawAppends(sample, Math.round(rawOrders / 3), 1, skuCount)) },
    ];
    for (const entry of raw) log(`raw ${entry.label}: ${int(entry.perSecond)} orders/s (3 appends each), p99 ${entry.p99.toFixed(2)} ms`);
  } finally {
    await server.stop();
  }

  const markdown = report({ rows, raw, flash, busyBefore, other, quick, skuCount, buyerCount, durationSec, profiles, warmUpFlashBuyers, warmUpFlashUnits });
  return { rows, raw, flash, markdown };
}

function report(input: {
  rows: LoadRow[];
  raw: CheckoutResult['raw'];
  flash: CheckoutResult['flash'];
  busyBefore: number;
  other: number;
  quick: boolean;
  skuCount: number;
  buyerCount: number;
  durationSec: number;
  profiles: Array<{ title: string; summary: ProfileSummary }>;
  warmUpFlashBuyers: number;
  warmUpFlashUnits: number;
}): string {
  const machine = machineInfo();
  const saturation = input.rows.find((r) => r.scenario.includes('saturation'));
  const paced = input.rows.find((r) => r.scenario.includes('arrivals at'));
  const gatedRush = input.rows.find((r) => r.scenario.includes('flash-sale gate') && r.scenario.includes('buyers'));
  const goal = (met: boolean) => (met ? 'met' : '**missed**');
  const notRun = 'not run (`--only`)';
  return [
    '## Checkout (issue 4)',
    '',
    `Generated by \`npx tsx bench/checkout.ts${input.quick ? ' --quick' : ''}${input.profiles.length > 0 ? ' --profile' : ''}\`${input.quick ? ' — QUICK smoke run: figures are indicative only' : ''}${input.profiles.length > 0 ? ' — with the CPU profiler on during the profiled runs (slower)' : ''}.`,
    '',
    machineMarkdown(machine),
    `- Cores busy before the run: ${Math.round(input.busyBefore * 100)} %; cores busy outside the benchmark's processes during the measured runs: ${input.other.toFixed(2)}` +
      (input.other > 0.25 ? ' — **other work competed for the cores: figures are noisy**' : ''),
    '',
    `- Goal ≥ 1,000 orders/s over HTTP: ${saturation ? `${int(saturation.createdPerSecond)} orders/s at saturation — ${goal(saturation.createdPerSecond >= 1000)}` : notRun}.`,
    `- Goal p99 ≤ 50 ms at 1,000 orders/s: ${paced ? `p99 ${paced.p99} ms at ${int(paced.createdPerSecond)} orders/s — ${goal(paced.p99 <= 50 && paced.createdPerSecond >= 950)}` : notRun}.`,
    `- Goal: a 10,000-buyer flash sale for 100 units ends with 100 orders and p99 ≤ 100 ms: ${gatedRush ? `${int(gatedRush.requests)} buyers, ${gatedRush.created} orders, p99 ${gatedRush.p99} ms — ${goal(gatedRush.created === 100 && gatedRush.p99 <= 100)}` : notRun}.`,
    '',
    '### POST /api/v1/orders over HTTP',
    '',
    table(
      ['Scenario', 'Conn.', 'Requests', 'req/s', 'Orders (201)/s', '201', '409 OUT_OF_STOCK', 'other', 'p50', 'p90', 'p99', 'max'],
      input.rows.map((r) => [
        r.scenario,
        r.connections === 0 ? 'open loop' : String(r.connections),
        int(r.requests),
        int(r.perSecond),
        int(r.createdPerSecond),
        int(r.created),
        int(r.outOfStock),
        int(r.other),
        `${r.p50} ms`,
        `${r.p90} ms`,
        `${r.p99} ms`,
        `${r.max} ms`,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    'The server during each run (its event loop: how late a 1 ms timer fired; its garbage collector; the CPU of all its threads, and of the main thread alone: the event loop that serves HTTP):',
    '',
    table(
      ['Scenario', 'Loop delay p50', 'Loop delay p99', 'GC pauses', 'GC total', 'Longest GC pause', 'CPU (cores)', 'of which the main thread'],
      input.rows.flatMap((r) =>
        r.loop
          ? [[r.scenario, `${r.loop.delay.p50} ms`, `${r.loop.delay.p99} ms`, int(r.loop.gc.count), `${int(r.loop.gc.totalMs)} ms`, `${r.loop.gc.maxMs} ms`, r.loop.cpuPerSecond.toFixed(2), r.loop.mainThreadCpuPerSecond?.toFixed(2) ?? '–']]
          : [],
      ),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    table(
      ['Flash-sale run', 'Orders', 'Available after', 'StockReserved events on the SKU', 'Wall time', 'p99'],
      input.flash.map((f) => [f.label, String(f.orders), String(f.available), String(f.reservations), `${f.seconds.toFixed(2)} s`, `${f.p99} ms`]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    '### Raw appends of the same events (the store\'s limit)',
    '',
    table(
      ['Raw sqliteEventStore appends', 'Orders/s (3 appends each)', 'p99 per order'],
      input.raw.map((r) => [r.label, int(r.perSecond), `${r.p99.toFixed(2)} ms`]),
      ['l', 'r', 'r'],
    ),
    '',
    `Setup: one server process started as \`bazaar serve\` starts it (\`startServer\`, role all: embedded default, SQLite event, view and search stores in a temp dir, in-process KeyValue; ` +
      `the projections on their own worker thread (\`BAZAAR_PROJECTOR_THREAD=${process.env.BAZAAR_PROJECTOR_THREAD ?? 'on'}\`), the reactors and sweepers on the API thread), ` +
      `\`BAZAAR_LIMITS=relaxed\`, \`NODE_ENV=production\`, \`LOG_LEVEL=info\` with stdout on /dev/null (every access-log line is built and discarded). ` +
      `${input.skuCount} listed SKUs with ample stock, ${int(input.buyerCount)} buyers with access tokens, used round-robin in disjoint slices ` +
      '(the per-user velocity rule, 30 orders / 10 min, stays on in relaxed mode). Every request is one line of quantity 1, the current price, ' +
      'a shipping address and its own Idempotency-Key (so the idempotency middleware writes its records too). The load runs in the bench process against 127.0.0.1 ' +
      `(${input.durationSec} s per timed scenario, after a warm-up; each scenario starts once the projections have caught up with the previous one). ` +
      'Saturation and hot-SKU rows: autocannon, latency in whole ms as it records it. The 1,000/s row is open-loop (`bench/lib/paced.ts`, node:http keep-alive over 256 connections opened first): ' +
      "one request due every millisecond whatever the answers, latency counted from when it was due (autocannon's `overallRate` would send each connection's share of a second in a burst at the start of the second); " +
      'the first 2 s at that rate are a warm-up, not counted (the server settles from the pool\'s connection storm into its steady state, as an open-loop tool\'s calibration period), the next 10 s are measured. ' +
      'The flash-sale rows are closed-loop over 200 connections opened before the clock starts (autocannon opens its connections as the run starts, and the set-up lands on the first requests: the winners); ' +
      `each follows a warm-up sale of the same kind on another SKU (${int(input.warmUpFlashBuyers)} buyers for ${input.warmUpFlashUnits} units, not counted), as the other rows follow the warm-up: the refusal path runs compiled, as in a server that has been up. ` +
      'Raw appends: the StockReserved, PayOrderPlaced and OrderPlaced events of one real order from the server\'s store (same data and metadata), appended with ' +
      '`sqliteEventStore(...).append` to an inventory stream (of N), a new pay-order stream and a new order stream, awaited in that order per order as checkout does, ' +
      'on a fresh file with the same pragmas: what checkout writes, without HTTP, auth, validation reads, the idempotency record or the projections.',
    ...(input.profiles.length > 0 ? ['', '### Where the time goes', '', ...input.profiles.flatMap(({ title, summary }) => [profileMarkdown(summary, title), ''])] : []),
  ].join('\n');
}

if (process.argv.includes('--serve')) {
  await serveMode();
} else if (isMain(import.meta.url)) {
  const args = parseArgs();
  const rate = Number(process.argv.find((arg) => arg.startsWith('--rate='))?.slice('--rate='.length) ?? 1000);
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
  const result = await benchCheckout({ ...args, profile: process.argv.includes('--profile'), rate, ...(only ? { only } : {}) }, (line) => console.error(`[bench] ${line}`));
  console.log(result.markdown);
}
