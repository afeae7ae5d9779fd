import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { ConfigError, engineUrls, isPostgresUrl, type Config } from './config.js';
import type pg from 'pg';
import { createPostgresPool } from './adapters/postgres/pool.js';
import { postgresEventStore } from './adapters/eventstore/postgres.js';
import { postgresViewStore } from './adapters/viewstore/postgres.js';
import { DomainError } from './kernel/errors.js';
import type { Deps } from './deps.js';
import { createLogger } from './logger.js';
import { systemClock } from './kernel/clock.js';
import { ProjectionRunner } from './kernel/projection-runner.js';
import { viewProjectionTarget } from './kernel/view-projection.js';
import type { EventStore } from './ports/event-store.js';
import type { KeyValue } from './ports/key-value.js';
import type { ViewStore } from './ports/view-store.js';
import { MongoClient } from 'mongodb';
import type { SearchIndex } from './ports/search-index.js';
import { sqliteSearchIndex } from './adapters/search/sqlite.js';
import { elasticsearchClient, elasticsearchSearchIndex } from './adapters/search/elasticsearch.js';
import { sqliteEventStore } from './adapters/eventstore/sqlite.js';
import { esdbEventStore, eventStoreDbClient } from './adapters/eventstore/esdb.js';
import { mongoViewStore } from './adapters/viewstore/mongo.js';
import { redisConnection, redisKeyValue } from './adapters/keyvalue/redis.js';
import { sqliteViewStore } from './adapters/viewstore/sqlite.js';
import { devOutbox } from './adapters/outbox/dev.js';
import { logOnlyOutbox } from './adapters/outbox/log-only.js';
import { createHandlers } from './commands/handlers.js';
import { jwtTokenService } from './commands/users/tokens.js';
import { ensureAdmin } from './commands/users/accounts.js';
import { usersProjection } from './projections/users/users.js';
import { catalogProjection } from './projections/catalog/catalog.js';
import { jobsProjection } from './projections/catalog/jobs.js';
import { searchProjectionTarget } from './projections/search/search.js';
import { searchState } from './projections/search/state.js';
import { PERSONALIZATION_COLLECTIONS, personalizationProjectionTarget } from './projections/personalization/affinity.js';
import { homePageProjection } from './projections/catalog/home.js';
import { ordersProjection } from './projections/orders/orders.js';
import { refundsProjection } from './projections/orders/refunds.js';
import { ledgerAccountsProjection } from './projections/finance/ledger-accounts.js';
import { ledgerEntriesProjection } from './projections/finance/ledger-entries.js';
import { flashSalesProjection } from './projections/flash-sales/flash-sales.js';
import { rebuildGates } from './commands/flash-sales/flash-sales.js';
import { sandboxPaymentProvider, sandboxSecretFromDataDir } from './adapters/payments/sandbox.js';
import { receiveCallback } from './commands/payments/callbacks.js';
import { paymentReactorTargets } from './commands/payments/reactors.js';
import { sandboxFulfillmentProvider } from './adapters/fulfillment/sandbox.js';
import { receiveFulfillmentCallback } from './commands/fulfillment/shipments.js';
import { fulfillmentReactorTargets } from './commands/fulfillment/reactors.js';
import { paymentsProjection } from './projections/payments/payments.js';
import { walletEntriesProjection } from './projections/wallet/wallet.js';
import { shippingTemplatesProjection } from './projections/shipping/templates.js';
import { jobWorker } from './commands/catalog/bulk/worker.js';
import { createApp } from './http/app.js';
import { createMetrics } from './http/metrics.js';
import { sqliteKeyValue } from './adapters/keyvalue/sqlite.js';
import { startWalCheckpointer } from './adapters/sqlite/wal-checkpointer.js';
import { embeddedKeyValueFile, instrument, roleDuties, startRole } from './runtime/roles.js';
import { startProjectorThread } from './runtime/projector-thread.js';
import { createOpsApp } from './runtime/ops-app.js';
import { profileOnSignal } from './runtime/cpu-profile.js';
import { DRAIN_GRACE_MS, drainHttp } from './runtime/shutdown.js';

/** Every projection of the product; each runs from its own checkpoint. */
export const viewProjections = [usersProjection, catalogProjection, jobsProjection, homePageProjection, ordersProjection, refundsProjection, flashSalesProjection, ledgerAccountsProjection, ledgerEntriesProjection, paymentsProjection, walletEntriesProjection, shippingTemplatesProjection];

export interface Runtime {
  deps: Deps;
  close(): Promise<void>;
}

/** What a runtime built for a projector thread takes from its parent instead of opening it. */
export interface RuntimeOverrides {
  /** The parent runs the WAL checkpointer of the embedded files. */
  walCheckpointer?: boolean;
}

/** The composition root: the only place that chooses adapters (embedded default, or production engines by URL). */
export async function buildRuntime(config: Config, logger: Logger = createLogger(config.LOG_LEVEL), overrides: RuntimeOverrides = {}): Promise<Runtime> {
  mkdirSync(config.BAZAAR_DATA_DIR, { recursive: true });
  const closers: Array<() => Promise<void>> = [];

  // One pool per PostgreSQL URL, shared by the stores on it; ended after them.
  const pools = new Map<string, pg.Pool>();
  const poolFor = (url: string) => pools.get(url) ?? pools.set(url, createPostgresPool(url, config.BAZAAR_PG_POOL_SIZE)).get(url)!;
  closers.push(async () => void (await Promise.all([...pools.values()].map((pool) => pool.end()))));
  const store = await eventStoreFor(config, logger, poolFor);
  const views = await viewStoreFor(config, logger, poolFor);
  const kv = await keyValueFor(config, logger);
  closers.push(() => kv.close(), () => views.close(), () => store.close());
  const searchIndex = await searchIndexFor(config, logger);
  closers.push(() => searchIndex.close());
  const embeddedFiles = [
    ...(engineUrls(config).events ? [] : ['events.db']),
    ...(engineUrls(config).views ? [] : ['views.db']),
    ...(config.ELASTICSEARCH_URL ? [] : ['search.db']),
    ...(config.REDIS_URL || config.REDIS_CLUSTER_NODES ? [] : ['kv.db']),
  ].map((name) => join(config.BAZAAR_DATA_DIR, name));
  if (embeddedFiles.length > 0 && overrides.walCheckpointer !== false) {
    const checkpointer = startWalCheckpointer(embeddedFiles);
    closers.push(() => checkpointer.stop());
  }

  const readableOutbox = config.devOutbox ? devOutbox(logger) : null;
  // The sandbox acquirer and carrier keep their books in the data dir (sandbox.db): reconciliation,
  // redelivery and carrier reports work after a restart and from another process.
  const sandboxDb = new Database(join(config.BAZAAR_DATA_DIR, 'sandbox.db'));
  closers.push(async () => void sandboxDb.close());
  // Payments: the sandbox acquirer; its signed callbacks go in-process to the callback handler (wired below).
  const sandbox = sandboxPaymentProvider({
    db: sandboxDb,
    secret: config.BAZAAR_SANDBOX_SECRET ?? sandboxSecretFromDataDir(config.BAZAAR_DATA_DIR),
    delayMs: config.BAZAAR_SANDBOX_DELAY_MS,
    duplicates: config.BAZAAR_SANDBOX_DUPLICATES,
    onDeliveryError: (error) => logger.warn({ err: error }, 'sandbox callback refused'),
  });
  // Fulfilment: the sandbox carrier; its signed callbacks go in-process to the fulfilment callback handler (wired below).
  const carrier = sandboxFulfillmentProvider({
    db: sandboxDb,
    secret: config.BAZAAR_SANDBOX_SECRET ?? sandboxSecretFromDataDir(config.BAZAAR_DATA_DIR),
    duplicates: config.BAZAAR_SANDBOX_DUPLICATES,
    onDeliveryError: (error) => logger.warn({ err: error }, 'sandbox carrier callback refused'),
  });
  let depsRef: Deps | null = null;
  const projections = new ProjectionRunner(
    store,
    [...viewProjections.map((projection) => viewProjectionTarget(projection, views)), searchProjectionTarget({ views, index: searchIndex, kv }), personalizationProjectionTarget(views), ...paymentReactorTargets(() => depsRef!, views), ...fulfillmentReactorTargets(() => depsRef!, views)],
    { onError: (name, error) => logger.error({ err: error, projection: name }, 'projection failed; retrying') },
  );

  const deps: Deps = {
    config,
    store,
    views,
    kv,
    searchIndex,
    outbox: readableOutbox ?? logOnlyOutbox(logger),
    devOutbox: readableOutbox,
    clock: systemClock,
    projections,
    tokens: jwtTokenService(config.JWT_SECRET ?? jwtSecretFromDataDir(config.BAZAAR_DATA_DIR)),
    handlers: createHandlers(store),
    paymentProvider: sandbox,
    fulfillmentProvider: carrier,
    logger,
  };
  depsRef = deps;
  sandbox.connect((rawBody, signature) => receiveCallback(deps, sandbox.name, rawBody, signature, { correlationId: 'sandbox-callback' }));
  carrier.connect((rawBody, signature) => receiveFulfillmentCallback(deps, carrier.name, rawBody, signature, { correlationId: 'sandbox-carrier-callback' }));

  return {
    deps,
    async close() {
      await sandbox.idle();
      await jobWorker(deps).stop();
      await projections.stop();
      for (const close of closers.reverse()) await close();
    },
  };
}

type PoolFor = (url: string) => pg.Pool;

async function eventStoreFor(config: Config, logger: Logger, poolFor: PoolFor): Promise<EventStore> {
  const url = engineUrls(config).events;
  if (isPostgresUrl(url)) {
    logger.info({ engine: 'postgresql', schema: config.BAZAAR_PG_SCHEMA }, 'event store');
    return postgresEventStore(poolFor(url), { schema: config.BAZAAR_PG_SCHEMA });
  }
  if (url) {
    logger.info({ engine: 'eventstoredb' }, 'event store');
    return esdbEventStore(eventStoreDbClient(url));
  }
  const file = join(config.BAZAAR_DATA_DIR, 'events.db');
  logger.info({ engine: 'sqlite', file }, 'event store');
  const db = new Database(file);
  db.pragma(`synchronous = ${config.BAZAAR_SQLITE_SYNC}`);
  tuneSqliteCache(db);
  return sqliteEventStore(db);
}

async function viewStoreFor(config: Config, logger: Logger, poolFor: PoolFor): Promise<ViewStore> {
  const url = engineUrls(config).views;
  if (isPostgresUrl(url)) {
    logger.info({ engine: 'postgresql', schema: config.BAZAAR_PG_SCHEMA }, 'view store');
    return postgresViewStore(poolFor(url), { schema: config.BAZAAR_PG_SCHEMA });
  }
  if (url) {
    logger.info({ engine: 'mongodb' }, 'view store');
    const client = await new MongoClient(url).connect();
    // Every view collection exists before the first transactions (searchState's are the search projection's).
    return mongoViewStore(client.db(), { collections: [...new Set([...[...viewProjections, searchState].flatMap((projection) => projection.collections), ...PERSONALIZATION_COLLECTIONS])] });
  }
  const file = join(config.BAZAAR_DATA_DIR, 'views.db');
  logger.info({ engine: 'sqlite', file }, 'view store');
  const db = new Database(file);
  db.pragma('synchronous = normal');
  tuneSqliteCache(db);
  return sqliteViewStore(db);
}

/**
 * SQLite's default page cache is 2 MiB: past that, every index seek of a busy store reads its pages again
 * from the OS. 64 MiB of cache and a memory-mapped file keep the hot pages of the event and view stores
 * in memory (mmap shares the OS page cache instead of copying it).
 */
function tuneSqliteCache(db: Database.Database): void {
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 1073741824');
  // Checkpoints run in a worker (startWalCheckpointer); this threshold (80 MiB of WAL) is only the fallback.
  db.pragma('wal_autocheckpoint = 20000');
}

async function searchIndexFor(config: Config, logger: Logger): Promise<SearchIndex> {
  if (config.ELASTICSEARCH_URL) {
    logger.info({ engine: 'elasticsearch' }, 'search index');
    return elasticsearchSearchIndex(
      await elasticsearchClient({
        url: config.ELASTICSEARCH_URL,
        apiKey: config.ELASTICSEARCH_API_KEY,
        caFile: config.ELASTICSEARCH_CA_FILE,
        caFingerprint: config.ELASTICSEARCH_CA_FINGERPRINT,
      }),
    );
  }
  const file = join(config.BAZAAR_DATA_DIR, 'search.db');
  logger.info({ engine: 'sqlite', file }, 'search index');
  const db = new Database(file);
  db.pragma('synchronous = normal');
  return sqliteSearchIndex(db);
}

async function keyValueFor(config: Config, logger: Logger): Promise<KeyValue> {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) {
    logger.info({ engine: config.REDIS_CLUSTER_NODES ? 'redis-cluster' : 'redis' }, 'key-value');
    const redis = redisConnection({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES }, config.REDIS_KEY_PREFIX ? { keyPrefix: config.REDIS_KEY_PREFIX } : {});
    // ioredis reconnects by itself; without a listener it prints every failed attempt as unhandled.
    redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
    return redisKeyValue(redis);
  }
  // Codes, carts, idempotency records, rate-limit windows and gates survive a restart in the data dir; the
  // roles and threads of one machine share them through this file. (In-memory KeyValue is for unit tests.)
  const file = embeddedKeyValueFile(config);
  logger.info({ engine: 'sqlite', file }, 'key-value');
  const db = new Database(file);
  // The WAL checkpointer copies its WAL back (as for the other embedded files); this threshold is the fallback.
  db.pragma('wal_autocheckpoint = 20000');
  return sqliteKeyValue(db);
}

/** Without JWT_SECRET, a random secret is generated once and kept in the data directory. */
function jwtSecretFromDataDir(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * How long an idle keep-alive connection stays open. Node's 5 s default is shorter than the idle timeout of
 * the load balancers and connection pools in front of a service (60 s is common): they reuse a connection
 * the server is closing at that moment (a failed request), and whoever keeps a pool reopens its idle
 * connections every few seconds. A server's keep-alive must outlast its clients'.
 */
const KEEP_ALIVE_MS = 65_000;

export interface RunningServer {
  runtime: Runtime;
  server: ServerType;
  port: number;
  close(): Promise<void>;
}

/** Starts projections, creates the bootstrap admin if asked, and serves HTTP. */
export async function startServer(config: Config): Promise<RunningServer> {
  const runtime = await buildRuntime(config);
  const { deps } = runtime;
  // The role (docs/operations.md): projections, reactors and sweepers each run under a lease, in one process at a time.
  const duties = roleDuties(config.BAZAAR_ROLE);
  const metrics = createMetrics();
  instrument(deps, metrics);
  const projectorThread = config.BAZAAR_ROLE === 'all' && config.BAZAAR_PROJECTOR_THREAD === 'on' ? await startProjectorThread(deps) : null;
  const role = await startRole(deps, config.BAZAAR_ROLE, { metrics, projectionsElsewhere: projectorThread !== null });
  if (config.BAZAAR_BOOTSTRAP_ADMIN && duties.api) {
    const separator = config.BAZAAR_BOOTSTRAP_ADMIN.indexOf(':');
    const email = config.BAZAAR_BOOTSTRAP_ADMIN.slice(0, separator);
    const password = config.BAZAAR_BOOTSTRAP_ADMIN.slice(separator + 1);
    const admin = await ensureAdmin(deps, { email, password }, { actor: { id: 'system', role: 'system' }, correlationId: 'bootstrap-admin' }).catch(async (error: unknown) => {
      await role.stop();
      await projectorThread?.stop();
      await runtime.close();
      throw error instanceof DomainError ? new ConfigError(`BAZAAR_BOOTSTRAP_ADMIN: ${error.message}`) : error;
    });
    deps.logger.info({ email, userId: admin.userId, created: admin.created }, 'bootstrap admin');
  }
  // Flash-sale gates live in KeyValue (kv.db by default): rebuild the missing ones from the events.
  // Interrupted bulk jobs are resumed, and unpaid orders expired (payment time-out) and stuck payments
  // settled (查询补单), by the process holding the sweepers' lease (role all or reactors).
  const gates = duties.api ? await rebuildGates(deps) : 0;
  if (gates > 0) deps.logger.info({ gates }, 'flash-sale gates ready');
  const stopProfiling = config.BAZAAR_CPU_PROFILE_DIR ? profileOnSignal(config.BAZAAR_CPU_PROFILE_DIR, config.BAZAAR_ROLE, deps.logger) : () => {};
  const app = duties.api ? createApp(deps, metrics) : createOpsApp(deps, metrics, config.BAZAAR_ROLE);
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, serverOptions: { keepAliveTimeout: KEEP_ALIVE_MS, headersTimeout: KEEP_ALIVE_MS + 1000 } }, () => resolve(started));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  deps.logger.info({ port, role: config.BAZAAR_ROLE, ...(duties.api ? { docs: `http://localhost:${port}/docs`, console: `http://localhost:${port}/admin` } : {}) }, 'Bazaar is serving');
  if (duties.api && deps.devOutbox) {
    const open = config.BAZAAR_DEV_ROUTES === 'on';
    deps.logger.warn({ devRoutes: config.BAZAAR_DEV_ROUTES }, `dev routes (/api/v1/dev/*: SMS codes, sandbox triggers) are on for ${open ? 'EVERY client' : 'loopback clients'}; NODE_ENV=production or BAZAAR_DEV_ROUTES=off turns them off`);
  }
  return {
    runtime,
    server,
    port,
    async close() {
      stopProfiling();
      await drainHttp(server, DRAIN_GRACE_MS);
      await role.stop();
      await projectorThread?.stop();
      await runtime.close();
    },
  };
}
