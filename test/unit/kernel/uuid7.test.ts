import { describe, expect, it } from 'vitest';
import { uuid7 } from '../../../src/kernel/uuid7.js';

describe('uuid7', () => {
  it('is a version 7, RFC-variant UUID whose first 48 bits are the time in ms', () => {
    const at = Date.UTC(2026, 10, 25, 22, 30);
    const id = uuid7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time, and differs within one millisecond', () => {
    const ids = [1, 2, 3, 1000, 1_000_000].map((offset) => uuid7(1_764_000_000_000 + offset));
    expect([...ids].sort()).toEqual(ids);
    const sameMs = new Set(Array.from({ length: 1000 }, () => uuid7(1_764_000_000_000)));
    expect(sameMs.size).toBe(1000);
  });
});
