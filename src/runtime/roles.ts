import { join } from 'node:path';
import type { Logger } from 'pino';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import type { KeyValue } from '../ports/key-value.js';
import { CommandHandler } from '../kernel/command-handler.js';
import type { ProjectionRunner } from '../kernel/projection-runner.js';
import { every, type Periodic } from '../kernel/periodic.js';
import { sqliteKeyValue } from '../adapters/keyvalue/sqlite.js';
import { observeGate } from '../commands/flash-sales/gate.js';
import { startExpirySweeper } from '../commands/orders/expire-unpaid-orders.js';
import { startPaymentSweeper } from '../commands/payments/reactors.js';
import { startRefundSweeper } from '../commands/refunds/sweeper.js';
import { resumeInterruptedJobs } from '../commands/catalog/bulk/worker.js';
import type { Metrics } from '../http/metrics.js';
import { hostname } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { LeaseKeeper, leaseOwnerKey, Leases, SWEEPERS_LEASE, type LeaseOwnerInfo, type OwnedTask } from './lease.js';
import { startAutoCompleteSweeper } from '../commands/fulfillment/reactors.js';
import { startGateRepairer } from '../commands/flash-sales/flash-sales.js';
import { runRebuildRequests } from './rebuild-requests.js';

export type Role = Config['BAZAAR_ROLE'];
export const ROLES: readonly Role[] = ['api', 'projector', 'reactors', 'all'];

export { SWEEPERS_LEASE } from './lease.js';

/** What a role does: serve /api, run the projections (read models), run the reactors and sweepers. */
export function roleDuties(role: Role): { api: boolean; projections: boolean; reactors: boolean } {
  return { api: role === 'api' || role === 'all', projections: role === 'projector' || role === 'all', reactors: role === 'reactors' || role === 'all' };
}

/** The shared SQLite key-value file of the embedded default (several processes on one machine). */
export function embeddedKeyValueFile(config: Pick<Config, 'BAZAAR_DATA_DIR'>): string {
  return join(config.BAZAAR_DATA_DIR, 'kv.db');
}

/**
 * Follows the stored checkpoints of the projections this process does not run (another process owns
 * them), so `waitFor` / X-Min-Position, /readyz and /metrics work in every role. Polls fast while someone
 * waits, slowly otherwise.
 */
export function followCheckpoints(runner: ProjectionRunner, logger: Logger, options: { fastMs?: number; slowMs?: number } = {}): Periodic {
  const slowMs = options.slowMs ?? 500;
  let last = 0;
  return every(
    options.fastMs ?? 20,
    async () => {
      if (!runner.waiting && Date.now() - last < slowMs) return;
      last = Date.now();
      await runner.refresh();
    },
    { logger, failure: 'could not read the stored checkpoints' },
  );
}

/** Counts command retries and give-ups and the flash-sale gate's decisions into the metrics. */
export function instrument(deps: Deps, metrics: Metrics): void {
  const aggregate = (streamId: string) => streamId.split('-', 1)[0] ?? 'unknown';
  for (const handler of Object.values(deps.handlers)) {
    if (!(handler instanceof CommandHandler)) continue;
    handler.observe({
      onRetry: (streamId) => metrics.commandRetries.inc({ aggregate: aggregate(streamId) }),
      onConflict: (streamId) => metrics.commandConflictsExhausted.inc({ aggregate: aggregate(streamId) }),
    });
  }
  observeGate(deps, {
    admitted: (_sale, units) => {
      metrics.flashSaleGate.inc({ outcome: 'admitted' });
      metrics.flashSaleGateUnits.inc({ outcome: 'admitted' }, units);
    },
    refused: (_sale, units) => {
      metrics.flashSaleGate.inc({ outcome: 'refused' });
      metrics.flashSaleGateUnits.inc({ outcome: 'refused' }, units);
    },
  });
}

export interface RunningRole {
  role: Role;
  keeper: LeaseKeeper;
  leases: Leases;
  stop(): Promise<void>;
}

/**
 * Starts what the role runs: each projection (role projector or all), each reactor and the sweepers
 * (role reactors or all) under its own lease, so one process at a time runs it and another of the same
 * role waits as a hot standby; plus the checkpoint follower every role needs. Resolves once the first
 * round of leases is taken (a lone `all` process runs everything from then on).
 */
export async function startRole(deps: Deps, role: Role, options: { metrics?: Metrics; leaseTtlMs?: number; projectionsElsewhere?: boolean } = {}): Promise<RunningRole> {
  const { config, logger, projections } = deps;
  // A projector thread of this process runs the projections (src/runtime/projector-thread.ts).
  const duties = { ...roleDuties(role), ...(options.projectionsElsewhere ? { projections: false } : {}) };
  // Leases must be seen by every process: Redis when configured, else the shared SQLite file on this machine.
  let leaseKv: KeyValue = deps.kv;
  let ownLeaseKv: KeyValue | null = null;
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) leaseKv = ownLeaseKv = sqliteKeyValue(new Database(embeddedKeyValueFile(config)));
  const leases = new Leases(leaseKv, options.leaseTtlMs ?? config.BAZAAR_LEASE_TTL_MS);

  const statuses = await projections.status();
  const tasks: OwnedTask[] = [];
  for (const status of statuses) {
    const wanted = status.kind === 'reactor' ? duties.reactors : duties.projections;
    if (wanted) tasks.push({ name: status.name, start: () => projections.run(status.name), stop: () => projections.release(status.name) });
  }
  if (duties.reactors) {
    let sweepers: Array<{ stop(): Promise<void> }> = [];
    tasks.push({
      name: SWEEPERS_LEASE,
      async start() {
        sweepers = [startExpirySweeper(deps), startPaymentSweeper(deps), startRefundSweeper(deps), startAutoCompleteSweeper(deps), startGateRepairer(deps)];
        resumeInterruptedJobs(deps)
          .then((resumed) => resumed > 0 && logger.info({ jobs: resumed }, 'resuming interrupted bulk jobs'))
          .catch((error: unknown) => logger.error({ err: error }, 'could not resume bulk jobs'));
      },
      async stop() {
        await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
        sweepers = [];
      },
    });
  }
  const metrics = options.metrics;
  for (const task of tasks) metrics?.leaseOwned.set({ lease: task.name }, 0);
  const keeper = new LeaseKeeper(leases, tasks, { logger, onChange: (name, owned) => metrics?.leaseOwned.set({ lease: name }, owned ? 1 : 0) });
  const follower = followCheckpoints(projections, logger);
  // Says who this lease owner is (GET /api/v1/admin/projections shows each lease's role), while it lives.
  const ownerInfo: LeaseOwnerInfo = { owner: leases.owner, role, thread: !isMainThread, host: hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const announce = () => leaseKv.set(leaseOwnerKey(leases.owner), JSON.stringify(ownerInfo), { ttlMs: leases.ttlMs * 3 });
  await announce().catch((error: unknown) => logger.warn({ err: error }, 'could not record the lease owner'));
  const announcer = every(leases.ttlMs, announce, { logger, failure: 'could not record the lease owner' });
  await keeper.start();
  // Rebuilds asked for over the API run where the projection runs (src/kernel/rebuild-requests.ts).
  const projectionNames = statuses.filter((status) => status.kind === 'projection').map((status) => status.name);
  const rebuilds = duties.projections ? runRebuildRequests(deps, keeper, leases.owner, projectionNames) : null;
  logger.info({ role, owner: leases.owner, running: keeper.owned, standby: tasks.filter((task) => !keeper.owns(task.name)).map((task) => task.name) }, 'role started');
  return {
    role,
    keeper,
    leases,
    async stop() {
      await announcer.stop();
      await leaseKv.del(leaseOwnerKey(leases.owner)).catch(() => undefined);
      await rebuilds?.stop();
      await follower.stop();
      await keeper.stop();
      await ownLeaseKv?.close();
    },
  };
}
