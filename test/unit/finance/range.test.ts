import { describe, expect, it } from 'vitest';
import { daysOf, parseRange } from '../../../src/queries/finance/range.js';
import { ValidationError } from '../../../src/kernel/errors.js';

const NOW = new Date('2026-11-30T08:00:00Z');

describe('report range', () => {
  it('takes dates as whole UTC days and date-times as instants (to inclusive)', () => {
    expect(parseRange({ from: '2026-11-01', to: '2026-11-30' }, NOW)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), toExclusive: new Date('2026-12-01T00:00:00Z') });
    expect(parseRange({ from: '2026-11-01T08:00:00+08:00', to: '2026-11-01T12:00:00Z' }, NOW)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), toExclusive: new Date('2026-11-01T12:00:00.001Z') });
    expect(parseRange({ from: '2026-11-05', to: '2026-11-05' }, NOW).toExclusive).toEqual(new Date('2026-11-06T00:00:00Z'));
  });

  it('defaults to the last 30 days up to today', () => {
    expect(parseRange({}, NOW)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), toExclusive: new Date('2026-12-01T00:00:00Z') });
  });

  it('refuses bad dates, from after to, and more than 366 days', () => {
    for (const input of [{ from: 'yesterday' }, { from: '2026-02-30' }, { from: '2026-11-10', to: '2026-11-09' }, { from: '2025-01-01', to: '2026-01-02' }]) {
      expect(() => parseRange(input, NOW), JSON.stringify(input)).toThrow(ValidationError);
    }
    expect(() => parseRange({ from: '2025-01-01', to: '2026-01-01' }, NOW)).not.toThrow();
  });

  it('lists the UTC days of a range', () => {
    expect(daysOf(parseRange({ from: '2026-11-29T23:00:00Z', to: '2026-12-01' }, NOW))).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
  });
});
