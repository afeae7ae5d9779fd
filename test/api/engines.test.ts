import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRuntime } from '../support/runtime.js';
import { TEST_ENGINES, TEST_REDIS_URL } from '../support/engines.js';
import { POSTGRES_URL } from '../support/postgres.js';
import { teeBody, settled } from './catalog-support.js';
import { orderWorld, type OrderWorld } from './orders-support.js';

/** The test matrix is real: each project's server writes where its engines say, and nowhere else. */

let runtime: TestRuntime;
let world: OrderWorld;

beforeAll(async () => {
  world = await orderWorld();
  runtime = world.runtime;
  const created = await world.api('POST', '/api/v1/admin/products', { token: world.adminToken, body: teeBody(world.t, ['ENGINES-1'], { status: 'listed' }) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await settled(world, created.body.position);
  const cart = await world.api('POST', '/api/v1/cart/items', { body: { skuId: created.body.skus[0].id, quantity: 1 } });
  expect(cart.status, JSON.stringify(cart.body)).toBeLessThan(300);
});
afterAll(() => runtime.close());

describe.runIf(TEST_ENGINES === 'embedded')('on the embedded default', () => {
  it('keeps events, views and key-value in SQLite files in the data dir', () => {
    for (const file of ['events.db', 'views.db', 'kv.db', 'search.db']) expect(existsSync(join(runtime.dataDir, file)), file).toBe(true);
  });
});

describe.runIf(TEST_ENGINES === 'postgres')('on PostgreSQL + Redis', () => {
  it('appends events and projects views into its own PostgreSQL schema; no SQLite file for them', async () => {
    expect(existsSync(join(runtime.dataDir, 'events.db'))).toBe(false);
    expect(existsSync(join(runtime.dataDir, 'views.db'))).toBe(false);
    const schema = runtime.config.BAZAAR_PG_SCHEMA;
    expect(schema).not.toBe('public');
    const pgClient = new pg.Client({ connectionString: POSTGRES_URL });
    await pgClient.connect();
    try {
      const events = await pgClient.query(`SELECT count(*)::int AS n FROM ${schema}.events WHERE stream_id LIKE 'product-%'`);
      expect(events.rows[0].n).toBeGreaterThanOrEqual(1);
      const tables = await pgClient.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'events'`, [schema]);
      expect(tables.rows[0].n).toBeGreaterThan(1);
    } finally {
      await pgClient.end();
    }
  });

  it('keeps carts in Redis under its own key prefix; no kv.db', async () => {
    expect(existsSync(join(runtime.dataDir, 'kv.db'))).toBe(false);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [, keys] = await redis.scan('0', 'MATCH', `${runtime.config.REDIS_KEY_PREFIX}*`, 'COUNT', 10_000);
      expect(keys.length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
