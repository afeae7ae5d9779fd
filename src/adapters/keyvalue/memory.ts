import type { KeyValue, SetOptions } from '../../ports/key-value.js';
import { integerValue, requireTokenCount } from './checks.js';

interface Entry {
  value: string;
  expiresAt: number | null;
}

/**
 * Deletes the expired entries of `entries` a slice of `slice` entries per call, resuming where the last call
 * stopped (a Map iterator survives deletions and sees keys added after it was made): a store of millions of
 * idempotency records is swept without ever stalling the event loop. Returns true when a call ends a pass.
 */
export function expirySweeper(entries: Map<string, { expiresAt: number | null }>, now: () => number, slice: number): () => boolean {
  let cursor: MapIterator<[string, { expiresAt: number | null }]> | null = null;
  return () => {
    const at = now();
    cursor ??= entries.entries();
    for (let seen = 0; seen < slice; seen++) {
      const next = cursor.next();
      if (next.done) {
        cursor = null;
        return true;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt !== null && entry.expiresAt <= at) entries.delete(key);
    }
    return false;
  };
}

/** In-process KeyValue with TTL: the embedded default. Expired keys vanish on access and on a periodic sweep. */
export function memoryKeyValue(options: { now?: () => number; sweepIntervalMs?: number; sweepSlice?: number } = {}): KeyValue {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const sweepSlice = expirySweeper(entries, now, options.sweepSlice ?? 5_000);
  const sweep = setInterval(sweepSlice, options.sweepIntervalMs ?? 1_000);
  sweep.unref();

  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key: string, value: string, setOptions: SetOptions = {}) {
      if (setOptions.ifAbsent && live(key)) return false;
      entries.set(key, { value, expiresAt: setOptions.ttlMs === undefined ? null : now() + setOptions.ttlMs });
      return true;
    },
    async del(key) {
      const existed = live(key) !== undefined;
      entries.delete(key);
      return existed;
    },
    async incr(key, by = 1, incrOptions = {}) {
      const entry = live(key);
      const current = entry ? Number(entry.value) : 0;
      if (!Number.isInteger(current)) throw new Error(`value of ${key} is not an integer`);
      const next = current + by;
      const expiresAt = entry ? entry.expiresAt : incrOptions.ttlMs === undefined ? null : now() + incrOptions.ttlMs;
      entries.set(key, { value: String(next), expiresAt });
      return next;
    },
    async compareAndSet(key, expected, value, casOptions = {}) {
      if ((live(key)?.value ?? null) !== expected) return false;
      if (value === null) entries.delete(key);
      else entries.set(key, { value, expiresAt: casOptions.ttlMs === undefined ? null : now() + casOptions.ttlMs });
      return true;
    },
    async takeTokens(key, count) {
      requireTokenCount(count);
      const entry = live(key);
      if (!entry) return 'absent';
      const current = integerValue(key, entry.value);
      if (current < count) return 'insufficient';
      entry.value = String(current - count);
      return 'taken';
    },
    async returnTokens(key, count) {
      requireTokenCount(count);
      const entry = live(key);
      if (!entry) return null;
      const next = integerValue(key, entry.value) + count;
      entry.value = String(next);
      return next;
    },
    async ttl(key) {
      const entry = live(key);
      return entry?.expiresAt == null ? null : entry.expiresAt - now();
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
      entries.clear();
    },
  };
}
