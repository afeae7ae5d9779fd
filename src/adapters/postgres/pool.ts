import pg from 'pg';
import { EngineUnavailableError } from '../../kernel/errors.js';

/** Session settings every Bazaar connection runs with; `schema` (default `public`) scopes the tables. */
export interface PostgresOptions {
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name safe to splice into SQL (lower-case identifier); throws on anything else. */
export function schemaName(options: PostgresOptions = {}): string {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  return schema;
}

/**
 * How long a request may wait for a connection of the pool (a free one, or a new one opened): past it the
 * caller gets EngineUnavailableError (503) instead of hanging while the server is away or saturated.
 */
export const CONNECT_TIMEOUT_MS = 3_000;
/**
 * statement_timeout of every pooled connection: a statement of a request (or a projection batch) that runs or
 * waits for a lock longer than this is cancelled (57014, EngineUnavailableError). Maintenance that may
 * legitimately take longer (migrations, index builds, emptying a read model) lifts it for its own transaction
 * with `SET LOCAL statement_timeout = 0` (NO_STATEMENT_TIMEOUT).
 */
export const STATEMENT_TIMEOUT_MS = 5_000;
/** Prefix of a maintenance transaction's statements: no statement_timeout for the rest of that transaction. */
export const NO_STATEMENT_TIMEOUT = 'SET LOCAL statement_timeout = 0';

/**
 * A pool for one connection string. BIGINT (int8) columns come back as JS numbers: every count and
 * position Bazaar stores stays below 2^53 (positions are bounded by design, docs/architecture.md).
 * Waits are bounded (CONNECT_TIMEOUT_MS, STATEMENT_TIMEOUT_MS) and TCP keep-alive finds dead peers.
 */
export function createPostgresPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: { getTypeParser: typeParser },
  });
  // An idle client's connection drops (server restart): the pool discards it; without a listener Node would crash.
  pool.on('error', () => {});
  return pool;
}

const INT8_OID = 20;
const typeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID ? (value: string) => Number(value) : format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')) as typeof pg.types.getTypeParser;

/**
 * Runs `migrate` once per schema and version, serialized across processes by a transaction-scoped advisory
 * lock, so two processes starting at once neither race nor fail. The applied versions are kept in
 * `<schema>.bazaar_migrations`.
 */
export async function migrateOnce(pool: pg.Pool, schema: string, component: string, migrations: string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(NO_STATEMENT_TIMEOUT); // waiting for another process's migration, or a long one, is fine
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bazaar-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.bazaar_migrations (component TEXT NOT NULL, version INT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${schema}.bazaar_migrations WHERE component = $1`, [component]);
    const done = new Set(applied.rows.map((row) => row.version));
    for (const [index, sql] of migrations.entries()) {
      const version = index + 1;
      if (done.has(version)) continue;
      await client.query(sql);
      await client.query(`INSERT INTO ${schema}.bazaar_migrations (component, version) VALUES ($1, $2)`, [component, version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** SQLSTATEs of a server that is going away or not there yet, beside class 08 (connection exception). */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown: the server is stopping (fast or immediate shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05', // idle_session_timeout
  '57014', // query_canceled: statement_timeout (or pg_cancel_backend)
  '53300', // too_many_connections
]);
const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Query read timeout|the database system is (starting up|shutting down|in recovery)/i;

/**
 * Whether an error of `pg` means the server is away or cannot serve right now (connection refused, reset or
 * timed out, terminated by a shutdown or restart, SQLSTATE class 08, 57P01–57P03, a statement_timeout, the
 * pool's connection timeout): the same work can succeed later. An AggregateError (Node's happy-eyeballs
 * connect) counts when one of its errors does.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  if (error instanceof EngineUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_NET_CODES.has(code))) return true;
  if (error instanceof AggregateError && error.errors.some(isPostgresUnavailable)) return true;
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** `error` as EngineUnavailableError when PostgreSQL is away (isPostgresUnavailable), else unchanged. */
export function postgresError(error: unknown): unknown {
  if (error instanceof EngineUnavailableError || !isPostgresUnavailable(error)) return error;
  return new EngineUnavailableError('postgresql', 2, { cause: error });
}
