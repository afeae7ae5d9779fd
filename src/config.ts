import { existsSync } from 'node:fs';
import { z } from 'zod';

const optionalUrl = z.string().url().optional();
const POSTGRES_URL = /^postgres(ql)?:\/\//;

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  BAZAAR_DATA_DIR: z.string().min(1).default('./data'),
  NODE_ENV: z.enum(['development', 'production', 'test']).optional(),
  BAZAAR_BOOTSTRAP_ADMIN: z
    .string()
    .regex(/^[^:\s]+@[^:\s]+:.{8,}$/, 'must be email:password with a password of at least 8 characters')
    .optional(),
  BAZAAR_PAYMENT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(1800),
  BAZAAR_LIMITS: z.enum(['strict', 'relaxed']).default('strict'),
  BAZAAR_ROLE: z.enum(['api', 'projector', 'reactors', 'all']).default('all'),
  /** Lease of a projection, reactor or the sweepers (role split): a standby takes over at most this long after its owner died. */
  BAZAAR_LEASE_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(5000),
  BAZAAR_NODE_ID: z.coerce.number().int().min(0).max(1023).default(0),
  BAZAAR_SQLITE_SYNC: z.enum(['normal', 'full']).default('normal'),
  /** Role `all`: the projections run in a worker thread (a second core) instead of on the API's event loop. */
  BAZAAR_PROJECTOR_THREAD: z.enum(['on', 'off']).default('on'),
  /** With this set, SIGUSR2 starts a CPU profile and the next SIGUSR2 writes it here (docs/operations.md). */
  BAZAAR_CPU_PROFILE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** PostgreSQL for the event store and the view store (each overridable by EVENTSTORE_URL / VIEWSTORE_URL). */
  DATABASE_URL: z.string().regex(POSTGRES_URL, 'must be a postgres:// connection string').optional(),
  EVENTSTORE_URL: z
    .string()
    .regex(/^(esdb|kurrentdb|kdb|esdb\+discover|kurrentdb\+discover|postgres|postgresql):\/\//, 'must be an esdb://, kurrentdb:// or postgres:// connection string')
    .optional(),
  VIEWSTORE_URL: z.string().regex(/^(postgres|postgresql|mongodb|mongodb\+srv):\/\//, 'must be a postgres:// or mongodb:// connection string').optional(),
  /** Connections per process to PostgreSQL (shared by the event store and the view store). */
  BAZAAR_PG_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  /** The PostgreSQL schema Bazaar's tables live in. */
  BAZAAR_PG_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('public'),
  ELASTICSEARCH_URL: optionalUrl,
  /** Elasticsearch security (on by default in 8 and 9): an API key (the base64 `encoded` value), and the cluster's CA as a PEM file or its SHA-256 fingerprint. */
  ELASTICSEARCH_API_KEY: z.string().min(1).optional(),
  ELASTICSEARCH_CA_FILE: z.string().min(1).optional(),
  ELASTICSEARCH_CA_FINGERPRINT: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)')
    .optional(),
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// connection string').optional(),
  /** Prepended to every Redis key (deployments or test runs sharing one Redis), e.g. `bazaar:`. */
  REDIS_KEY_PREFIX: z.string().max(64).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
  /** Redis Cluster instead of REDIS_URL: a comma list of seed nodes, redis://host:port (or rediss://; the first URL's credentials and TLS apply to all). */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*rediss?:\/\/[^\s,]+(\s*,\s*rediss?:\/\/[^\s,]+)*\s*$/, 'must be a comma list of redis:// URLs, e.g. redis://10.0.0.1:6379,redis://10.0.0.2:6379')
    .optional(),
  /** Payments (docs/payments.md): sandbox callback signing key (else generated in the data dir), its delivery delay and extra duplicate deliveries. */
  BAZAAR_SANDBOX_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  BAZAAR_SANDBOX_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  BAZAAR_SANDBOX_DUPLICATES: z.coerce.number().int().min(0).max(10).default(0),
  /** Platform commission on each paid order, in basis points of its total (docs/ledger.md). */
  BAZAAR_COMMISSION_BPS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** Coins per CNY 1.00 (100 = one coin is worth one fen) and the largest share of a payable coins may pay. */
  BAZAAR_COINS_PER_CNY: z.coerce.number().int().min(1).max(100_000).default(100),
  BAZAAR_COINS_MAX_SHARE_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
  /** A payment pending longer than this is settled by asking the provider (查询补单). */
  BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS: z.coerce.number().int().positive().default(60),
  /** Fulfilment (docs/fulfillment-and-refunds.md): a delivered order completes by itself after this many days; completion earns coins worth this share (basis points) of what was paid. */
  BAZAAR_AUTO_COMPLETE_DAYS: z.coerce.number().min(0).max(365).default(7),
  BAZAAR_COINS_EARN_BPS: z.coerce.number().int().min(0).max(10_000).default(100),
  /** Dev routes (/api/v1/dev/*) outside production: `loopback` clients only, `on` for every client, `off` not served. */
  BAZAAR_DEV_ROUTES: z.enum(['loopback', 'on', 'off']).default('loopback'),
  /** Browser origins allowed by CORS: `*`, `none`, or a comma list of origins (default `*` outside production, none in production). */
  BAZAAR_CORS_ORIGINS: z
    .string()
    .regex(/^\s*(\*|none|https?:\/\/[^\s,/]+\/?(\s*,\s*https?:\/\/[^\s,/]+\/?)*)\s*$/, 'must be *, none, or a comma list of origins such as https://shop.example.com,http://localhost:5173')
    .optional(),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** The dev outbox and the sandboxes' manual controls are on outside production (unless BAZAAR_DEV_ROUTES=off). */
  devOutbox: boolean;
};

export class ConfigError extends Error {}

/** Reads the configuration from the environment (and ./.env if present); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { readDotEnv = true } = {}): Config {
  if (readDotEnv && env === process.env && existsSync('.env')) process.loadEnvFile('.env');
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}=${JSON.stringify(present[String(issue.path[0])] ?? '')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.REDIS_URL && parsed.data.REDIS_CLUSTER_NODES) {
    throw new ConfigError('invalid configuration:\n  REDIS_CLUSTER_NODES: set REDIS_URL (one server) or REDIS_CLUSTER_NODES (Redis Cluster), not both');
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.BAZAAR_DEV_ROUTES === 'on') {
    throw new ConfigError('invalid configuration:\n  BAZAAR_DEV_ROUTES="on": dev routes are never served in production (NODE_ENV=production)');
  }
  return { ...parsed.data, devOutbox: parsed.data.NODE_ENV !== 'production' && parsed.data.BAZAAR_DEV_ROUTES !== 'off' };
}

/** Where events and views live (EVENTSTORE_URL / VIEWSTORE_URL, then MONGODB_URL, then DATABASE_URL); null is the embedded SQLite file. */
export function engineUrls(config: Pick<Config, 'DATABASE_URL' | 'EVENTSTORE_URL' | 'VIEWSTORE_URL' | 'MONGODB_URL'>): { events: string | null; views: string | null } {
  return { events: config.EVENTSTORE_URL ?? config.DATABASE_URL ?? null, views: config.VIEWSTORE_URL ?? config.MONGODB_URL ?? config.DATABASE_URL ?? null };
}

export const isPostgresUrl = (url: string | null): url is string => url !== null && POSTGRES_URL.test(url);
