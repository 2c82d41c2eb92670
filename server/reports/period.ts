import { addDays, isIsoDate, MAX_YEAR, MIN_YEAR } from '../calendar/dates.js';
import type { WorkingCalendar } from '../calendar/types.js';
import { ReportInvalid } from './errors.js';

/**
 * The periods a report covers (Rules p.13: a report on the work done for each half-year), as pure
 * date arithmetic on `YYYY-MM-DD` dates in Asia/Almaty. A half-year is written `2026-H1` (January–
 * June) or `2026-H2` (July–December); any other range of days is for internal use only.
 */
export interface Period {
  /** `2026-H1`, or null for an internal date range. */
  key: string | null;
  from: string;
  to: string;
  /** Rules p.13: no later than the 10th of the month after the half-year; null for a range. */
  dueDate: string | null;
}

const HALF_YEAR = /^(\d{4})-H([12])$/;

/** The half-year `key` (`2026-H1`): its first and last day and its due date; null when `key` is not one. */
export function halfYear(key: string): Period | null {
  const m = HALF_YEAR.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  if (year < MIN_YEAR || year > MAX_YEAR) return null;
  // Rules p.13: 10 July for January–June, 10 January of the next year for July–December.
  return m[2] === '1'
    ? { key, from: `${year}-01-01`, to: `${year}-06-30`, dueDate: `${year}-07-10` }
    : { key, from: `${year}-07-01`, to: `${year}-12-31`, dueDate: `${year + 1}-01-10` };
}

/** The half-year a date falls in. */
export function halfYearOf(date: string): Period {
  return halfYear(`${date.slice(0, 4)}-H${Number(date.slice(5, 7)) <= 6 ? 1 : 2}`)!;
}

/** The half-year before the one `date` falls in: the one whose report is due next. */
export function previousHalfYear(date: string): Period {
  return halfYearOf(addDays(halfYearOf(date).from, -1));
}

/** Internal ranges are at most this long (two years and a day), to keep a request bounded. */
export const MAX_RANGE_DAYS = 732;

/** Parses a period key, or a `from`/`to` range when the key is `range`; bad input is a 400 naming the field. */
export function parsePeriod(key: string, range: { from?: unknown; to?: unknown } = {}): Period {
  if (key === 'range') {
    const { from, to } = range;
    if (!isIsoDate(from)) throw new ReportInvalid('report_date_invalid', { field: 'from' }, { from: { key: 'reports.errors.date_invalid' } });
    if (!isIsoDate(to)) throw new ReportInvalid('report_date_invalid', { field: 'to' }, { to: { key: 'reports.errors.date_invalid' } });
    if (to < from) throw new ReportInvalid('report_range_reversed', {}, { to: { key: 'reports.errors.range_reversed' } });
    if (from < `${MIN_YEAR}-01-01` || to > `${MAX_YEAR}-12-31`) throw new ReportInvalid('report_period_invalid', { value: `${from}..${to}` });
    if (daysBetween(from, to) >= MAX_RANGE_DAYS) throw new ReportInvalid('report_range_too_long', { days: MAX_RANGE_DAYS });
    return { key: null, from, to, dueDate: null };
  }
  const period = halfYear(key);
  if (!period) throw new ReportInvalid('report_period_invalid', { value: key.slice(0, 40) });
  return period;
}

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
}

/**
 * Whether a report for `period` may be made on `today`: a period that has not begun is refused (a
 * report on work not yet done), one still running is a draft, one ended is final.
 */
export function periodState(period: Period, today: string): 'future' | 'draft' | 'final' {
  if (period.from > today) return 'future';
  return period.to >= today ? 'draft' : 'final';
}

/** The months a period touches, `YYYY-MM`, in order (the monthly chart). */
export function monthsOf(from: string, to: string): string[] {
  const out: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const last = to.slice(0, 7);
  for (;;) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    out.push(month);
    if (month >= last) return out;
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
}

/** The first instant of an Almaty day, as stored timestamps are written (ISO-8601 UTC). */
export function dayStartIso(date: string): string {
  return new Date(`${date}T00:00:00+05:00`).toISOString();
}

/** The first instant after the last day of a range: timestamps `>= from` and `< this` are in it. */
export function dayEndIso(date: string): string {
  return dayStartIso(addDays(date, 1));
}

/**
 * When the scheduled report of a half-year is made: the first working day of the month after it
 * (January, July), Asia/Almaty. From that day on the job stores the report if it is not stored yet.
 */
export function scheduleDay(calendar: WorkingCalendar, period: Period): string {
  return calendar.addWorkingDays(addDays(period.to, 1), 0);
}
