/**
 * Event-to-searchable lag: how long after a price change is acknowledged the new price is what
 * search returns. Embedded default, projections in-process (the `all` role).
 *
 *   npx tsx bench/search-lag.ts [--changes N] [--products N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { buildRuntime } from '../src/main.js';
import { createLogger } from '../src/logger.js';
import { seedDemoStore } from '../src/commands/catalog/demo-seed.js';
import { changeSkuPrice } from '../src/commands/catalog/products.js';
import { productStream, type ActiveProduct } from '../src/domain/catalog/product.js';

export interface SearchLagResult {
  products: number;
  changes: number;
  sequential: { p50: number; p99: number; max: number };
  burst: { size: number; p50: number; p99: number; max: number };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const summarize = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
};

export async function benchSearchLag(options: { products?: number; changes?: number; burst?: number } = {}): Promise<SearchLagResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-bench-lag-'));
  const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { readDotEnv: false });
  const runtime = await buildRuntime(config, createLogger('silent'));
  const { deps } = runtime;
  try {
    await deps.projections.start();
    const products = options.products ?? 300;
    await seedDemoStore(deps, { products });
    const listed = (await deps.searchIndex.search({ size: 100, sort: 'newest' })).hits.map((hit) => hit.id);
    const skus: string[] = [];
    for (const productId of listed) {
      const { state } = await deps.handlers.product.load(productStream(productId));
      skus.push(...(state as ActiveProduct).skus.map((sku) => sku.skuId));
    }
    const actor = { id: 'bench', role: 'admin' as const };

    /** One price change; resolves with ms from acknowledgement until search serves the new price. */
    const change = async (n: number) => {
      const skuId = skus[n % skus.length]!;
      // Each change makes this SKU the dearest of its product, so the new price must be the document's maxPrice.
      const price = { amount: 90_000_000 + n, currency: 'CNY' };
      const { product, position } = await changeSkuPrice(deps, actor, { skuId, price }, {});
      const acknowledged = performance.now();
      if (!(await deps.projections.waitFor(position, 10_000, ['search']))) throw new Error('search did not catch up in 10 s');
      const document = await deps.searchIndex.get(product.id);
      if (document?.maxPrice !== price.amount) throw new Error(`search does not show the new price of ${skuId} after waitFor`);
      return performance.now() - acknowledged;
    };

    const changes = options.changes ?? 300;
    const sequential: number[] = [];
    for (let n = 0; n < changes; n++) sequential.push(await change(n));
    const burstSize = options.burst ?? 50;
    const burst = await Promise.all(Array.from({ length: burstSize }, (_, n) => change(changes + n)));
    return { products, changes, sequential: summarize(sequential), burst: { size: burstSize, ...summarize(burst) } };
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function searchLagMarkdown(result: SearchLagResult): string {
  const ms = (value: number) => value.toFixed(1);
  return [
    `Price change → searchable, embedded default, ${result.products} seeded products, projections in the API process.`,
    '',
    '| load | changes | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    `| one change at a time | ${result.changes} | ${ms(result.sequential.p50)} | ${ms(result.sequential.p99)} | ${ms(result.sequential.max)} |`,
    `| burst of ${result.burst.size} concurrent changes | ${result.burst.size} | ${ms(result.burst.p50)} | ${ms(result.burst.p99)} | ${ms(result.burst.max)} |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? Number(process.argv[index + 1]) : undefined;
  };
  console.log(searchLagMarkdown(await benchSearchLag({ products: arg('products'), changes: arg('changes') })));
}
