import type Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SQLite's busy handler waits for another connection's write lock by sleeping in the calling thread: on an
 * event loop, every request of the process waits with it. The embedded stores' writes fail at once instead
 * (`failFastWhenBusy`) and are tried again on a timer (`retryWhenBusy`, the group commit), so the loop
 * keeps serving while the projector thread or another process holds the lock.
 */
export const isBusy = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';

/** Backoff between attempts on a taken lock: 1, 2, 4, 8, 8, … ms. */
export const busyBackoffMs = (attempt: number): number => Math.min(8, 2 ** attempt);

/**
 * Runs a write transaction of `db` without waiting in SQLite's busy handler (`busy_timeout` 0 for its
 * duration): it throws SQLITE_BUSY at once when another connection holds the write lock. Reads keep the
 * connection's own timeout (in WAL mode they never wait for a writer).
 */
export function failFastWhenBusy(db: Database.Database): <T>(write: () => T) => T {
  const waitMs = Number(db.pragma('busy_timeout', { simple: true }));
  const noWait = db.prepare('PRAGMA busy_timeout = 0');
  const restore = db.prepare(`PRAGMA busy_timeout = ${Math.trunc(waitMs)}`);
  return (write) => {
    noWait.get();
    try {
      return write();
    } finally {
      restore.get();
    }
  };
}

/** Runs `write` (which fails fast when busy) until it gets the lock, waiting on a timer between attempts; SQLITE_BUSY after `timeoutMs`. */
export async function retryWhenBusy<T>(write: () => T, timeoutMs: number): Promise<T> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusy(error) || performance.now() - started >= timeoutMs) throw error;
    }
    await sleep(busyBackoffMs(attempt));
  }
}
