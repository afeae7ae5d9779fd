import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { buildRuntime, type Runtime } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { createApp } from '../../src/http/app.js';
import { seedDemoStore } from '../../src/commands/catalog/demo-seed.js';
import { changeStock } from '../../src/commands/catalog/products.js';
import { userStream } from '../../src/domain/users/user.js';

export interface BenchSku {
  skuId: string;
  price: { amount: number; currency: string };
}

export interface StoreFixture {
  runtime: Runtime;
  /** In-process HTTP through the whole app (`app.request`, no sockets). */
  call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  skus: BenchSku[];
  /** Access tokens of customers whose user streams exist. */
  buyers: string[];
  close(): Promise<void>;
}

/**
 * A demo store for the flow benchmarks: an embedded runtime in a temp dir (relaxed limits, projections
 * and reactors running), the seeded catalog with plenty of stock on the newest listed products' SKUs,
 * and buyers (user streams written directly: no password hashing).
 */
export async function storeFixture(options: { name: string; buyers: number; products?: number }): Promise<StoreFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), `bazaar-bench-${options.name}-`));
  const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', BAZAAR_LIMITS: 'relaxed' }, { readDotEnv: false });
  const runtime = await buildRuntime(config, createLogger('silent'));
  const { deps } = runtime;
  const close = async () => {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await deps.projections.start();
    await seedDemoStore(deps, { products: options.products ?? 100 });
    const app = createApp(deps);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const admin = await deps.tokens.issueAccessToken({ userId: 'bench-admin', roles: ['admin'] }, new Date());
    const skus: BenchSku[] = [];
    for (const hit of (await deps.searchIndex.search({ size: 50, sort: 'newest' })).hits) {
      const detail = await call('GET', `/api/v1/products/${hit.id}`, admin);
      for (const sku of (detail.body.skus as Array<{ id: string; price: BenchSku['price'] }>) ?? []) {
        await changeStock(deps, { id: 'bench', role: 'admin' }, { skuId: sku.id, change: { set: 100_000 } }, {});
        skus.push({ skuId: sku.id, price: sku.price });
      }
    }
    const buyers: string[] = [];
    for (let i = 0; i < options.buyers; i++) {
      const userId = `bench-buyer-${i}`;
      await deps.handlers.user.handle(userStream(userId), {
        type: 'RegisterUser', userId, phone: null, email: `bench${i}@example.com`, nickname: `buyer ${i}`, passwordHash: 'x', roles: ['customer'], at: new Date().toISOString(),
      });
      buyers.push(await deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, new Date()));
    }
    await deps.projections.waitFor(await deps.store.headPosition(), 60_000);
    return { runtime, call, skus, buyers, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export const benchAddress = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };

/** Runs `flow(n)` for n = 0 … flows − 1 with `concurrency` flows in flight. */
export async function inFlight(flows: number, concurrency: number, flow: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < flows; n = next++) await flow(n);
    }),
  );
}
