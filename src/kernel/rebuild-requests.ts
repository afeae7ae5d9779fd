/**
 * Projection rebuilds asked for over the API (POST /api/v1/admin/projections/{name}/rebuild): the API
 * process writes a request into KeyValue and the process holding the projection's lease runs it
 * (src/runtime/rebuild-requests.ts), reporting its progress in the same record. An `api` process never
 * rebuilds: it does not run the projection, and a second writer beside the lease holder is what the
 * leases exist to prevent.
 */
export const rebuildRequestKey = (projection: string) => `projection-rebuild:${projection}`;

/** Kept this long after it finished, so the console can show how the last rebuild went. */
export const REBUILD_RECORD_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface RebuildRecord {
  projection: string;
  state: 'requested' | 'running' | 'done' | 'failed';
  requestedAt: string;
  requestedBy: string;
  /** The lease owner running it (`host:pid:random`). */
  owner?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The new read model's checkpoint and lag while it runs; the live checkpoint once done. */
  checkpoint?: number;
  lag?: number;
  error?: string;
}

export function parseRebuildRecord(text: string | null): RebuildRecord | null {
  if (!text) return null;
  try {
    const record = JSON.parse(text) as RebuildRecord;
    return typeof record === 'object' && record !== null && typeof record.state === 'string' ? record : null;
  } catch {
    return null;
  }
}
