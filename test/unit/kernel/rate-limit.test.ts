import { describe, expect, it } from 'vitest';
import { memoryKeyValue } from '../../../src/adapters/keyvalue/memory.js';
import { windowCounter } from '../../../src/kernel/rate-limit.js';
import type { KeyValue } from '../../../src/ports/key-value.js';

/** A KeyValue that counts its ttl reads (a round trip each on Redis). */
function counting(kv: KeyValue) {
  const stats = { ttlReads: 0 };
  return { kv: { ...kv, ttl: async (key: string) => (stats.ttlReads++, kv.ttl(key)) } as KeyValue, stats };
}

describe('windowCounter', () => {
  it('counts hits in a window; reads the Retry-After only once the count passes the limit', async () => {
    const { kv, stats } = counting(memoryKeyValue());
    const counter = windowCounter(kv, 'test', 60_000);
    expect(await counter.hit('u', 2)).toEqual({ count: 1, retryAfterSeconds: 0 });
    expect(await counter.hit('u', 2)).toEqual({ count: 2, retryAfterSeconds: 0 });
    expect(stats.ttlReads).toBe(0);
    const over = await counter.hit('u', 2);
    expect(over.count).toBe(3);
    expect(over.retryAfterSeconds).toBeGreaterThan(55);
    expect(over.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(stats.ttlReads).toBe(1);
    // Without a limit every hit says when the window ends, as before.
    expect((await counter.hit('v')).retryAfterSeconds).toBe(60);
    await counter.give('u');
    expect((await counter.peek('u')).count).toBe(2);
    await counter.clear('u');
    expect((await counter.peek('u')).count).toBe(0);
  });
});
