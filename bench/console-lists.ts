/**
 * Time to interactive of the console's product, order and user lists over 100,000 products, 100,000
 * orders and 100,000 users (embedded engines), in Debian's headless Chromium:
 *
 *   npx tsx bench/console-lists.ts [rows=100000] [runs=15] [--quick]
 *
 * Prints a markdown section and writes it into BENCHMARKS.md ("Console: time to interactive"); `--quick`
 * (or fewer than 100,000 rows) prints only. Not part of `npm run bench` (bench/run.ts: the foundation
 * benchmarks): filling the read models and driving a browser takes a few minutes and needs Chromium.
 *
 * The read models are filled by cloning one real product (with its stock) and one real order, written
 * straight into the view store at the projections' checkpoint: the pages read exactly what the API
 * serves them from, without replaying 200,000 commands first. Each run is a fresh navigation (first
 * page, then the 50th page by following the cursor); the time is the navigation's `domInteractive`
 * and `loadEventEnd` (htmx and the page script loaded and run: the page answers clicks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { loadConfig } from '../src/config.js';
import { buildRuntime } from '../src/main.js';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { ensureAdmin } from '../src/commands/users/accounts.js';
import { PRODUCTS, STOCK } from '../src/projections/catalog/documents.js';
import { ORDERS } from '../src/projections/orders/orders.js';
import { USERS } from '../src/projections/users/users.js';
import type { ViewWrite } from '../src/ports/view-store.js';
import { userStream } from '../src/domain/users/user.js';
import { writeSection } from './lib/benchmarks-md.js';
import { machineInfo, machineMarkdown } from './lib/machine.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const ROWS = Number(positional[0] ?? 100_000);
const RUNS = Number(positional[1] ?? 15);
const QUICK = process.argv.includes('--quick') || ROWS < 100_000;
const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_HEADING = '## Console: time to interactive';
const machine = machineInfo();
const loadAtStart = loadavg();

const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-console-bench-'));
const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', BAZAAR_LIMITS: 'relaxed' }, { readDotEnv: false });
const runtime = await buildRuntime(config, createLogger('silent'));
await runtime.deps.projections.start();
const app = createApp(runtime.deps);
const deps = runtime.deps;
const call = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await app.request(path, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const json = (await response.json().catch(() => null)) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
};

await ensureAdmin(deps, { email: 'bench@example.com', password: 'Bench-Passw0rd!' }, { actor: { id: 'system', role: 'system' }, correlationId: 'bench' });
const admin = await deps.tokens.issueAccessToken({ userId: 'bench-admin', roles: ['admin'] }, new Date());
await deps.handlers.user.handle(userStream('bench-buyer'), { type: 'RegisterUser', userId: 'bench-buyer', phone: null, email: 'buyer@example.com', nickname: 'buyer', passwordHash: 'x', roles: ['customer'], at: new Date().toISOString() });
const buyer = await deps.tokens.issueAccessToken({ userId: 'bench-buyer', roles: ['customer'] }, new Date());
const category = await call('POST', '/api/v1/admin/categories', admin, { name: '图书' });
const brand = await call('POST', '/api/v1/admin/brands', admin, { name: '三联' });
const product = await call('POST', '/api/v1/admin/products', admin, { title: '金庸武侠小说全集', categoryId: category.id, brandId: brand.id, skus: [{ skuCode: 'BOOK-1', price: { amount: 19_900, currency: 'CNY' }, stock: 1_000_000 }], status: 'listed' });
const address = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };
const placed = await call('POST', '/api/v1/orders', buyer, { items: [{ skuId: product.skus[0].id, quantity: 1, expectedUnitPrice: { amount: 19_900, currency: 'CNY' } }], shippingAddress: address });
await deps.projections.waitFor(await deps.store.headPosition(), 10_000);

// Clone the product (and its SKU's stock) and the order into ROWS documents each.
const productDoc = (await deps.views.get(PRODUCTS, product.id))!;
const stockDoc = (await deps.views.get(STOCK, product.skus[0].id))!;
const orderDoc = (await deps.views.get(ORDERS, placed.orders[0].id))!;
const userDoc = (await deps.views.get(USERS, 'bench-buyer'))!;
const started = performance.now();
for (let from = 0; from < ROWS; from += 5_000) {
  const products: ViewWrite[] = [];
  const orders: ViewWrite[] = [];
  const users: ViewWrite[] = [];
  for (let i = from; i < Math.min(ROWS, from + 5_000); i++) {
    const id = `bench-p-${String(i).padStart(6, '0')}`;
    const skuId = `${id}-s`;
    const skus = (productDoc.skus as Array<Record<string, unknown>>).map((sku) => ({ ...sku, skuId, skuCode: `B-${i}` }));
    products.push({ collection: PRODUCTS, id, doc: { ...productDoc, id, productId: id, title: `武侠小说 第${i}册`, skus } });
    products.push({ collection: STOCK, id: skuId, doc: { ...stockDoc, id: skuId, skuId, productId: id } });
    const orderId = `bench-o-${String(i).padStart(6, '0')}`;
    const createdAt = new Date(Date.parse(orderDoc.createdAt as string) - (i + 1) * 1000).toISOString();
    orders.push({ collection: ORDERS, id: orderId, doc: { ...orderDoc, id: orderId, orderId, createdAt } });
    const userId = `bench-u-${String(i).padStart(6, '0')}`;
    users.push({ collection: USERS, id: userId, doc: { ...userDoc, id: userId, email: `u${i}@example.com`, phone: `+86139${String(i).padStart(8, '0')}`, nickname: `用户${i}`, registeredAt: createdAt } });
  }
  for (const [projection, writes] of [['catalog', products], ['orders', orders], ['users', users]] as const) {
    const checkpoint = await deps.views.checkpoint(projection);
    await deps.views.commit(projection, writes, checkpoint, checkpoint);
  }
}
console.log(`seeded ${ROWS.toLocaleString('en-US')} products, orders and users in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const server = await new Promise<ServerType>((resolve) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const page = await browser.newPage();
await page.goto(`${base}/admin`);
await page.fill('input[name="identifier"]', 'bench@example.com');
await page.fill('input[name="password"]', 'Bench-Passw0rd!');
await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/session"] button[type="submit"]')]);

/** The cursor of page `n` (following `rel=next` links). */
async function cursorOf(path: string, n: number): Promise<string> {
  let url = `${base}${path}`;
  for (let i = 1; i < n; i++) {
    await page.goto(url);
    url = new URL((await page.getAttribute('a[rel="next"]', 'href'))!, base).href;
  }
  return url;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
const rows: string[] = [];
const lists = [
  ['products', '/admin/products', [
    ['keyword "第12" (found early in the scan)', `/admin/products?q=${encodeURIComponent('第12')}`],
    ['keyword "第99999册" (one match: the whole scan)', `/admin/products?q=${encodeURIComponent('第99999册')}`, 1],
  ]],
  ['orders', '/admin/orders', [['unpaid, last 7 days', `/admin/orders?paymentStatus=unpaid&from=${new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10)}`]]],
  ['users', '/admin/users', [['e-mail prefix "u12"', '/admin/users?q=u12&by=email'], ['nickname prefix "用户7"', `/admin/users?q=${encodeURIComponent('用户7')}`]]],
] as const;
for (const [name, path, extra] of lists) {
  const pages: Array<readonly [string, string, number?]> = [['page 1', `${base}${path}`], ['page 50', await cursorOf(path, 50)], ...extra.map(([label, url, expected]: readonly [string, string, number?]) => [label, `${base}${url}`, expected] as const)];
  for (const [label, url, expectedRows = 20] of pages) {
    const interactive: number[] = [];
    const loaded: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      await page.goto(url);
      const timing = await page.evaluate(() => {
        const nav = (performance as unknown as { getEntriesByType(type: string): Array<{ domInteractive: number; loadEventEnd: number }> }).getEntriesByType('navigation')[0]!;
        return { domInteractive: nav.domInteractive, loadEventEnd: nav.loadEventEnd };
      });
      const rowsShown = await page.locator(`#${name} tbody tr`).count();
      if (rowsShown !== expectedRows) throw new Error(`${name} ${label}: ${rowsShown} rows`);
      if (i < 2) continue; // warm-up
      interactive.push(timing.domInteractive);
      loaded.push(timing.loadEventEnd);
    }
    rows.push(`| ${name} | ${label} | ${percentile(interactive, 50).toFixed(0)} | ${percentile(interactive, 95).toFixed(0)} | ${percentile(loaded, 50).toFixed(0)} | ${percentile(loaded, 95).toFixed(0)} |`);
  }
}
const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');
const section = [
  CONSOLE_HEADING,
  '',
  `Generated by \`npx tsx bench/console-lists.ts ${ROWS} ${RUNS}\`: the console's lists over ${ROWS.toLocaleString('en-US')} products, ${ROWS.toLocaleString('en-US')} orders and`,
  `${ROWS.toLocaleString('en-US')} users (read models filled by cloning a real product with its stock, a real order and a real user at the`,
  "projections' checkpoints), signed in through the console in Debian's headless Chromium, embedded engines. Each page",
  `is a fresh navigation, ${RUNS} runs after 2 warm-ups, 20 rows a page; page 50 follows the cursor. The time is the navigation's`,
  '`domInteractive` / `loadEventEnd` in ms (htmx and the page script have run: the page answers clicks). Goal: under 1 s.',
  '',
  machineMarkdown(machine),
  `- Load average (1/5/15 min) at start ${load(loadAtStart)}, at the end ${load(loadavg())} (the browser, the server and the seeding share the 2 cores)`,
  '',
  '| list | page | domInteractive p50 | p95 | loadEventEnd p50 | p95 |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
  'Pages are keyset pages (no OFFSET); a keyset bound seeks the index (a redundant `key >= ?` beside',
  '`(key > ? OR (key = ? AND id > ?))`, src/adapters/viewstore/sqlite.ts), so page 50 costs what page 1 does, and a',
  'prefix search starts its keyset at the prefix in the field’s index (src/queries/users/find-users.ts). The product',
  'keyword is a substring scan of titles and brand names (drafts and delisted products are not in the search index):',
  'its cost grows with the rows scanned before a page fills, the whole table when fewer than 20 match.',
].join('\n');
console.log(`\n${section}`);
if (!QUICK) {
  writeSection(join(process.cwd(), 'BENCHMARKS.md'), CONSOLE_HEADING, section);
  console.log(`section "${CONSOLE_HEADING}" of BENCHMARKS.md updated`);
}

await browser.close();
server.close();
await runtime.close();
rmSync(dataDir, { recursive: true, force: true });
