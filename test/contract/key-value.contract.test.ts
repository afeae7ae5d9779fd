import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue } from '../../src/ports/key-value.js';
import { keyValueAdapters } from './engines.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const adapter of keyValueAdapters()) {
  describe.skipIf(!adapter.available)(`KeyValue contract: ${adapter.name}`, () => {
    let kv: KeyValue;
    let dispose: () => Promise<void>;
    const key = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

    beforeAll(async () => {
      ({ store: kv, dispose } = await adapter.create());
    });
    afterAll(async () => dispose?.());

    it('answers ping', async () => {
      await expect(kv.ping()).resolves.toBeUndefined();
    });

    it('gets what was set; a missing key is null', async () => {
      const k = key('plain');
      expect(await kv.get(k)).toBeNull();
      expect(await kv.set(k, 'one')).toBe(true);
      expect(await kv.get(k)).toBe('one');
      expect(await kv.set(k, 'two')).toBe(true);
      expect(await kv.get(k)).toBe('two');
      expect(await kv.ttl(k)).toBeNull();
      expect(await kv.ttl(key('missing'))).toBeNull();
    });

    it('expires a key after its ttl', async () => {
      const k = key('ttl');
      await kv.set(k, 'v', { ttlMs: 100 });
      expect(await kv.get(k)).toBe('v');
      const remaining = await kv.ttl(k);
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(100);
      await sleep(160);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.ttl(k)).toBeNull();
    });

    it('a plain set replaces the value and drops the old ttl', async () => {
      const k = key('reset');
      await kv.set(k, 'a', { ttlMs: 80 });
      await kv.set(k, 'b');
      expect(await kv.ttl(k)).toBeNull();
      await sleep(120);
      expect(await kv.get(k)).toBe('b');
    });

    it('ifAbsent writes only when the key does not exist (or has expired)', async () => {
      const k = key('nx');
      expect(await kv.set(k, 'first', { ifAbsent: true, ttlMs: 80 })).toBe(true);
      expect(await kv.set(k, 'second', { ifAbsent: true })).toBe(false);
      expect(await kv.get(k)).toBe('first');
      await sleep(120);
      expect(await kv.set(k, 'third', { ifAbsent: true })).toBe(true);
      expect(await kv.get(k)).toBe('third');
    });

    it('lets exactly one of many concurrent ifAbsent writers win', async () => {
      const k = key('nx-race');
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => kv.set(k, `w${n}`, { ifAbsent: true })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await kv.get(k)).toBe(`w${results.indexOf(true)}`);
    });

    it('del reports whether the key existed', async () => {
      const k = key('del');
      expect(await kv.del(k)).toBe(false);
      await kv.set(k, 'v');
      expect(await kv.del(k)).toBe(true);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.del(k)).toBe(false);
    });

    it('gives true to exactly one of 20 concurrent del calls', async () => {
      const k = key('del-race');
      await kv.set(k, 'code');
      const results = await Promise.all(Array.from({ length: 20 }, () => kv.del(k)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('del of an expired key is false', async () => {
      const k = key('del-expired');
      await kv.set(k, 'v', { ttlMs: 50 });
      await sleep(90);
      expect(await kv.del(k)).toBe(false);
    });

    it('incr starts from 0, adds the step and returns the new value', async () => {
      const k = key('incr');
      expect(await kv.incr(k)).toBe(1);
      expect(await kv.incr(k)).toBe(2);
      expect(await kv.incr(k, 10)).toBe(12);
      expect(await kv.incr(k, -5)).toBe(7);
      expect(await kv.get(k)).toBe('7');
      expect(await kv.ttl(k)).toBeNull();
    });

    it('incr continues from a value that was set', async () => {
      const k = key('incr-set');
      await kv.set(k, '41');
      expect(await kv.incr(k)).toBe(42);
    });

    it('incr rejects a value that is not an integer', async () => {
      const k = key('incr-nan');
      await kv.set(k, 'abc');
      await expect(kv.incr(k)).rejects.toThrow();
      expect(await kv.get(k)).toBe('abc');
    });

    it('incr is atomic under 100 concurrent calls', async () => {
      const k = key('incr-race');
      const values = await Promise.all(Array.from({ length: 100 }, () => kv.incr(k, 1, { ttlMs: 10_000 })));
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
      expect(await kv.get(k)).toBe('100');
    });

    it('incr applies its ttl only when it creates the key', async () => {
      const k = key('incr-ttl');
      expect(await kv.incr(k, 1, { ttlMs: 150 })).toBe(1);
      const first = await kv.ttl(k);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(150);
      await sleep(50);
      expect(await kv.incr(k, 1, { ttlMs: 60_000 })).toBe(2);
      expect(await kv.incr(k)).toBe(3);
      const later = await kv.ttl(k);
      expect(later).toBeGreaterThan(0);
      expect(later).toBeLessThanOrEqual(first!); // neither call moved the expiry
      await sleep(160);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.incr(k, 1, { ttlMs: 150 })).toBe(1); // a new window
      expect(await kv.ttl(k)).toBeGreaterThan(0);
    });

    it('incr without a ttl on an existing key keeps it persistent', async () => {
      const k = key('incr-persistent');
      await kv.incr(k);
      await kv.incr(k, 1, { ttlMs: 50 });
      expect(await kv.ttl(k)).toBeNull();
      await sleep(80);
      expect(await kv.get(k)).toBe('2');
    });
  });
}
