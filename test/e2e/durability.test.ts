import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

/**
 * The embedded default is durable: what a shopper and the sandbox acquirer recorded survives a SIGTERM and a
 * restart on the same data dir (carts, SMS codes, idempotency records, the acquirer's books), and a
 * second process (`bazaar reconcile`) reads the same books as the running server. Real server processes.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ADMIN = { email: 'admin@example.com', password: 'Root-pass-12345' };
const PASSWORD = 'Correct-horse-42';
const PHONE = '+8613812340001';
const SECOND_PHONE = '+8613812340002';
const ADDRESS = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };

interface Server {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dataDirs: string[] = [];

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-durability-'));
  dataDirs.push(dir);
  return dir;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('npm_') || name.startsWith('BAZAAR_')) delete env[name];
  for (const name of ['NODE_ENV', 'PORT', 'HOST', 'JWT_SECRET', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL', 'DATABASE_URL']) delete env[name];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

function spawnTracked(command: string, args: string[], env: Record<string, string>) {
  // Its own process group, so whatever it starts can be found (and, on failure, killed) with it.
  const child = spawn(command, args, { cwd: ROOT, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output: () => output, exited };
}

async function untilHealthy(server: Server): Promise<Server> {
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode} before it was healthy:\n${server.output()}`);
    try {
      if ((await fetch(`${server.baseUrl}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the server did not become healthy within 60 s:\n${server.output()}`);
}

/** `bazaar serve` as the bin script runs it: one process, which receives our signals itself. */
async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const started = spawnTracked(process.execPath, ['bin/bazaar.js', 'serve'], { BAZAAR_DATA_DIR: dataDir, PORT: String(port), BAZAAR_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
  return untilHealthy({ ...started, baseUrl: `http://127.0.0.1:${port}` });
}

async function sigterm(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, sleep(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') throw new Error(`the server did not stop within 20 s of SIGTERM:\n${server.output()}`);
  return code;
}

async function call(server: Server, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  let body: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

/** Processes of a process group still alive (ps), zombies excluded. */
function aliveInGroup(pgid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\d+\s+Z/.test(line));
}

afterAll(async () => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('the embedded default across a restart', () => {
  const dataDir = tempDataDir();

  it('keeps carts, SMS codes, idempotency records and the sandbox books; reconciles before and after, from the API, the page and the CLI', async () => {
    let server = await startServer(dataDir);
    const admin = (await call(server, 'POST', '/api/v1/auth/login', { body: { identifier: ADMIN.email, password: ADMIN.password } })).body.accessToken as string;
    const create = async (path: string, body: unknown) => {
      const created = await call(server, 'POST', `/api/v1/admin${path}`, { token: admin, body });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body;
    };
    const category = await create('/categories', { name: '图书' });
    const brand = await create('/brands', { name: 'Durable Press' });
    const listSku = async (title: string, skuCode: string) => {
      const product = await create('/products', {
        title,
        categoryId: category.id,
        brandId: brand.id,
        attributes: {},
        description: 'durability',
        images: ['https://img.example.com/notebook.png'],
        status: 'listed',
        skus: [{ skuCode, salesAttributes: {}, price: { amount: 2590, currency: 'CNY' }, stock: 20 }],
      });
      return (await eventually(() => call(server, 'GET', `/api/v1/products/${product.id}`), (page) => page.status === 200, 'the product page')).body.skus[0].id as string;
    };
    const skuId = await listSku('持久 笔记本', 'DUR-1');
    const otherSkuId = await listSku('持久 钢笔', 'DUR-2');

    // A guest cart (never merged), then a user registered with an SMS code, with a cart of their own.
    const guest = await call(server, 'POST', '/api/v1/cart/items', { body: { skuId, quantity: 2 } });
    expect(guest.status, JSON.stringify(guest.body)).toBeLessThan(300);
    const cartToken = guest.headers.get('x-cart-token')!;
    expect(cartToken).toBeTruthy();
    expect((await call(server, 'POST', '/api/v1/auth/sms-codes', { body: { phone: PHONE, purpose: 'register' } })).status).toBe(202);
    const code = (await call(server, 'GET', `/api/v1/dev/outbox?to=${encodeURIComponent(PHONE)}`)).body.items[0].code as string;
    const registered = await call(server, 'POST', '/api/v1/auth/register', { body: { phone: PHONE, code, password: PASSWORD, nickname: 'Durable' } });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const token = registered.body.accessToken as string;
    expect((await call(server, 'POST', '/api/v1/cart/items', { token, body: { skuId: otherSkuId, quantity: 3 } })).status).toBeLessThan(300);
    expect((await call(server, 'POST', '/api/v1/cart/items', { token, body: { skuId, quantity: 1 } })).status).toBeLessThan(300);

    // An order placed with an Idempotency-Key, paid by card; the callback marks it paid.
    const orderBody = { items: [{ skuId, quantity: 1, expectedUnitPrice: { amount: 2590, currency: 'CNY' } }], shippingAddress: ADDRESS };
    const placed = await call(server, 'POST', '/api/v1/orders', { token, body: orderBody, headers: { 'Idempotency-Key': 'durable-order-1' } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const paid = await call(server, 'POST', `/api/v1/pay-orders/${placed.body.payOrderId}/payments`, { token, body: { method: 'card', card: { number: '4242424242424242' } }, headers: { 'Idempotency-Key': 'durable-pay-1' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const orderId = placed.body.orders[0].id as string;
    await eventually(() => call(server, 'GET', `/api/v1/orders/${orderId}`, { token }), (order) => order.body?.paymentStatus === 'paid', 'the order is paid');

    const reconciled = async (target: Server) => {
      const report = await eventually(() => call(target, 'GET', '/api/v1/admin/finance/reconciliation', { token: admin }), (r) => r.status === 200 && r.body.ok === true, 'reconciliation');
      expect(report.body.ok).toBe(true);
      const page = await call(target, 'GET', '/admin/finance', { token: admin });
      expect(page.status).toBe(200);
      expect(page.body).toContain('data-ok="true"');
      expect(page.body).not.toContain('NOT OK');
    };
    await reconciled(server);

    // Another process reads the running server's books: the CLI finds the capture in the acquirer's settlement.
    const cli = spawnTracked(TSX, ['src/cli.ts', 'reconcile', '--json', '--no-progress'], { BAZAAR_DATA_DIR: dataDir });
    const cliExit = await cli.exited;
    expect(cliExit, cli.output()).toBe(0);
    const cliReport = JSON.parse(cli.output().slice(cli.output().indexOf('{'))) as { ok: boolean; settlement?: unknown };
    expect(cliReport.ok).toBe(true);

    // A code sent now, used after the restart.
    expect((await call(server, 'POST', '/api/v1/auth/sms-codes', { body: { phone: SECOND_PHONE, purpose: 'register' } })).status).toBe(202);
    const secondCode = (await call(server, 'GET', `/api/v1/dev/outbox?to=${encodeURIComponent(SECOND_PHONE)}`)).body.items[0].code as string;

    // SIGTERM, then a new server on the same data dir.
    expect(await sigterm(server)).toBe(0);
    server = await startServer(dataDir);

    const guestCart = await call(server, 'GET', '/api/v1/cart', { headers: { 'X-Cart-Token': cartToken } });
    expect(guestCart.status).toBe(200);
    expect(guestCart.body.items.map((item: { skuId: string; quantity: number }) => [item.skuId, item.quantity])).toEqual([[skuId, 2]]);
    // The ordered line left the user's cart when the order was placed; the line not ordered is still there.
    const userCart = await call(server, 'GET', '/api/v1/cart', { token });
    expect(userCart.body.items.map((item: { skuId: string; quantity: number }) => [item.skuId, item.quantity])).toEqual([[otherSkuId, 3]]);

    // An SMS code sent before the restart is still good (its 5-minute TTL kept running).
    const second = await call(server, 'POST', '/api/v1/auth/register', { body: { phone: SECOND_PHONE, code: secondCode, password: PASSWORD, nickname: 'Second' } });
    expect(second.status, JSON.stringify(second.body)).toBe(201);

    // The same Idempotency-Key replays the first answer: the same order, no second one.
    const replayed = await call(server, 'POST', '/api/v1/orders', { token, body: orderBody, headers: { 'Idempotency-Key': 'durable-order-1' } });
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.orders[0].id).toBe(orderId);
    expect(replayed.body.payOrderId).toBe(placed.body.payOrderId);

    // The acquirer still knows the payment: settlement matches, and its callback can be sent again.
    await reconciled(server);
    const redelivered = await call(server, 'POST', `/api/v1/dev/sandbox/payments/${paid.body.paymentId}/redeliver?times=2`, {});
    expect(redelivered.status, JSON.stringify(redelivered.body)).toBeLessThan(300);
    await reconciled(server);
    expect(await sigterm(server)).toBe(0);
  }, 240_000);
});

describe('stopping the server', () => {
  it('answers a request in flight when SIGTERM arrives, then exits 0', async () => {
    const server = await startServer(tempDataDir());
    // A read that waits (up to 2 s) for a position the read models never reach: in flight for a while.
    const inFlight = call(server, 'GET', '/api/v1/products/search?q=x', { headers: { 'X-Min-Position': '999999999' } });
    await sleep(300);
    const exit = sigterm(server);
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.headers.get('x-consistency')).toBe('stale');
    expect(await exit).toBe(0);
  }, 90_000);

  it('SIGTERM to `npm start` stops the server: no process of it is left', async () => {
    const port = await freePort();
    const npm = spawnTracked('npm', ['start', '--silent'], { BAZAAR_DATA_DIR: tempDataDir(), PORT: String(port) });
    const server: Server = { ...npm, baseUrl: `http://127.0.0.1:${port}` };
    await untilHealthy(server);
    const pgid = npm.child.pid!;
    expect(aliveInGroup(pgid).some((line) => line.includes('serve'))).toBe(true);

    npm.child.kill('SIGTERM');
    await npm.exited;
    const deadline = Date.now() + 20_000;
    while (aliveInGroup(pgid).length > 0 && Date.now() < deadline) await sleep(100);
    expect(aliveInGroup(pgid)).toEqual([]);
    await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow();
  }, 90_000);
});
