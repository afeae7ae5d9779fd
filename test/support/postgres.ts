import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';

/** The PostgreSQL the tests use: DATABASE_URL, else this machine's local server (trust auth, database `test`). */
export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: boolean | undefined;
/** Whether the PostgreSQL server answers (checked once, synchronously, in a child process). */
export function postgresAvailable(): boolean {
  if (reachable === undefined) {
    const probe = `const {Client}=require('pg');const c=new Client({connectionString:${JSON.stringify(POSTGRES_URL)},connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1));`;
    reachable = spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: 8000 }).status === 0;
    if (!reachable) console.warn(`[postgres] SKIPPED: no PostgreSQL answers at ${POSTGRES_URL} (start it, or set DATABASE_URL).`);
  }
  return reachable;
}

/** A new, empty schema for one test file and a pool on it; `drop` removes the schema and ends the pool. */
export async function freshSchema(prefix = 't'): Promise<{ schema: string; pool: pg.Pool; url: string; drop: () => Promise<void> }> {
  const schema = `${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const pool = createPostgresPool(POSTGRES_URL, 8);
  await pool.query(`CREATE SCHEMA ${schema}`);
  return {
    schema,
    pool,
    url: POSTGRES_URL,
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await pool.end();
    },
  };
}
