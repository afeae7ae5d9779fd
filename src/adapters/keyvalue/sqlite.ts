import type Database from 'better-sqlite3';
import type { KeyValue, SetOptions } from '../../ports/key-value.js';
import { integerValue, requireTokenCount } from './checks.js';
import { failFastWhenBusy } from '../sqlite/busy.js';
import { groupCommit, immediateBatchWrite, type Outcome } from '../sqlite/group-commit.js';

const BUSY_TIMEOUT_MS = 10_000;
/** Expired rows deleted per sweep statement: a sweep never holds the write lock for long. */
const SWEEP_SLICE = 2_000;

interface Row {
  value: string;
  expires_at: number | null;
}

/** One read-modify-write of a key, run inside a batch's transaction. */
type Operation = () => unknown;

/**
 * KeyValue over one SQLite file (`kv.db` in the data dir): the embedded default, durable across restarts
 * (TTLs are absolute times, so they keep running while the process is down), and shared by the processes
 * and threads of one machine. Every read-modify-write runs in a `BEGIN IMMEDIATE` transaction, so it is
 * atomic across processes; the writes queued in one turn of the event loop share that transaction (group
 * commit, src/adapters/sqlite/group-commit.ts): a commit costs tens of microseconds, a write inside one a
 * few. Each call settles once its transaction is committed. Reads go straight to the file. Expired rows
 * are invisible and swept periodically, a slice at a time, through an index on their expiry.
 */
export function sqliteKeyValue(db: Database.Database, options: { now?: () => number; sweepIntervalMs?: number; synchronous?: 'normal' | 'full' } = {}): KeyValue {
  const now = options.now ?? Date.now;
  // Waits for a lock first: switching to WAL takes one, and several processes may open the file at once.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit is durable against a process crash, and waits for no fsync (an OS crash may lose the last commits).
  db.pragma(`synchronous = ${options.synchronous ?? 'normal'}`);
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID');
  db.exec('CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL');

  const select = db.prepare<[string], Row>('SELECT value, expires_at FROM kv WHERE key = ?');
  const upsert = db.prepare<[string, string, number | null]>('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
  const remove = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
  const sweepExpired = db.prepare<[number, number]>('DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?)');

  const live = (key: string): Row | undefined => {
    const row = select.get(key);
    if (row && row.expires_at !== null && row.expires_at <= now()) return undefined;
    return row;
  };
  const expiry = (ttlMs: number | undefined) => (ttlMs === undefined ? null : now() + ttlMs);

  // Each operation checks its arguments and the stored value before it writes anything, so one that throws
  // leaves nothing behind: it fails alone and the rest of its batch commits.
  const batch = db.transaction((operations: Operation[]): Array<Outcome<unknown>> =>
    operations.map((operation) => {
      try {
        return { ok: true, value: operation() };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const commits = groupCommit<Operation, unknown>(immediateBatchWrite(db, batch), { busyTimeoutMs: BUSY_TIMEOUT_MS });
  const atomic = <R>(operation: () => R): Promise<R> => commits.submit(operation) as Promise<R>;

  const set = (key: string, value: string, setOptions: SetOptions): boolean => {
    if (setOptions.ifAbsent && live(key)) return false;
    upsert.run(key, value, expiry(setOptions.ttlMs));
    return true;
  };
  const del = (key: string): boolean => {
    const existed = live(key) !== undefined;
    remove.run(key);
    return existed;
  };
  const incr = (key: string, by: number, ttlMs: number | undefined): number => {
    const row = live(key);
    const current = row ? Number(row.value) : 0;
    if (!Number.isInteger(current)) throw new Error(`value of ${key} is not an integer`);
    const next = current + by;
    upsert.run(key, String(next), row ? row.expires_at : expiry(ttlMs));
    return next;
  };
  const compareAndSet = (key: string, expected: string | null, value: string | null, ttlMs: number | undefined): boolean => {
    if ((live(key)?.value ?? null) !== expected) return false;
    if (value === null) remove.run(key);
    else upsert.run(key, value, expiry(ttlMs));
    return true;
  };
  const takeTokens = (key: string, count: number): 'taken' | 'insufficient' | 'absent' => {
    const row = live(key);
    if (!row) return 'absent';
    const current = integerValue(key, row.value);
    if (current < count) return 'insufficient';
    upsert.run(key, String(current - count), row.expires_at);
    return 'taken';
  };
  const returnTokens = (key: string, count: number): number | null => {
    const row = live(key);
    if (!row) return null;
    const next = integerValue(key, row.value) + count;
    upsert.run(key, String(next), row.expires_at);
    return next;
  };

  const withoutWaiting = failFastWhenBusy(db);
  const sweep = setInterval(() => {
    try {
      withoutWaiting(() => sweepExpired.run(now(), SWEEP_SLICE));
    } catch {
      // busy: the next sweep tries again
    }
  }, options.sweepIntervalMs ?? 5_000);
  sweep.unref();

  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, setOptions = {}) {
      return atomic(() => set(key, value, setOptions));
    },
    async del(key) {
      return atomic(() => del(key));
    },
    async incr(key, by = 1, incrOptions = {}) {
      return atomic(() => incr(key, by, incrOptions.ttlMs));
    },
    async compareAndSet(key, expected, value, casOptions = {}) {
      return atomic(() => compareAndSet(key, expected, value, casOptions.ttlMs));
    },
    async takeTokens(key, count) {
      requireTokenCount(count);
      return atomic(() => takeTokens(key, count));
    },
    async returnTokens(key, count) {
      requireTokenCount(count);
      return atomic(() => returnTokens(key, count));
    },
    async ttl(key) {
      const row = live(key);
      return row?.expires_at == null ? null : row.expires_at - now();
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      clearInterval(sweep);
      if (!db.open) return;
      commits.flush();
      db.close();
    },
  };
}
