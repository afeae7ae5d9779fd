import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The real server process (`tsx src/cli.ts serve`) over real HTTP. */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
// Not 'Admin-pass-123': the password policy refuses a password containing the e-mail's local part ("admin").
const ADMIN = { email: 'admin@example.com', password: 'Root-pass-12345' };
const PASSWORD = 'Correct-horse-42';

interface Server {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Server[] = [];
const dataDirs: string[] = [];


function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-e2e-'));
  dataDirs.push(dir);
  return dir;
}

/** The environment of the test process without what would change the server's configuration. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'PORT', 'HOST', 'JWT_SECRET', 'BAZAAR_BOOTSTRAP_ADMIN', 'BAZAAR_LIMITS', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL']) delete env[name];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

function run(env: Record<string, string>, options: { direct?: boolean } = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  // Its own process group, so the server tsx starts under it can be killed with it. `direct`: the bin
  // script registers tsx in-process, so the child is the server itself (it receives our signals).
  const command: [string, string[]] = options.direct ? [process.execPath, ['bin/bazaar.js', 'serve']] : [TSX, ['src/cli.ts', 'serve']];
  const child = spawn(command[0], command[1], { cwd: ROOT, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output: () => output, exited };
}

async function startServer(env: Record<string, string>, options: { direct?: boolean } = {}): Promise<Server> {
  const port = await freePort();
  const process_ = run({ ...env, PORT: String(port) }, options);
  const server: Server = { ...process_, baseUrl: `http://127.0.0.1:${port}` };
  started.push(server);
  let exitCode: number | null | undefined;
  server.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode} before it was healthy:\n${server.output()}`);
    try {
      const response = await fetch(`${server.baseUrl}/healthz`);
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the server did not become healthy within 30 s:\n${server.output()}`);
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

/** SIGTERM, then SIGKILL to the whole group if it does not exit in time. Resolves with the exit code. */
async function stop(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, sleep(5000).then(() => 'timeout' as const)]);
  if (code !== 'timeout') return code;
  try {
    process.kill(-server.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  return server.exited;
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

afterAll(async () => {
  await Promise.all(started.map(stop));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('bazaar serve', () => {
  const dataDir = tempDataDir();
  let server: Server;
  const phone = '+8613812345678';
  let userId: string;
  let userRefreshToken: string;

  beforeAll(async () => {
    server = await startServer({ BAZAAR_DATA_DIR: dataDir, BAZAAR_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
  });

  it('registers with an SMS code read from the dev outbox, signs in, and reads its own profile', async () => {
    const sent = await call(server, 'POST', '/api/v1/auth/sms-codes', { body: { phone: '138 1234 5678', purpose: 'register' } });
    expect(sent.status).toBe(202);
    expect(sent.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);

    const outbox = await call(server, 'GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`);
    expect(outbox.status).toBe(200);
    const code = outbox.body.items[0].code as string;
    expect(code).toMatch(/^\d{6}$/);

    const registered = await call(server, 'POST', '/api/v1/auth/register', { body: { phone, code, password: PASSWORD, nickname: 'End To End', email: 'e2e@example.com' } });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('x-position')).toBe(registered.body.position);
    userId = registered.body.user.id;

    const login = await call(server, 'POST', '/api/v1/auth/login', { body: { identifier: phone, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(userId);
    userRefreshToken = login.body.refreshToken;

    const me = await call(server, 'GET', '/api/v1/me', { token: login.body.accessToken, headers: { 'X-Min-Position': login.body.position } });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-consistency')).toBe('consistent');
    expect(me.headers.get('etag')).toBe(`"${me.body.version}"`);
    expect(me.body).toMatchObject({ id: userId, phone, email: 'e2e@example.com', nickname: 'End To End', roles: ['customer'] });
  });

  it('creates the bootstrap admin, who can set the roles of the registered user', async () => {
    const adminLogin = await call(server, 'POST', '/api/v1/auth/login', { body: { identifier: ADMIN.email, password: ADMIN.password } });
    expect(adminLogin.status).toBe(200);
    expect(adminLogin.body.user.roles).toEqual(['admin']);

    const roles = await call(server, 'PUT', `/api/v1/admin/users/${userId}/roles`, { token: adminLogin.body.accessToken, body: { roles: ['customer', 'merchant'] } });
    expect(roles.status).toBe(200);
    expect(roles.body.roles).toEqual(['customer', 'merchant']);

    const refreshed = await call(server, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: userRefreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.roles).toEqual(['customer', 'merchant']);
    userRefreshToken = refreshed.body.refreshToken;
  });

  it('serves the operations endpoints', async () => {
    expect((await call(server, 'GET', '/readyz')).body.status).toBe('ready');
    const metrics = await call(server, 'GET', '/metrics');
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect((await call(server, 'GET', '/openapi.json')).body.openapi).toBe('3.1.0');
  });

  it('names every answer with its request id, refusals too, echoing a well-formed X-Request-Id', async () => {
    const refused = await call(server, 'POST', '/api/v1/orders', { body: {}, headers: { 'X-Request-Id': 'trace-42' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('trace-42');
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    const missing = await call(server, 'GET', '/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
    const bad = await call(server, 'GET', '/healthz', { headers: { 'X-Request-Id': 'has spaces in it' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('keeps idle connections open longer than the 60 s of a load balancer or a client pool', async () => {
    const keepAlive = await new Promise<string | undefined>((resolveHeader, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get(`${server.baseUrl}/healthz`, { agent }, (response) => {
          response.resume();
          response.once('end', () => {
            agent.destroy();
            const header = response.headers['keep-alive'];
            resolveHeader(Array.isArray(header) ? header.join(', ') : header);
          });
        })
        .once('error', reject);
    });
    expect(keepAlive).toBe('timeout=65');
  });

  it('shuts down cleanly on SIGTERM and keeps everything across a restart (bootstrap admin created once)', async () => {
    expect(await stop(server)).toBe(0);

    const again = await startServer({ BAZAAR_DATA_DIR: dataDir, BAZAAR_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
    const login = await call(again, 'POST', '/api/v1/auth/login', { body: { identifier: 'E2E@example.com', password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ id: userId, roles: ['customer', 'merchant'] });
    // The signing secret and the sessions survived the restart.
    expect((await call(again, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: userRefreshToken } })).status).toBe(200);

    const admin = await call(again, 'POST', '/api/v1/auth/login', { body: { identifier: ADMIN.email, password: ADMIN.password } });
    expect(admin.status).toBe(200);
    // Still exactly one admin account behind that e-mail: the one the first start created.
    const adminMe = await call(again, 'GET', '/api/v1/me', { token: admin.body.accessToken });
    expect(adminMe.body.email).toBe(ADMIN.email);
    expect(adminMe.body.registeredAt < login.body.user.registeredAt).toBe(true);
  });
});

describe('bazaar serve: the projections on their own thread', () => {
  it('runs them on the projector thread, and reads its writes at once: product page, product cache, search, readiness', async () => {
    const server = await startServer({ BAZAAR_DATA_DIR: tempDataDir(), BAZAAR_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}`, LOG_LEVEL: 'info' });
    await until(() => server.output().includes('"thread":"projector"') && server.output().includes('"role":"all"'));
    const lines = server.output().split('\n').filter((line) => line.includes('"msg":"role started"')).map((line) => JSON.parse(line) as { thread?: string; running: string[] });
    const projector = lines.find((line) => line.thread === 'projector')!;
    const api = lines.find((line) => line.thread === undefined)!;
    expect(projector.running).toEqual(expect.arrayContaining(['orders', 'catalog', 'search']));
    expect(api.running).toEqual(expect.arrayContaining(['payment-transfers', 'sweepers']));
    expect(api.running).not.toContain('orders');

    const admin = (await call(server, 'POST', '/api/v1/auth/login', { body: { identifier: ADMIN.email, password: ADMIN.password } })).body.accessToken as string;
    const create = async (path: string, body: unknown) => {
      const created = await call(server, 'POST', `/api/v1/admin${path}`, { token: admin, body });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body;
    };
    const root = await create('/categories', { name: '服装' });
    const leaf = await create('/categories', { name: 'T恤', parentId: root.id });
    await create('/attributes', { categoryId: leaf.id, name: '颜色', kind: 'sales', values: ['红色'] });
    const brand = await create('/brands', { name: 'Threadco' });
    const product = await create('/products', {
      title: '线程 T恤',
      categoryId: leaf.id,
      brandId: brand.id,
      attributes: {},
      description: 'e2e',
      images: ['https://img.example.com/tee.png'],
      status: 'listed',
      skus: [{ skuCode: 'THR-1', salesAttributes: { 颜色: '红色' }, price: { amount: 1990, currency: 'CNY' }, stock: 3 }],
    });
    const fresh = (position: string) => ({ headers: { 'X-Min-Position': position } });
    const page = await call(server, 'GET', `/api/v1/products/${product.id}`, fresh(product.position));
    expect([page.status, page.headers.get('x-consistency')]).toEqual([200, 'consistent']);
    expect(page.body.title).toBe('线程 T恤');

    // the product page is cached; the projector thread marks it changed in the API thread's KeyValue
    const edited = await call(server, 'PATCH', `/api/v1/admin/products/${product.id}`, { token: admin, body: { title: '线程 T恤 二代' } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const again = await call(server, 'GET', `/api/v1/products/${product.id}`, fresh(edited.body.position));
    expect([again.body.title, again.headers.get('x-consistency')]).toEqual(['线程 T恤 二代', 'consistent']);
    const found = await call(server, 'GET', `/api/v1/products/search?q=${encodeURIComponent('二代')}`, fresh(edited.body.position));
    expect(found.body.hits.map((hit: { id: string }) => hit.id)).toEqual([product.id]);
    expect((await call(server, 'GET', '/readyz')).body.status).toBe('ready');
    expect(await stop(server)).toBe(0);
  });
});

describe('bazaar serve with BAZAAR_CPU_PROFILE_DIR', () => {
  it('profiles between two SIGUSR2 and writes a CPU profile of that window', async () => {
    const profiles = tempDataDir();
    const server = await startServer({ BAZAAR_DATA_DIR: tempDataDir(), BAZAAR_CPU_PROFILE_DIR: profiles, LOG_LEVEL: 'info' }, { direct: true });
    server.child.kill('SIGUSR2');
    await until(() => server.output().includes('CPU profile started'));
    for (let n = 0; n < 20; n++) expect((await call(server, 'GET', '/api/v1/products/search?q=tee')).status).toBe(200);
    server.child.kill('SIGUSR2');
    await until(() => readdirSync(profiles).some((name) => name.endsWith('.cpuprofile')));
    const [file] = readdirSync(profiles);
    expect(file).toMatch(new RegExp(`^all-${server.child.pid}-.*\\.cpuprofile$`));
    const profile = JSON.parse(readFileSync(join(profiles, file!), 'utf8')) as { nodes: unknown[]; samples: unknown[] };
    expect(profile.nodes.length).toBeGreaterThan(10);
    expect(profile.samples.length).toBeGreaterThan(0);
    expect(await stop(server)).toBe(0);
  });
});

describe('bazaar serve in production', () => {
  it('has no dev outbox (404)', async () => {
    const production = await startServer({ BAZAAR_DATA_DIR: tempDataDir(), NODE_ENV: 'production' });
    try {
      const outbox = await call(production, 'GET', '/api/v1/dev/outbox?to=%2B8613812345678');
      expect(outbox.status).toBe(404);
      expect(outbox.headers.get('content-type')).toBe('application/problem+json');
      expect(outbox.body.code).toBe('NOT_FOUND');
      // The API itself is there.
      expect((await call(production, 'POST', '/api/v1/auth/sms-codes', { body: { phone: '+8613812345678', purpose: 'register' } })).status).toBe(202);
      const docs = await call(production, 'GET', '/openapi.json');
      expect(Object.keys(docs.body.paths)).not.toContain('/api/v1/dev/outbox');
    } finally {
      expect(await stop(production)).toBe(0);
    }
  });
});

describe('bazaar serve with a bad configuration', () => {
  async function exitOf(env: Record<string, string>) {
    const bad = run({ BAZAAR_DATA_DIR: tempDataDir(), ...env });
    const timer = setTimeout(() => process.kill(-bad.child.pid!, 'SIGKILL'), 20_000);
    const code = await bad.exited;
    clearTimeout(timer);
    return { code, output: bad.output() };
  }

  it('exits non-zero naming the bad variable', async () => {
    const { code, output } = await exitOf({ PORT: 'abc' });
    expect(code).not.toBeNull();
    expect(code).not.toBe(0);
    expect(output).toMatch(/PORT="abc"/);
  });

  it('refuses to start with a bootstrap admin whose password is too weak', async () => {
    const [malformed, weak] = await Promise.all([
      exitOf({ BAZAAR_BOOTSTRAP_ADMIN: 'admin@example.com:short', PORT: String(await freePort()) }),
      exitOf({ BAZAAR_BOOTSTRAP_ADMIN: `${ADMIN.email}:password123`, PORT: String(await freePort()) }),
    ]);
    expect(malformed.code).not.toBe(0);
    expect(malformed.output).toMatch(/BAZAAR_BOOTSTRAP_ADMIN/);
    expect(weak.code).toBe(2);
    expect(weak.output).toMatch(/BAZAAR_BOOTSTRAP_ADMIN: the password is too weak/);
    expect(weak.output).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
