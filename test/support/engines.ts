import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { POSTGRES_URL } from './postgres.js';

/**
 * The engines the server tests run on, chosen by BAZAAR_TEST_ENGINES (the vitest project sets it):
 * `embedded` (SQLite files in the data dir, the default) or `postgres` (PostgreSQL events and views, Redis
 * key-value; search stays embedded).
 */
export type TestEngines = 'embedded' | 'postgres';
export const TEST_ENGINES: TestEngines = process.env.BAZAAR_TEST_ENGINES === 'postgres' ? 'postgres' : 'embedded';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Variables a test's environment must not inherit: the engines are the matrix's choice, not the shell's. */
export const ENGINE_VARIABLES = ['DATABASE_URL', 'EVENTSTORE_URL', 'VIEWSTORE_URL', 'MONGODB_URL', 'ELASTICSEARCH_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_KEY_PREFIX', 'BAZAAR_PG_SCHEMA', 'BAZAAR_PG_POOL_SIZE'];

export interface EngineDeployment {
  /** Configuration for every process of one deployment (empty on the embedded default). */
  env: Record<string, string>;
  /** Drops the deployment's PostgreSQL schema and Redis keys. */
  dispose(): Promise<void>;
}

/** One isolated deployment on TEST_ENGINES: its own PostgreSQL schema and Redis key prefix. */
export async function engineDeployment(engines: TestEngines = TEST_ENGINES): Promise<EngineDeployment> {
  if (engines === 'embedded') return { env: {}, dispose: async () => {} };
  const schema = `e2e_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
  const prefix = `${schema}:`;
  return {
    // Small pools: a test file runs several processes, and files run side by side on one server.
    env: { DATABASE_URL: POSTGRES_URL, BAZAAR_PG_SCHEMA: schema, BAZAAR_PG_POOL_SIZE: '4', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix },
    async dispose() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
