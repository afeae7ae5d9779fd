import type Database from 'better-sqlite3';
import type { KeyValue, SetOptions } from '../../ports/key-value.js';
import { integerValue, requireTokenCount } from './checks.js';
import { failFastWhenBusy, retryWhenBusy } from '../sqlite/busy.js';

const BUSY_TIMEOUT_MS = 10_000;

interface Row {
  value: string;
  expires_at: number | null;
}

/**
 * KeyValue over one SQLite file (WAL): the embedded store shared by several processes on one machine
 * (`bazaar serve --role api|projector|reactors` without REDIS_URL). Every read-modify-write runs in a
 * `BEGIN IMMEDIATE` transaction, so it is atomic across processes; expired rows are invisible and swept
 * periodically.
 */
export function sqliteKeyValue(db: Database.Database, options: { now?: () => number; sweepIntervalMs?: number } = {}): KeyValue {
  const now = options.now ?? Date.now;
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID');

  const select = db.prepare<[string], Row>('SELECT value, expires_at FROM kv WHERE key = ?');
  const upsert = db.prepare<[string, string, number | null]>('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
  const remove = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
  const sweepExpired = db.prepare<[number]>('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?');

  const live = (key: string): Row | undefined => {
    const row = select.get(key);
    if (row && row.expires_at !== null && row.expires_at <= now()) return undefined;
    return row;
  };
  const expiry = (ttlMs: number | undefined) => (ttlMs === undefined ? null : now() + ttlMs);
  const withoutWaiting = failFastWhenBusy(db);
  /**
   * Runs `work` as one BEGIN IMMEDIATE transaction (atomic across processes); while another connection holds
   * the write lock it waits on a timer, not in SQLite's busy handler (src/adapters/sqlite/busy.ts).
   */
  const atomic = <A extends unknown[], R>(work: (...args: A) => R) => {
    const transaction = db.transaction(work);
    return (...args: A): Promise<R> => retryWhenBusy(() => withoutWaiting(() => transaction.immediate(...args)), BUSY_TIMEOUT_MS);
  };

  const set = atomic((key: string, value: string, setOptions: SetOptions): boolean => {
    if (setOptions.ifAbsent && live(key)) return false;
    upsert.run(key, value, expiry(setOptions.ttlMs));
    return true;
  });
  const del = atomic((key: string): boolean => {
    const existed = live(key) !== undefined;
    remove.run(key);
    return existed;
  });
  const incr = atomic((key: string, by: number, ttlMs: number | undefined): number => {
    const row = live(key);
    const current = row ? Number(row.value) : 0;
    if (!Number.isInteger(current)) throw new Error(`value of ${key} is not an integer`);
    const next = current + by;
    upsert.run(key, String(next), row ? row.expires_at : expiry(ttlMs));
    return next;
  });
  const compareAndSet = atomic((key: string, expected: string | null, value: string | null, ttlMs: number | undefined): boolean => {
    if ((live(key)?.value ?? null) !== expected) return false;
    if (value === null) remove.run(key);
    else upsert.run(key, value, expiry(ttlMs));
    return true;
  });
  const takeTokens = atomic((key: string, count: number): 'taken' | 'insufficient' | 'absent' => {
    const row = live(key);
    if (!row) return 'absent';
    const current = integerValue(key, row.value);
    if (current < count) return 'insufficient';
    upsert.run(key, String(current - count), row.expires_at);
    return 'taken';
  });
  const returnTokens = atomic((key: string, count: number): number | null => {
    const row = live(key);
    if (!row) return null;
    const next = integerValue(key, row.value) + count;
    upsert.run(key, String(next), row.expires_at);
    return next;
  });

  const sweep = setInterval(() => {
    try {
      withoutWaiting(() => sweepExpired.run(now()));
    } catch {
      // busy: the next sweep tries again
    }
  }, options.sweepIntervalMs ?? 30_000);
  sweep.unref();

  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, setOptions = {}) {
      return set(key, value, setOptions);
    },
    async del(key) {
      return del(key);
    },
    async incr(key, by = 1, incrOptions = {}) {
      return incr(key, by, incrOptions.ttlMs);
    },
    async compareAndSet(key, expected, value, casOptions = {}) {
      return compareAndSet(key, expected, value, casOptions.ttlMs);
    },
    async takeTokens(key, count) {
      requireTokenCount(count);
      return takeTokens(key, count);
    },
    async returnTokens(key, count) {
      requireTokenCount(count);
      return returnTokens(key, count);
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
      if (db.open) db.close();
    },
  };
}
