import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../src/kernel/lru-map.js';

describe('LruMap', () => {
  it('keeps at most its capacity, forgetting the least recently read or written entry', () => {
    const cache = new LruMap<string, number | null>(2);
    cache.set('a', 1).set('b', null);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.size]).toEqual([true, false, true, 2]);
    cache.set('a', 10); // rewriting moves it too
    cache.set('d', 4);
    expect([cache.get('a'), cache.has('c'), cache.get('d')]).toEqual([10, false, 4]);
    expect(cache.delete('a')).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('tells a stored null from an absent key', () => {
    const cache = new LruMap<string, string | null>(4);
    cache.set('invalid', null);
    expect(cache.get('invalid')).toBeNull();
    expect(cache.get('unknown')).toBeUndefined();
  });
});
