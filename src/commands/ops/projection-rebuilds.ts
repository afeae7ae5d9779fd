import type { Deps } from '../../deps.js';
import { ConflictError, NotFoundError } from '../../kernel/errors.js';
import { parseRebuildRecord, REBUILD_RECORD_TTL_MS, rebuildRequestKey, type RebuildRecord } from '../../kernel/rebuild-requests.js';
import { leaseKey } from '../../runtime/lease.js';

/**
 * Asks for a rebuild of a projection (admin): recorded in KeyValue for the process holding the
 * projection's lease, which starts it within a second (src/runtime/rebuild-requests.ts). Reactors are not
 * rebuilt (a replay would repeat their side effects). A request while another is waiting or running is
 * 409 REBUILD_IN_PROGRESS, unless the process running it no longer holds the lease (it died: the rebuild
 * never switched in, and may be asked for again).
 */
export async function requestRebuild(deps: Pick<Deps, 'projections' | 'kv' | 'clock'>, projection: string, requestedBy: string): Promise<RebuildRecord> {
  const status = (await deps.projections.status()).find((s) => s.name === projection);
  if (!status || status.kind !== 'projection') throw new NotFoundError('projection');
  const key = rebuildRequestKey(projection);
  const currentText = await deps.kv.get(key);
  const current = parseRebuildRecord(currentText);
  if (current && (current.state === 'requested' || current.state === 'running')) {
    const holder = await deps.kv.get(leaseKey(projection));
    const abandoned = current.state === 'running' && current.owner !== undefined && holder !== current.owner;
    if (!abandoned) throw new ConflictError('REBUILD_IN_PROGRESS', `a rebuild of ${projection} is ${current.state === 'running' ? 'running' : 'waiting for the process that runs the projection'}`, { rebuild: current });
  }
  const record: RebuildRecord = { projection, state: 'requested', requestedAt: deps.clock.now().toISOString(), requestedBy };
  if (!(await deps.kv.compareAndSet(key, currentText, JSON.stringify(record), { ttlMs: REBUILD_RECORD_TTL_MS }))) {
    throw new ConflictError('REBUILD_IN_PROGRESS', `a rebuild of ${projection} was asked for at the same moment`);
  }
  return record;
}
