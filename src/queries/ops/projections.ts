import type { Deps } from '../../deps.js';
import type { ProjectionStatus } from '../../kernel/projection-runner.js';
import { parseRebuildRecord, rebuildRequestKey, type RebuildRecord } from '../../kernel/rebuild-requests.js';
import { leaseKey, leaseOwnerKey, SWEEPERS_LEASE, type LeaseOwnerInfo } from '../../runtime/lease.js';

export interface ProjectionOverview extends ProjectionStatus {
  /** The process (`host:pid:random`) holding the lease that runs it; null: none holds it now. */
  leaseOwner: string | null;
  /** The last rebuild asked for over the API (kept 7 days), or null. */
  lastRebuild: RebuildRecord | null;
}

/** Every projection and reactor with its checkpoint and lag (this process's view), its lease owner and its last API rebuild; every lease (the sweepers' too); and who each owner is (role, thread, host, pid). */
export async function projectionsOverview(
  deps: Pick<Deps, 'projections' | 'kv'>,
): Promise<{ projections: ProjectionOverview[]; leases: Array<{ name: string; owner: string | null }>; owners: LeaseOwnerInfo[] }> {
  const statuses = await deps.projections.status();
  const projections = await Promise.all(
    statuses.map(async (status) => ({
      ...status,
      leaseOwner: await deps.kv.get(leaseKey(status.name)),
      lastRebuild: status.kind === 'projection' ? parseRebuildRecord(await deps.kv.get(rebuildRequestKey(status.name))) : null,
    })),
  );
  const leases = [...projections.map((p) => ({ name: p.name, owner: p.leaseOwner })), { name: SWEEPERS_LEASE, owner: await deps.kv.get(leaseKey(SWEEPERS_LEASE)) }];
  const ownerIds = [...new Set(leases.map((lease) => lease.owner).filter((owner): owner is string => owner !== null))].sort();
  const owners: LeaseOwnerInfo[] = [];
  for (const owner of ownerIds) {
    const text = await deps.kv.get(leaseOwnerKey(owner));
    try {
      owners.push(text ? (JSON.parse(text) as LeaseOwnerInfo) : { owner, role: 'unknown', thread: false, host: owner.split(':')[0] ?? '', pid: Number(owner.split(':')[1] ?? 0), startedAt: '' });
    } catch {
      // a record this version cannot read: leave the owner out
    }
  }
  return { projections, leases, owners };
}
