import type { KeyValue } from '../ports/key-value.js';

export interface WindowCount {
  count: number;
  retryAfterSeconds: number;
}

/** Fixed-window counters over KeyValue: `hit` adds one, `give` takes one back, `peek` reads, `clear` forgets. */
export function windowCounter(kv: KeyValue, prefix: string, windowMs: number) {
  const key = (subject: string) => `${prefix}:${subject}`;
  const retryAfter = async (subject: string) => Math.max(1, Math.ceil(((await kv.ttl(key(subject))) ?? windowMs) / 1000));
  return {
    /** Adds one. The Retry-After (one more round trip) is read only once the count passes `limit` (else 0). */
    async hit(subject: string, limit = 0): Promise<WindowCount> {
      const count = await kv.incr(key(subject), 1, { ttlMs: windowMs });
      return { count, retryAfterSeconds: count > limit ? await retryAfter(subject) : 0 };
    },
    async peek(subject: string): Promise<WindowCount> {
      const value = await kv.get(key(subject));
      return { count: value === null ? 0 : Number(value), retryAfterSeconds: await retryAfter(subject) };
    },
    /** Takes one count back (a success that should not count against the subject). */
    async give(subject: string): Promise<void> {
      if ((await kv.get(key(subject))) !== null) await kv.incr(key(subject), -1, { ttlMs: windowMs });
    },
    async clear(subject: string): Promise<void> {
      await kv.del(key(subject));
    },
  };
}
