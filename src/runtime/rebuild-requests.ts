import type { Deps } from '../deps.js';
import { every, type Periodic } from '../kernel/periodic.js';
import { parseRebuildRecord, REBUILD_RECORD_TTL_MS, rebuildRequestKey, type RebuildRecord } from '../kernel/rebuild-requests.js';
import type { LeaseKeeper } from './lease.js';

/**
 * Runs the projection rebuilds asked for over the API (src/kernel/rebuild-requests.ts) for the projections
 * whose lease this process holds: a projector, an `all` process, or an `all` process's projector thread.
 * Every `intervalMs` it looks at the requests of its projections, takes a waiting one (compare-and-set, so
 * two processes never both take it), runs the blue-green rebuild and writes its progress and outcome into
 * the request. Losing the lease mid-rebuild does not stop it: the blue-green switch is atomic against the
 * live writer (ViewRebuild.switch), as with `bazaar projections rebuild` run beside a serving process.
 */
export function runRebuildRequests(deps: Pick<Deps, 'kv' | 'projections' | 'logger' | 'clock'>, keeper: Pick<LeaseKeeper, 'owns'>, owner: string, names: string[], intervalMs = 1000): Periodic {
  const running = new Set<string>();
  const write = async (name: string, expected: string, record: RebuildRecord) => {
    const text = JSON.stringify(record);
    return (await deps.kv.compareAndSet(rebuildRequestKey(name), expected, text, { ttlMs: REBUILD_RECORD_TTL_MS })) ? text : null;
  };
  return every(
    intervalMs,
    async () => {
      for (const name of names) {
        if (running.has(name) || !keeper.owns(name)) continue;
        const text = await deps.kv.get(rebuildRequestKey(name));
        const request = parseRebuildRecord(text);
        if (!text || request?.state !== 'requested') continue;
        let last = await write(name, text, { ...request, state: 'running', owner, startedAt: deps.clock.now().toISOString() });
        if (!last) continue; // another process took it, or it was asked for again
        running.add(name);
        deps.logger.info({ projection: name, requestedBy: request.requestedBy }, 'rebuilding a projection (asked for over the API)');
        const progress = setInterval(() => {
          void (async () => {
            const status = (await deps.projections.status()).find((s) => s.name === name);
            if (!status?.rebuild || !last) return;
            const record = parseRebuildRecord(last)!;
            last = (await write(name, last, { ...record, checkpoint: status.rebuild.checkpoint, lag: status.rebuild.lag })) ?? last;
          })().catch(() => undefined);
        }, intervalMs);
        progress.unref();
        deps.projections
          .rebuild(name)
          .then(
            async () => {
              const status = (await deps.projections.status()).find((s) => s.name === name);
              return { state: 'done' as const, checkpoint: status?.checkpoint ?? 0, lag: 0 };
            },
            (error: unknown) => {
              deps.logger.error({ err: error, projection: name }, 'rebuild failed');
              return { state: 'failed' as const, error: error instanceof Error ? error.message : String(error) };
            },
          )
          .then(async (outcome) => {
            clearInterval(progress);
            const current = await deps.kv.get(rebuildRequestKey(name));
            const record = parseRebuildRecord(current);
            if (current && record?.owner === owner && record.state === 'running') await write(name, current, { ...record, ...outcome, finishedAt: deps.clock.now().toISOString() });
          })
          .catch((error: unknown) => deps.logger.error({ err: error, projection: name }, 'could not record the rebuild outcome'))
          .finally(() => running.delete(name));
      }
    },
    { logger: deps.logger, failure: 'could not read the rebuild requests' },
  );
}
