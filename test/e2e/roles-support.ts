import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { buildRuntime, viewProjections, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { userStream } from '../../src/domain/users/user.js';
import { SEARCH_CATEGORIES, SEARCH_FRONTEND, SEARCH_PRODUCTS } from '../../src/projections/search/state.js';
import type { Deps } from '../../src/deps.js';
import { ENGINE_VARIABLES, engineDeployment, type EngineDeployment } from '../support/engines.js';

/**
 * Several real `bazaar serve --role …` processes of one deployment: one data directory (the embedded default,
 * WAL) or, in the PostgreSQL + Redis run of the test matrix, also one schema and one key prefix.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export interface Proc {
  role: string;
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}


export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any


export class Cluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'bazaar-roles-'));
  readonly jwtSecret = randomBytes(32).toString('base64url');
  readonly procs: Proc[] = [];
  private runtimes: Runtime[] = [];
  private engines: Promise<EngineDeployment> | undefined;

  constructor(private readonly env: Record<string, string> = {}) {}

  /** The deployment's engines, created on first use (the test matrix's choice). */
  private deployment(): Promise<EngineDeployment> {
    return (this.engines ??= engineDeployment());
  }

  private async baseEnv(extra: Record<string, string>): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['NODE_ENV', 'PORT', 'HOST', 'BAZAAR_ROLE', 'BAZAAR_BOOTSTRAP_ADMIN', 'BAZAAR_TEST_ENGINES', ...ENGINE_VARIABLES]) delete env[name];
    const engines = (await this.deployment()).env;
    return { ...env, LOG_LEVEL: 'warn', BAZAAR_LIMITS: 'relaxed', BAZAAR_LEASE_TTL_MS: '1500', ...engines, ...this.env, BAZAAR_DATA_DIR: this.dataDir, JWT_SECRET: this.jwtSecret, ...extra };
  }

  /** Starts `bazaar serve --role <role>` and resolves once it answers /healthz. */
  async spawn(role: 'api' | 'projector' | 'reactors' | 'all', extra: Record<string, string> = {}): Promise<Proc> {
    const port = await freePort();
    const child = spawn(TSX, ['src/cli.ts', 'serve', '--role', role], { cwd: ROOT, env: await this.baseEnv({ PORT: String(port), HOST: '127.0.0.1', ...extra }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    const proc: Proc = { role, child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
    this.procs.push(proc);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${role} exited before it was healthy:\n${output}`);
      try {
        if ((await fetch(`${proc.baseUrl}/healthz`)).ok) return proc;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${role} did not become healthy within 30 s:\n${output}`);
  }

  /** kill -9 of the process (and its tsx parent): no shutdown hook runs, leases are left to expire. */
  async kill9(proc: Proc): Promise<void> {
    try {
      process.kill(-proc.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await proc.exited;
  }

  async stop(proc: Proc): Promise<number | null> {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.child.exitCode;
    proc.child.kill('SIGTERM');
    const code = await Promise.race([proc.exited, sleep(5000).then(() => 'timeout' as const)]);
    if (code !== 'timeout') return code;
    await this.kill9(proc);
    return null;
  }

  /**
   * A runtime in the test process over the same files (role api: it runs nothing, only reads): its
   * handlers register buyers, its tokens sign in, its stores are read for the digests.
   */
  async observer(): Promise<Runtime> {
    const config = loadConfig({ ...((await this.baseEnv({ LOG_LEVEL: 'silent', BAZAAR_ROLE: 'api' })) as Record<string, string>) }, { readDotEnv: false });
    const runtime = await buildRuntime(config, createLogger('silent'));
    this.runtimes.push(runtime);
    return runtime;
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((proc) => this.stop(proc)));
    for (const runtime of this.runtimes) await runtime.close();
    if (this.engines) await (await this.engines).dispose();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function call(proc: Proc, method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(`${proc.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

/** The value of one sample of a Prometheus text exposition, or null. */
export function metric(text: string, name: string, labels: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

export async function leaseOwner(procs: Proc[], lease: string): Promise<Proc | null> {
  for (const proc of procs) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) continue;
    const text = (await call(proc, 'GET', '/metrics').catch(() => ({ body: '' }))).body as string;
    if (metric(text, 'bazaar_lease_owned', `lease="${lease}"`) === 1) return proc;
  }
  return null;
}

export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const cny = (amount: number) => ({ amount, currency: 'CNY' });
export const address = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };

/** A catalog through the API of `api`: one category with a sales attribute, one brand, and helpers to add SKUs and buyers. */
export async function catalog(api: Proc, deps: Deps) {
  const admin = await deps.tokens.issueAccessToken({ userId: 'e2e-admin', roles: ['admin'] }, new Date());
  const ok = async (method: string, path: string, body?: unknown) => {
    const response = await call(api, method, path, { token: admin, body });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Json;
  };
  const rootId = (await ok('POST', '/api/v1/admin/categories', { name: '服装' })).id as string;
  const categoryId = (await ok('POST', '/api/v1/admin/categories', { name: 'T恤', parentId: rootId })).id as string;
  await ok('POST', '/api/v1/admin/attributes', { categoryId, name: '颜色', kind: 'sales', values: ['红色', '蓝色'] });
  const brandId = (await ok('POST', '/api/v1/admin/brands', { name: 'Acme' })).id as string;
  let products = 0;
  let buyers = 0;
  const run = randomBytes(3).toString('hex');
  return {
    admin,
    ok,
    async sku(options: { stock: number; price?: number; on?: Proc }) {
      const n = ++products;
      const body = { title: `E2E tee ${n} 武侠`, categoryId, brandId, attributes: {}, description: 'e2e', images: ['https://img.example.com/tee.png'], status: 'listed', skus: [{ skuCode: `E2E-${run}-${n}`, salesAttributes: { 颜色: '红色' }, price: cny(options.price ?? 9900), stock: options.stock }] };
      const created = await call(options.on ?? api, 'POST', '/api/v1/admin/products', { token: admin, body });
      if (created.status !== 201) throw new Error(`product: ${created.status} ${JSON.stringify(created.body)}`);
      return { productId: created.body.id as string, skuId: created.body.skus[0].id as string, price: options.price ?? 9900, position: Number(created.body.position) };
    },
    async buyer() {
      const userId = `e2e-buyer-${run}-${++buyers}`;
      await deps.handlers.user.handle(userStream(userId), { type: 'RegisterUser', userId, phone: null, email: `${userId}@example.com`, nickname: userId, passwordHash: 'x', roles: ['customer'], at: new Date().toISOString() });
      return { id: userId, token: await deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, new Date()) };
    },
  };
}

export function orderBody(sku: { skuId: string; price: number }, quantity = 1) {
  return { items: [{ skuId: sku.skuId, quantity, expectedUnitPrice: cny(sku.price) }], shippingAddress: address };
}

/**
 * Digest of every read model: each ViewStore collection of every projection (the search projection's
 * own state included) and every document of the search index, read through the ports.
 */
export async function readModelDigests(deps: Pick<Deps, 'views' | 'searchIndex' | 'store'>): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  const collections = [...viewProjections.flatMap((projection) => projection.collections), SEARCH_PRODUCTS, SEARCH_CATEGORIES, SEARCH_FRONTEND];
  const searchIds = new Set<string>();
  for (let after = 0; ; ) {
    const events = await deps.store.readAll({ after, maxCount: 1000 });
    if (events.length === 0) break;
    for (const event of events) if (event.type === 'ProductCreated') searchIds.add(event.streamId.slice('product-'.length));
    after = events[events.length - 1]!.position;
  }
  for (const collection of collections) {
    const hash = createHash('sha256');
    let count = 0;
    let cursor: string | null = null;
    do {
      const page: { items: Array<Record<string, unknown>>; nextCursor: string | null } = await deps.views.find(collection, { limit: 500, cursor });
      for (const doc of page.items) {
        hash.update(JSON.stringify(doc)).update('\n');
        count += 1;
      }
      cursor = page.nextCursor;
    } while (cursor);
    digests[collection] = `${count}:${hash.digest('hex').slice(0, 16)}`;
  }
  const hash = createHash('sha256');
  for (const id of [...searchIds].sort()) hash.update(JSON.stringify(await deps.searchIndex.get(id))).update('\n');
  digests['search-index'] = `${await deps.searchIndex.count()}:${hash.digest('hex').slice(0, 16)}`;
  return digests;
}

/** Replays a consistent copy of the event store into fresh read models (a full rebuild) and digests them. */
export async function rebuiltDigests(dataDir: string): Promise<{ digests: Record<string, string>; head: number }> {
  const copyDir = mkdtempSync(join(tmpdir(), 'bazaar-rebuild-'));
  try {
    const source = new Database(join(dataDir, 'events.db'), { readonly: true });
    await source.backup(join(copyDir, 'events.db'));
    source.close();
    const config = loadConfig({ BAZAAR_DATA_DIR: copyDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' }, { readDotEnv: false });
    const runtime = await buildRuntime(config, createLogger('silent'));
    try {
      const head = await runtime.deps.store.headPosition();
      // The read models only: reactors would send commands into the copy.
      for (const status of await runtime.deps.projections.status()) if (status.kind === 'projection') await runtime.deps.projections.catchUp(status.name, head);
      return { digests: await readModelDigests(runtime.deps), head };
    } finally {
      await runtime.close();
    }
  } finally {
    rmSync(copyDir, { recursive: true, force: true });
  }
}
