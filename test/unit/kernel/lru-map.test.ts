import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../src/kernel/lru-map.js';

describe('LruMap', () => {
  it('keeps what was used since the last turnover, forgets what was not, and never holds more than its capacity', () => {
    const cache = new LruMap<string, number | null>(6); // turns over every 3 new keys
    cache.set('a', 1).set('b', null).set('c', 3); // turnover: a, b and c are now the older generation
    expect(cache.get('a')).toBe(1); // read: a moves back to the recent one
    cache.set('d', 4).set('e', 5); // turnover: b and c, untouched since, are dropped
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => cache.has(key))).toEqual([true, false, false, true, true]);
    expect(cache.size).toBe(3);
    cache.set('a', 10); // a write keeps it too
    expect(cache.get('a')).toBe(10);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('stays within its capacity under any mix of reads and writes, and keeps a key read on every round', () => {
    const cache = new LruMap<number, number>(100);
    for (let n = 0; n < 10_000; n++) {
      cache.set(n, n);
      expect(cache.get(-1) ?? cache.set(-1, -1).get(-1)).toBe(-1); // the hot key
      if (n % 7 === 0) cache.get(n - 3);
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get(-1)).toBe(-1);
    expect(cache.get(9_999)).toBe(9_999);
    expect(cache.has(0)).toBe(false);
  });

  it('tells a stored null or undefined from an absent key', () => {
    const cache = new LruMap<string, string | null | undefined>(4);
    cache.set('invalid', null).set('unset', undefined);
    expect(cache.get('invalid')).toBeNull();
    expect(cache.has('unset')).toBe(true);
    expect(cache.get('unknown')).toBeUndefined();
  });
});
