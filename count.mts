import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const counts = new Map<string, { n: number; ms: number }>();
const prepare = Database.prototype.prepare;
let on = false;
(Database.prototype as any).prepare = function (sql: string) {
  const stmt = prepare.call(this, sql);
  for (const m of ['run', 'get', 'all', 'iterate'] as const) {
    const orig = (stmt as any)[m].bind(stmt);
    (stmt as any)[m] = (...args: unknown[]) => { if (!on) return orig(...args); const t = performance.now(); const r = orig(...args); const k = `${m} ${sql.replace(/\s+/g, ' ').slice(0, 110)}`; const e = counts.get(k) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - t; counts.set(k, e); return r; };
  }
  return stmt;
};
const { loadConfig } = await import('./src/config.js');
const { buildRuntime } = await import('./src/main.js');
const { createApp } = await import('./src/http/app.js');
const { createLogger } = await import('./src/logger.js');
const config = loadConfig({ BAZAAR_DATA_DIR: mkdtempSync(join(tmpdir(), 'cnt-')), LOG_LEVEL: 'warn', NODE_ENV: 'production', BAZAAR_LIMITS: 'relaxed' }, { readDotEnv: false });
const runtime = await buildRuntime(config, createLogger('warn'));
const { deps } = runtime; await deps.projections.start();
const app = createApp(deps);
const admin = await deps.tokens.issueAccessToken({ userId: 'adm', roles: ['admin'] }, new Date());
const call = async (method: string, path: string, body?: unknown, token = admin, extra: Record<string, string> = {}) => { const r = await app.request(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...extra }, body: body === undefined ? undefined : JSON.stringify(body) }); const j = await r.json() as any; if (r.status >= 300) throw new Error(JSON.stringify(j)); return j; };
const root = (await call('POST', '/api/v1/admin/categories', { name: '服装' })).id; const cat = (await call('POST', '/api/v1/admin/categories', { name: 'T恤', parentId: root })).id;
await call('POST', '/api/v1/admin/attributes', { categoryId: cat, name: '颜色', kind: 'sales', values: ['红色'] });
const brandId = (await call('POST', '/api/v1/admin/brands', { name: 'Acme' })).id;
const skus: string[] = []; let pos = 0;
for (let i = 0; i < 50; i++) { const c = await call('POST', '/api/v1/admin/products', { title: `Tee ${i}`, categoryId: cat, brandId, attributes: {}, description: 'x', images: ['https://img.example.com/a.png'], status: 'listed', skus: [{ skuCode: `S${i}`, salesAttributes: { 颜色: '红色' }, price: { amount: 9900, currency: 'CNY' }, stock: 100000 }] }); skus.push(c.skus[0].id); pos = Number(c.position); }
await deps.projections.waitFor(pos, 60000);
const { userStream } = await import('./src/domain/users/user.js');
const users: string[] = [];
for (let i = 0; i < 100; i++) { const id = `u${i}`; await deps.handlers.user.handle(userStream(id), { type: 'RegisterUser', userId: id, phone: null, email: `${id}@x.com`, nickname: id, passwordHash: 'x', roles: ['customer'], at: new Date().toISOString() } as any); users.push(await deps.tokens.issueAccessToken({ userId: id, roles: ['customer'] }, new Date())); }
await new Promise((r) => setTimeout(r, 500));
const N = 1000; on = true;
let k = 0;
await Promise.all(Array.from({ length: 50 }, async () => { while (k < N) { const n = k++; await call('POST', '/api/v1/orders', { items: [{ skuId: skus[n % 50], quantity: 1, expectedUnitPrice: { amount: 9900, currency: 'CNY' } }], shippingAddress: { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' } }, users[n % 100], { 'Idempotency-Key': `k${n}` }); } }));
await new Promise((r) => setTimeout(r, 1500));
on = false;
let totalMs = 0; for (const e of counts.values()) totalMs += e.ms;
console.log('total sqlite ms per order', (totalMs / N).toFixed(3));
for (const [k, e] of [...counts].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) console.log((e.n / N).toFixed(2).padStart(6), (e.ms / N * 1000).toFixed(1).padStart(7) + 'µs', k);
await runtime.close();
