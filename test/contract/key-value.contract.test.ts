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

    it('compareAndSet with expected null writes only when the key is absent (or has expired)', async () => {
      const k = key('cas-create');
      expect(await kv.compareAndSet(k, null, 'first', { ttlMs: 80 })).toBe(true);
      expect(await kv.get(k)).toBe('first');
      expect(await kv.compareAndSet(k, null, 'second')).toBe(false);
      expect(await kv.get(k)).toBe('first');
      await sleep(120);
      expect(await kv.compareAndSet(k, null, 'third')).toBe(true);
      expect(await kv.get(k)).toBe('third');
    });

    it('compareAndSet replaces the value only when it is exactly the expected one', async () => {
      const k = key('cas-replace');
      await kv.set(k, '{"n":1}');
      expect(await kv.compareAndSet(k, '{"n":2}', '{"n":3}')).toBe(false);
      expect(await kv.compareAndSet(k, '{"n":1} ', '{"n":3}')).toBe(false);
      expect(await kv.compareAndSet(k, null, '{"n":3}')).toBe(false);
      expect(await kv.get(k)).toBe('{"n":1}');
      expect(await kv.compareAndSet(k, '{"n":1}', '{"n":2}')).toBe(true);
      expect(await kv.get(k)).toBe('{"n":2}');
      expect(await kv.compareAndSet(key('cas-missing'), 'anything', 'x')).toBe(false);
      expect(await kv.get(key('cas-missing'))).toBeNull();
    });

    it('compareAndSet compares and stores any text exactly (unicode, empty string)', async () => {
      const k = key('cas-text');
      const value = '{"title":"纯棉T恤 👕","note":"a\\nb"}';
      expect(await kv.compareAndSet(k, null, value)).toBe(true);
      expect(await kv.get(k)).toBe(value);
      expect(await kv.compareAndSet(k, value, '')).toBe(true);
      expect(await kv.get(k)).toBe('');
      expect(await kv.compareAndSet(k, null, 'x')).toBe(false); // an empty string is a value, not absence
      expect(await kv.compareAndSet(k, '', 'x')).toBe(true);
      expect(await kv.get(k)).toBe('x');
    });

    it('compareAndSet to null deletes the key when the value matches', async () => {
      const k = key('cas-delete');
      await kv.set(k, 'v');
      expect(await kv.compareAndSet(k, 'other', null)).toBe(false);
      expect(await kv.get(k)).toBe('v');
      expect(await kv.compareAndSet(k, 'v', null)).toBe(true);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.compareAndSet(k, 'v', null)).toBe(false);
      expect(await kv.compareAndSet(k, null, null)).toBe(true); // absent as expected; stays absent
      expect(await kv.get(k)).toBeNull();
    });

    it('a compareAndSet write applies its ttl, or drops the old one without it', async () => {
      const k = key('cas-ttl');
      await kv.set(k, 'a', { ttlMs: 60_000 });
      expect(await kv.compareAndSet(k, 'a', 'b', { ttlMs: 150 })).toBe(true);
      const remaining = await kv.ttl(k);
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(150);
      expect(await kv.compareAndSet(k, 'b', 'c')).toBe(true);
      expect(await kv.ttl(k)).toBeNull();
      await sleep(180);
      expect(await kv.get(k)).toBe('c');
      expect(await kv.compareAndSet(k, 'c', 'd', { ttlMs: 60 })).toBe(true);
      await sleep(100);
      expect(await kv.get(k)).toBeNull();
      // A failed compareAndSet leaves the ttl alone.
      await kv.set(k, 'e', { ttlMs: 60_000 });
      expect(await kv.compareAndSet(k, 'nope', 'f')).toBe(false);
      expect(await kv.ttl(k)).toBeGreaterThan(50_000);
    });

    it('lets exactly one of many concurrent compareAndSet calls with the same expected value win', async () => {
      const k = key('cas-race');
      await kv.set(k, 'v0');
      const results = await Promise.all(Array.from({ length: 20 }, (_, n) => kv.compareAndSet(k, 'v0', `w${n}`)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await kv.get(k)).toBe(`w${results.indexOf(true)}`);
    });

    it('read-modify-compareAndSet loops lose no update under 50 concurrent writers', async () => {
      const k = key('cas-counter');
      const addOne = async () => {
        for (;;) {
          const current = await kv.get(k);
          const next = JSON.stringify({ count: (current === null ? 0 : (JSON.parse(current) as { count: number }).count) + 1 });
          if (await kv.compareAndSet(k, current, next, { ttlMs: 10_000 })) return;
        }
      };
      await Promise.all(Array.from({ length: 50 }, addOne));
      expect(JSON.parse((await kv.get(k))!)).toEqual({ count: 50 });
    });

    it('takeTokens takes only while enough remain, and says when the counter is absent', async () => {
      const k = key('tokens');
      expect(await kv.takeTokens(k, 1)).toBe('absent');
      expect(await kv.get(k)).toBeNull(); // an absent counter is not created
      await kv.set(k, '3');
      expect(await kv.takeTokens(k, 2)).toBe('taken');
      expect(await kv.get(k)).toBe('1');
      expect(await kv.takeTokens(k, 2)).toBe('insufficient');
      expect(await kv.get(k)).toBe('1');
      expect(await kv.takeTokens(k, 1)).toBe('taken');
      expect(await kv.takeTokens(k, 1)).toBe('insufficient');
      expect(await kv.get(k)).toBe('0');
    });

    it('takeTokens keeps the ttl and rejects a value that is not an integer or a count that is not positive', async () => {
      const k = key('tokens-ttl');
      await kv.set(k, '5', { ttlMs: 60_000 });
      expect(await kv.takeTokens(k, 1)).toBe('taken');
      expect(await kv.ttl(k)).toBeGreaterThan(50_000);
      await expect(kv.takeTokens(k, 0)).rejects.toThrow();
      await expect(kv.takeTokens(k, 1.5)).rejects.toThrow();
      const bad = key('tokens-nan');
      await kv.set(bad, 'abc');
      await expect(kv.takeTokens(bad, 1)).rejects.toThrow();
      expect(await kv.get(bad)).toBe('abc');
    });

    it('admits exactly 50 of 200 concurrent takers of 50 tokens', async () => {
      const k = key('tokens-race');
      await kv.set(k, '50');
      const results = await Promise.all(Array.from({ length: 200 }, () => kv.takeTokens(k, 1)));
      expect(results.filter((result) => result === 'taken')).toHaveLength(50);
      expect(results.filter((result) => result === 'insufficient')).toHaveLength(150);
      expect(await kv.get(k)).toBe('0');
    });

    it('never goes below zero with concurrent takers of different sizes', async () => {
      const k = key('tokens-sizes');
      await kv.set(k, '10');
      const sizes = Array.from({ length: 40 }, (_, n) => (n % 3) + 1);
      const results = await Promise.all(sizes.map((size) => kv.takeTokens(k, size)));
      const taken = sizes.filter((_, n) => results[n] === 'taken').reduce((a, b) => a + b, 0);
      expect(taken).toBeLessThanOrEqual(10);
      expect(Number(await kv.get(k))).toBe(10 - taken);
      expect(Number(await kv.get(k))).toBeGreaterThanOrEqual(0);
    });

    it('returnTokens adds to an existing counter only (an absent one stays absent)', async () => {
      const k = key('tokens-return');
      expect(await kv.returnTokens(k, 2)).toBeNull();
      expect(await kv.get(k)).toBeNull();
      await kv.set(k, '0', { ttlMs: 60_000 });
      expect(await kv.returnTokens(k, 2)).toBe(2);
      expect(await kv.takeTokens(k, 2)).toBe('taken');
      expect(await kv.ttl(k)).toBeGreaterThan(50_000);
      const results = await Promise.all(Array.from({ length: 25 }, () => kv.returnTokens(k, 1)));
      expect(results.filter((value) => value !== null)).toHaveLength(25);
      expect(await kv.get(k)).toBe('25');
      await expect(kv.returnTokens(k, -1)).rejects.toThrow();
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
