import { existsSync } from 'node:fs';
import { z } from 'zod';

const optionalUrl = z.string().url().optional();

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
  EVENTSTORE_URL: z.string().regex(/^(esdb|kurrentdb|kdb|esdb\+discover|kurrentdb\+discover):\/\//, 'must be an esdb:// or kurrentdb:// connection string').optional(),
  ELASTICSEARCH_URL: optionalUrl,
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// connection string').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').optional(),
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
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** The dev outbox and the sandboxes' manual controls are on outside production. */
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
  return { ...parsed.data, devOutbox: parsed.data.NODE_ENV !== 'production' };
}
