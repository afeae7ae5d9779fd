import { ValidationError, type FieldError } from '../../kernel/errors.js';

/** The period a reconciliation checks: [from, toExclusive), in UTC. */
export interface ReportRange {
  from: Date;
  /** First instant after the period. */
  toExclusive: Date;
}

export const MAX_RANGE_DAYS = 366;
export const DEFAULT_RANGE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The UTC day (YYYY-MM-DD) of an instant. */
export const utcDay = (instant: Date | string): string => (typeof instant === 'string' ? new Date(instant) : instant).toISOString().slice(0, 10);

function parseBound(value: string, path: string, end: boolean, errors: FieldError[]): Date | null {
  const text = value.trim();
  if (DATE.test(text)) {
    const start = new Date(`${text}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || utcDay(start) !== text) {
      errors.push({ path, message: `${text} is not a calendar date` });
      return null;
    }
    // A date names a whole UTC day: `to=2026-11-30` includes all of the 30th.
    return end ? new Date(start.getTime() + DAY_MS) : start;
  }
  if (DATETIME.test(text)) {
    const instant = new Date(text);
    if (Number.isNaN(instant.getTime())) {
      errors.push({ path, message: `${text} is not a valid date-time` });
      return null;
    }
    // `to` given as an instant is inclusive.
    return end ? new Date(instant.getTime() + 1) : instant;
  }
  errors.push({ path, message: 'use an ISO date (2026-11-30) or date-time (2026-11-30T12:00:00Z)' });
  return null;
}

/**
 * Parses `from` / `to` (ISO dates or date-times, UTC when a date). Missing `to` is today; missing `from` is
 * 30 days before `to`. Throws ValidationError (400) for bad values, `from` after `to`, or more than 366 days.
 */
export function parseRange(input: { from?: string | undefined; to?: string | undefined }, now: Date): ReportRange {
  const errors: FieldError[] = [];
  const toExclusive = input.to ? parseBound(input.to, 'to', true, errors) : new Date(Date.parse(`${utcDay(now)}T00:00:00.000Z`) + DAY_MS);
  const from = input.from ? parseBound(input.from, 'from', false, errors) : toExclusive ? new Date(toExclusive.getTime() - DEFAULT_RANGE_DAYS * DAY_MS) : null;
  if (errors.length > 0 || !from || !toExclusive) throw new ValidationError('the date range is not valid', errors);
  if (from.getTime() >= toExclusive.getTime()) throw new ValidationError('`from` must not be after `to`', [{ path: 'from', message: 'must be on or before `to`' }]);
  if (toExclusive.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new ValidationError(`a report covers at most ${MAX_RANGE_DAYS} days`, [{ path: 'to', message: `at most ${MAX_RANGE_DAYS} days after \`from\`` }]);
  }
  return { from, toExclusive };
}

export const inRange = (range: ReportRange, instant: string): boolean => {
  const time = Date.parse(instant);
  return time >= range.from.getTime() && time < range.toExclusive.getTime();
};

/** Every UTC day the range touches, oldest first. */
export function daysOf(range: ReportRange): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${utcDay(range.from)}T00:00:00.000Z`); t < range.toExclusive.getTime(); t += DAY_MS) days.push(utcDay(new Date(t)));
  return days;
}
