/**
 * Load generator (issue 7): a storefront mix over real HTTP — search 70 %, product detail 20 %, add-to-cart
 * 5 % and checkout 5 % — ramped (connections doubling each step) until p99 > 200 ms, per topology:
 *
 *   single: one `bazaar serve --role all` process
 *   split:  `--role api` + `--role projector` + `--role reactors` over the same files (embedded default)
 *
 * Reports sustained req/s (the best step whose p99 stays within 200 ms), req/s per core, and the largest
 * projection lag seen on /metrics under that load. The load generator runs on the same machine and
 * shares its cores. Writes bench/load-results.md.
 *
 * With `--profile`, every server process is CPU-profiled over the whole ramp (SIGUSR2 with
 * BAZAAR_CPU_PROFILE_DIR, docs/operations.md) and the report adds where the time goes, per process.
 *
 *   npx tsx bench/load.ts [--products 1000] [--step-seconds 6] [--max-connections 256] [--topologies single,split] [--profile]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import { buildRuntime } from '../src/main.js';
import { createLogger } from '../src/logger.js';
import { userStream } from '../src/domain/users/user.js';
import { machineInfo, machineMarkdown } from './lib/machine.js';
import { profileMarkdown, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/profiler.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const P99_LIMIT_MS = 200;

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const PRODUCTS = Number(arg('products', '1000'));
const STEP_SECONDS = Number(arg('step-seconds', '6'));
const MAX_CONNECTIONS = Number(arg('max-connections', '256'));
const TOPOLOGIES = arg('topologies', 'single,split').split(',') as Array<'single' | 'split'>;
const BUYERS = 3000;
const PROFILE = process.argv.includes('--profile');

// autocannon ships no types: the part used here.
interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface CannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { average: number; total: number };
  duration: number;
}
type Autocannon = (options: Record<string, unknown>, callback: (error: Error | null, result: CannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function env(dataDir: string, secret: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['PORT', 'BAZAAR_ROLE', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL', 'BAZAAR_BOOTSTRAP_ADMIN']) delete base[name];
  return { ...base, BAZAAR_DATA_DIR: dataDir, JWT_SECRET: secret, NODE_ENV: 'production', BAZAAR_LIMITS: 'relaxed', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...extra };
}

async function runCli(args: string[], environment: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(TSX, ['src/cli.ts', ...args], { cwd: ROOT, env: environment, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`bazaar ${args.join(' ')} exited with ${code}`);
}

interface Server {
  role: string;
  child: ChildProcess;
  url: string;
}

async function serve(role: string, environment: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  // bin/bazaar.js runs tsx in-process: the child is the server itself, so it receives SIGUSR2 (--profile).
  const child = spawn(process.execPath, ['bin/bazaar.js', 'serve', '--role', role], { cwd: ROOT, env: { ...environment, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { role, child, url };
    } catch {
      // starting
    }
    await sleep(100);
  }
  throw new Error(`${role} did not become ready`);
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((done) => server.child.once('exit', done));
  server.child.kill('SIGTERM');
  await Promise.race([exited, sleep(8000)]);
  try {
    process.kill(-server.child.pid!, 'SIGKILL');
  } catch {
    // gone
  }
}

async function maxLag(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    let max = 0;
    for (const line of text.split('\n')) if (line.startsWith('bazaar_projection_lag_events{')) max = Math.max(max, Number(line.slice(line.lastIndexOf(' ') + 1)));
    return max;
  } catch {
    return Number.NaN;
  }
}

interface Fixture {
  productIds: string[];
  skus: Array<{ skuId: string; price: number }>;
  terms: string[];
  tokens: string[];
}

async function fixture(dataDir: string, secret: string, apiUrl: string): Promise<Fixture> {
  const config = loadConfig(env(dataDir, secret, { LOG_LEVEL: 'silent', BAZAAR_ROLE: 'api' }) as Record<string, string>, { readDotEnv: false });
  const runtime = await buildRuntime(config, createLogger('silent'));
  const { deps } = runtime;
  const productIds: string[] = [];
  const titles: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Array<{ id?: string; productId?: string; title?: string; status?: string }>; nextCursor: string | null } = await deps.views.find('catalog_products', { limit: 500, cursor });
    for (const doc of page.items) {
      if (doc.status !== 'listed') continue;
      productIds.push(doc.productId ?? doc.id!);
      if (doc.title) titles.push(doc.title);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const skus: Fixture['skus'] = [];
  for (const id of productIds.slice(0, 300)) {
    const detail = (await (await fetch(`${apiUrl}/api/v1/products/${id}`)).json()) as { skus?: Array<{ id: string; price: { amount: number }; available: number }> };
    for (const sku of detail.skus ?? []) if (sku.available > 0) skus.push({ skuId: sku.id, price: sku.price.amount });
  }
  // Search terms: words of the titles (Chinese titles yield 2-character terms).
  const terms = new Set<string>();
  for (const title of titles.slice(0, 400)) {
    for (const word of title.split(/[\s·，,]+/)) {
      if (/^[\x20-\x7e]+$/.test(word) && word.length >= 3) terms.add(word.toLowerCase());
      else if (word.length >= 2) terms.add(word.slice(0, 2));
    }
  }
  const run = randomBytes(3).toString('hex');
  const tokens: string[] = [];
  const now = new Date();
  for (let n = 0; n < BUYERS; n++) {
    const userId = `load-${run}-${n}`;
    await deps.handlers.user.handle(userStream(userId), { type: 'RegisterUser', userId, phone: null, email: `${userId}@load.example.com`, nickname: userId, passwordHash: 'x', roles: ['customer'], at: now.toISOString() });
    tokens.push(await deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, now));
  }
  await runtime.close();
  return { productIds, skus, terms: [...terms].slice(0, 200), tokens };
}

const address = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };

/** One request of the mix per call. */
function mix(f: Fixture) {
  let n = 0;
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  return (request: CannonRequest): CannonRequest => {
    const r = Math.random();
    n += 1;
    if (r < 0.7) return { ...request, method: 'GET', path: `/api/v1/products/search?q=${encodeURIComponent(pick(f.terms))}`, headers: {}, body: undefined };
    if (r < 0.9) return { ...request, method: 'GET', path: `/api/v1/products/${pick(f.productIds)}`, headers: {}, body: undefined };
    const sku = pick(f.skus);
    const token = f.tokens[n % f.tokens.length]!;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (r < 0.95) return { ...request, method: 'POST', path: '/api/v1/cart/items', headers, body: JSON.stringify({ skuId: sku.skuId, quantity: 1 }) };
    return {
      ...request,
      method: 'POST',
      path: '/api/v1/orders',
      headers: { ...headers, 'idempotency-key': `load-${n}-${Math.random().toString(36).slice(2)}` },
      body: JSON.stringify({ items: [{ skuId: sku.skuId, quantity: 1, expectedUnitPrice: { amount: sku.price, currency: 'CNY' } }], shippingAddress: address }),
    };
  };
}

interface Step {
  connections: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  maxLag: number;
}

async function ramp(apiUrl: string, lagUrl: string, f: Fixture): Promise<Step[]> {
  const steps: Step[] = [];
  for (let connections = 4; connections <= MAX_CONNECTIONS; connections *= 2) {
    let lag = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lag = Math.max(lag, await maxLag(lagUrl));
        await sleep(250);
      }
    })();
    const result = await new Promise<CannonResult>((done, fail) => {
      autocannon({ url: apiUrl, connections, duration: STEP_SECONDS, timeout: 10, requests: [{ setupRequest: mix(f) }] }, (error, value) => (error ? fail(error) : done(value)));
    });
    sampling = false;
    await sampler;
    const step = { connections, perSecond: Math.round(result.requests.total / result.duration), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts, maxLag: lag };
    steps.push(step);
    console.log(`  ${connections} connections: ${step.perSecond} req/s, p50 ${step.p50} ms, p99 ${step.p99} ms, non-2xx ${step.non2xx}, errors ${step.errors}, max projection lag ${step.maxLag}`);
    if (step.p99 > P99_LIMIT_MS) break;
    await sleep(500);
  }
  return steps;
}

/** Toggles the CPU profiler of every server (start, or stop and write). */
async function toggleProfiles(servers: Server[], dir: string, expectFiles: number): Promise<void> {
  for (const server of servers) server.child.kill('SIGUSR2');
  for (let i = 0; i < 200 && readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).length < expectFiles; i++) await sleep(100);
  if (expectFiles === 0) await sleep(300); // the profilers start
}

async function topology(name: 'single' | 'split'): Promise<{ name: string; steps: Step[]; profiles: Array<{ title: string; summary: ProfileSummary }> }> {
  const dataDir = mkdtempSync(join(os.tmpdir(), `bazaar-load-${name}-`));
  const profileDir = mkdtempSync(join(os.tmpdir(), `bazaar-load-profiles-${name}-`));
  const secret = randomBytes(32).toString('base64url');
  const servers: Server[] = [];
  try {
    console.log(`${name}: seeding ${PRODUCTS} products`);
    await runCli(['seed', '--products', String(PRODUCTS)], env(dataDir, secret));
    const serverEnv = env(dataDir, secret, PROFILE ? { BAZAAR_CPU_PROFILE_DIR: profileDir } : {});
    if (name === 'single') servers.push(await serve('all', serverEnv));
    else servers.push(...(await Promise.all(['api', 'projector', 'reactors'].map((role) => serve(role, serverEnv)))));
    const api = servers[0]!;
    const lagSource = servers.find((s) => s.role === 'projector') ?? api;
    const f = await fixture(dataDir, secret, api.url);
    console.log(`${name}: ${f.productIds.length} listed products, ${f.skus.length} SKUs in stock, ${f.terms.length} search terms, ${f.tokens.length} buyers`);
    if (PROFILE) await toggleProfiles(servers, profileDir, 0);
    const steps = await ramp(api.url, lagSource.url, f);
    const profiles: Array<{ title: string; summary: ProfileSummary }> = [];
    if (PROFILE) {
      await toggleProfiles(servers, profileDir, servers.length);
      for (const file of readdirSync(profileDir).filter((entry) => entry.endsWith('.cpuprofile')).sort()) {
        const role = file.slice(0, file.indexOf('-'));
        profiles.push({ title: `${name}: the \`${role}\` process over the whole ramp`, summary: summarizeProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile) });
      }
    }
    return { name, steps, profiles };
  } finally {
    for (const server of servers) await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  }
}

const results = [];
for (const name of TOPOLOGIES) results.push(await topology(name));

const cores = os.cpus().length;
const lines = [
  '# Load: storefront mix over HTTP, ramped until p99 > 200 ms',
  '',
  machineMarkdown(machineInfo()),
  `- Store: \`bazaar seed --products ${PRODUCTS}\` (embedded default: SQLite files in WAL mode), ${BUYERS} buyers; \`NODE_ENV=production\`, \`BAZAAR_LIMITS=relaxed\`, \`LOG_LEVEL=warn\``,
  '- Mix: search 70 % (`GET /api/v1/products/search?q=<term from the titles>`), product detail 20 %, add-to-cart 5 %, checkout 5 % (`POST /api/v1/orders`, one SKU, a fresh `Idempotency-Key`; sold-out SKUs answer 409, counted as non-2xx)',
  `- Ramp: autocannon connections 4, 8, 16, … (${STEP_SECONDS} s each) until p99 > ${P99_LIMIT_MS} ms. The generator runs on the same ${cores} cores as the server processes.`,
  '- Topologies: **single** = one `serve --role all`; **split** = `serve --role api` + `--role projector` + `--role reactors` over the same files.',
  `- Reproduce: \`npx tsx bench/load.ts${PROFILE ? ' --profile' : ''}\` (options: \`--products\`, \`--step-seconds\`, \`--max-connections\`, \`--topologies\`, \`--profile\`).${PROFILE ? ' This run had the CPU profiler on in every server process (a few per cent slower).' : ''}`,
  '',
  '## Summary',
  '',
  '| topology | sustained req/s (p99 ≤ 200 ms) | at connections | req/s per core | p99 there | max projection lag there (events) |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const { name, steps } of results) {
  const within = steps.filter((s) => s.p99 <= P99_LIMIT_MS);
  const best = within.reduce<Step | null>((top, s) => (!top || s.perSecond > top.perSecond ? s : top), null);
  lines.push(best ? `| ${name} | ${best.perSecond} | ${best.connections} | ${Math.round(best.perSecond / cores)} | ${best.p99} ms | ${best.maxLag} |` : `| ${name} | — | — | — | — | — |`);
}
for (const { name, steps } of results) {
  lines.push('', `## ${name}: every step`, '', '| connections | req/s | p50 | p99 | non-2xx | errors | max projection lag |', '|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of steps) lines.push(`| ${s.connections} | ${s.perSecond} | ${s.p50} ms | ${s.p99} ms | ${s.non2xx} | ${s.errors} | ${s.maxLag} |`);
}
const profiles = results.flatMap((result) => result.profiles);
if (profiles.length > 0) lines.push('', '## Where the time goes (CPU profiles, self time)', '', ...profiles.flatMap(({ title, summary }) => [profileMarkdown(summary, title), '']));
writeFileSync(join(ROOT, PROFILE ? 'bench/load-profile-results.md' : 'bench/load-results.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
