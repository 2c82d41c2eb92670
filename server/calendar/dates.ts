/**
 * Calendar-date arithmetic on `YYYY-MM-DD` strings. A date here is a day of the calendar in
 * Asia/Almaty, not an instant, so all arithmetic is done on whole days in UTC, where no day is
 * ever 23 or 25 hours long.
 */

/** The years the calendar answers for; outside them it refuses rather than guesses. */
export const MIN_YEAR = 2020;
export const MAX_YEAR = 2100;
export const FIRST_DATE = `${MIN_YEAR}-01-01`;
export const LAST_DATE = `${MAX_YEAR}-12-31`;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** Whether a valid date lies in the supported years. */
export const inRange = (date: string): boolean => date >= FIRST_DATE && date <= LAST_DATE;

/** Days since 1970-01-01 (negative before). */
export function dayNumber(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
}

export function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export const addDays = (date: string, n: number): string => fromDayNumber(dayNumber(date) + n);

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  // 1970-01-01 was a Thursday (4).
  return ((((dayNumber(date) + 3) % 7) + 7) % 7) + 1;
}

export const isWeekend = (date: string): boolean => isoWeekday(date) >= 6;

export const yearOf = (date: string): number => Number(date.slice(0, 4));

export function dateOf(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Every date of a year, in order. */
export function datesOfYear(year: number): string[] {
  const first = dayNumber(dateOf(year, 1, 1));
  const count = dayNumber(dateOf(year + 1, 1, 1)) - first;
  return Array.from({ length: count }, (_, i) => fromDayNumber(first + i));
}
