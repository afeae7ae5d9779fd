import { spawnSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

/**
 * Two projects, one matrix: every test on the embedded default, and the tests that run the server through
 * checkout, flash sales, payment, refunds and roles again on PostgreSQL + Redis (test/support/engines.ts).
 */
const SERVER_ON_ENGINES = [
  'test/api/storefront-cart-checkout.test.ts',
  'test/api/cart.test.ts',
  'test/api/orders.test.ts',
  'test/api/orders-concurrency.test.ts',
  'test/api/idempotency.test.ts',
  'test/api/flash-sales.test.ts',
  'test/api/payments.test.ts',
  'test/api/refunds.test.ts',
  'test/api/refund-queue.test.ts',
  'test/api/money-and-stock.test.ts',
  'test/api/fulfillment.test.ts',
  'test/api/projection-rebuild.test.ts',
  'test/api/engines.test.ts',
  'test/api/finance-entries.test.ts',
  'test/e2e/roles.test.ts',
];

const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether PostgreSQL and Redis both answer (checked once, in a child process, before any test runs). */
function enginesReachable(): string | null {
  const probe = `
    const pg = require('pg'); const { Redis } = require('ioredis');
    const client = new pg.Client({ connectionString: ${JSON.stringify(POSTGRES_URL)}, connectionTimeoutMillis: 3000 });
    const redis = new Redis(${JSON.stringify(REDIS_URL)}, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
    client.connect().then(() => client.end(), () => { console.log('PostgreSQL does not answer at ${POSTGRES_URL}'); process.exit(1); })
      .then(() => redis.connect()).then(() => redis.ping()).then(() => { redis.disconnect(); process.exit(0); }, () => { console.log('Redis does not answer at ${REDIS_URL}'); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? null : result.stdout.trim() || 'the probe failed';
}

const unreachable = enginesReachable();
if (unreachable) console.warn(`[matrix] the postgres+redis project is SKIPPED: ${unreachable}. Start PostgreSQL and Redis (or set DATABASE_URL / REDIS_URL) to run it.`);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      ...(unreachable ? [] : [{ extends: true, test: { name: 'postgres+redis', include: SERVER_ON_ENGINES, env: { BAZAAR_TEST_ENGINES: 'postgres' } } }]),
    ],
  },
});
