import { describe, expect, it } from 'vitest';
import { expirySweeper } from '../../../src/adapters/keyvalue/memory.js';

describe('the in-process KeyValue expiry sweep', () => {
  it('removes every expired entry a slice at a time, keeping the live ones and those added meanwhile', () => {
    let now = 1_000;
    const entries = new Map<string, { expiresAt: number | null }>();
    for (let n = 0; n < 25; n++) entries.set(`idem:${n}`, { expiresAt: n % 2 === 0 ? 1_500 : 5_000 });
    entries.set('gate:sale-1', { expiresAt: null });
    const sweep = expirySweeper(entries, () => now, 10);

    now = 2_000;
    expect(sweep()).toBe(false); // 10 entries looked at, 5 expired among them
    expect(entries.size).toBe(26 - 5);
    entries.set('idem:late', { expiresAt: 1_900 }); // added during the pass, already expired by now
    expect(sweep()).toBe(false);
    expect(sweep()).toBe(true);
    expect([...entries.keys()].filter((key) => key !== 'gate:sale-1').every((key) => entries.get(key)!.expiresAt === 5_000)).toBe(true);
    expect(entries.has('gate:sale-1')).toBe(true);
    expect(entries.size).toBe(12 + 1);

    now = 6_000; // the next pass starts over
    while (!sweep());
    expect([...entries.keys()]).toEqual(['gate:sale-1']);
  });
});
