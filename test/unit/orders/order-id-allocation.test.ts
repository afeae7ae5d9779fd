import { describe, expect, it } from 'vitest';
import { orderIdGenerator, parseOrderId, userShard } from '../../../src/domain/orders/order-id.js';
import { allocate } from '../../../src/domain/orders/allocation.js';

describe('order ids (time + node + uid % 100 + sequence)', () => {
  it('encodes the time, node, user shard and sequence, and parses back', () => {
    const at = Date.parse('2030-05-06T07:08:09.123Z');
    const next = orderIdGenerator(7, () => at);
    const id = next('01HUSER');
    expect(id).toMatch(/^\d{22}$/);
    expect(parseOrderId(id)).toEqual({ at: new Date(at), nodeId: 7, shard: userShard('01HUSER'), sequence: 0 });
    expect(parseOrderId(next('01HUSER'))?.sequence).toBe(1);
    expect(userShard('12345')).toBe(45);
    expect(parseOrderId('not-an-id')).toBeNull();
    expect(parseOrderId('1234567890123999900000')).toBeNull(); // node 9999 > 1023
  });

  it('is unique and ordered by time, also when a millisecond runs out of sequence numbers or the clock steps back', () => {
    let now = 1_900_000_000_000;
    const next = orderIdGenerator(1, () => now);
    const ids: string[] = [];
    for (let i = 0; i < 2500; i++) ids.push(next(`user-${i}`));
    now -= 5; // clock steps back
    for (let i = 0; i < 10; i++) ids.push(next('u'));
    now += 1000;
    ids.push(next('u'));
    expect(new Set(ids).size).toBe(ids.length);
    // Time-ordered: the time part never goes back in generation order, and sorting ids sorts by time.
    const times = ids.map((id) => parseOrderId(id)!.at.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect([...ids].sort().map((id) => parseOrderId(id)!.at.getTime())).toEqual(times);
    expect(times.at(-1)! - times[0]!).toBe(995);
  });

  it('gives every user a stable shard in 0-99', () => {
    for (const user of ['a', 'b', '01J0000000000000000000000', 'x'.repeat(40)]) {
      expect(userShard(user)).toBe(userShard(user));
      expect(userShard(user)).toBeGreaterThanOrEqual(0);
      expect(userShard(user)).toBeLessThan(100);
    }
    expect(() => orderIdGenerator(1024, () => 0)).toThrow(RangeError);
  });
});

describe('largest-remainder allocation', () => {
  it('splits exactly and deterministically', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(10, [3, 3, 4])).toEqual([3, 3, 4]);
    expect(allocate(0, [5, 5])).toEqual([0, 0]);
    expect(allocate(7, [0, 10])).toEqual([0, 7]);
    expect(allocate(999, [9900, 5000, 1])).toEqual([664, 335, 0]);
  });

  it('always sums to the total, never exceeding a weight when the total is below the weights’ sum', () => {
    for (let seed = 1; seed < 200; seed++) {
      const weights = Array.from({ length: (seed % 7) + 1 }, (_, i) => ((seed * 7919 + i * 104729) % 100_000) + 1);
      const sum = weights.reduce((a, b) => a + b, 0);
      const total = (seed * 31337) % sum;
      const shares = allocate(total, weights);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      shares.forEach((share, i) => expect(share).toBeLessThanOrEqual(weights[i]!));
    }
  });
});
