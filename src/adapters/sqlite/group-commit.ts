import type Database from 'better-sqlite3';
import { busyBackoffMs, failFastWhenBusy, isBusy } from './busy.js';

/** What one queued request of a group commit came to. */
export type Outcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

export interface GroupCommit<Request, Result> {
  /** Queues a request for the next commit; settles with its own outcome. */
  submit(request: Request): Promise<Result>;
  /** Commits what is queued now, waiting for the write lock if need be (the stores' close). */
  flush(): void;
}

/** How a batch is written: `mayWait` false asks the write to fail at once with SQLITE_BUSY when the lock is taken. */
export type BatchWrite<Request, Result> = (batch: Request[], mayWait: boolean) => Array<Outcome<Result>>;

/**
 * The batch write of a store: `transaction` run as `BEGIN IMMEDIATE`, failing at once with SQLITE_BUSY when
 * another connection holds the lock, unless the group commit may wait (its final flush at close).
 */
export function immediateBatchWrite<Request, Result>(db: Database.Database, transaction: Database.Transaction<(batch: Request[]) => Array<Outcome<Result>>>): BatchWrite<Request, Result> {
  const withoutWaiting = failFastWhenBusy(db);
  return (batch, mayWait) => (mayWait ? transaction.immediate(batch) : withoutWaiting(() => transaction.immediate(batch)));
}

export interface GroupCommitOptions {
  /** When the flush runs after the first request of a batch (setImmediate by default); it may schedule it more than once, and the first call commits. */
  schedule?: (flush: () => void) => () => void;
  /** Runs after each batch's requests are settled. */
  committed?: () => void;
  /** How long a batch may find the write lock taken before its requests fail with SQLITE_BUSY (ms, default 5000). */
  busyTimeoutMs?: number;
}

/** Microtask hops a follow-up commit waits for the callers' continuations, and follow-ups in a row at most. */
const FOLLOW_UP_HOPS = 32;
const MAX_FOLLOW_UPS = 4;

/**
 * Group commit for the embedded SQLite stores: the requests queued until the scheduled flush are written by
 * one `write` call (one transaction), which gives each its own outcome, so one refused request fails only its
 * caller. A `write` that throws (the transaction failed) fails every request of the batch.
 *
 * When another connection (the projector thread, another process) holds the write lock, the batch does not
 * wait inside SQLite: its busy handler sleeps, and a sleeping event loop stalls every request of the process.
 * The batch goes back to the head of the queue and is tried again on a timer (backing off from 1 ms to 8 ms),
 * with what was queued meanwhile, until `busyTimeoutMs`.
 */
export function groupCommit<Request, Result>(write: BatchWrite<Request, Result>, options: GroupCommitOptions = {}): GroupCommit<Request, Result> {
  const schedule = options.schedule ?? ((run: () => void) => {
    const immediate = setImmediate(run);
    return () => clearImmediate(immediate);
  });
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let pending: Array<{ request: Request; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let cancelScheduled: (() => void) | null = null;
  let busySince: number | null = null;
  let busyRetries = 0;
  let followUps = 0;
  let followUpQueued = false;

  function flushNow(mayWait: boolean): void {
    cancelScheduled?.();
    cancelScheduled = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let outcomes: Array<Outcome<Result>>;
    try {
      outcomes = write(
        batch.map((queued) => queued.request),
        mayWait,
      );
    } catch (error) {
      if (!mayWait && isBusy(error) && retryLater(batch)) return;
      busySince = null;
      for (const queued of batch) queued.reject(error);
      return;
    }
    busySince = null;
    outcomes.forEach((outcome, index) => {
      const queued = batch[index]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
    options.committed?.();
    followUp();
  }

  /**
   * The callers just answered often append again at once (checkout: the pay order after its reservation).
   * Left to the schedule, those appends would wait for the next poll phase to read and run every request that
   * arrived meanwhile; instead, once the callers' continuations have run (a few dozen microtask hops), what
   * they queued is committed in the same phase. A few rounds in a row at most, then the loop gets its turn.
   */
  function followUp(): void {
    if (followUpQueued) return;
    if (followUps >= MAX_FOLLOW_UPS) {
      followUps = 0;
      return;
    }
    followUpQueued = true;
    let hops = FOLLOW_UP_HOPS;
    const hop = () => {
      if (--hops > 0) return queueMicrotask(hop);
      followUpQueued = false;
      if (pending.length === 0 || busySince !== null) {
        followUps = 0;
        return;
      }
      followUps++;
      flushNow(false);
    };
    queueMicrotask(hop);
  }

  /** Puts a batch that found the lock taken back in front of the queue; false once it has waited too long. */
  function retryLater(batch: typeof pending): boolean {
    const now = performance.now();
    if (busySince === null) {
      busySince = now;
      busyRetries = 0;
    }
    if (now - busySince >= busyTimeoutMs) return false;
    pending = batch.concat(pending);
    const timer = setTimeout(() => flushNow(false), busyBackoffMs(busyRetries++));
    cancelScheduled = () => clearTimeout(timer);
    return true;
  }

  return {
    submit(request) {
      return new Promise<Result>((resolve, reject) => {
        if (pending.length === 0) cancelScheduled = schedule(() => flushNow(false));
        pending.push({ request, resolve, reject });
      });
    },
    flush: () => flushNow(true),
  };
}
