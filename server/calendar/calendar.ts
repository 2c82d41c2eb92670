import { addDays, datesOfYear, FIRST_DATE, inRange, isIsoDate, isoWeekday, LAST_DATE, MAX_YEAR, MIN_YEAR, yearOf } from './dates.js';
import { CalendarInvalid } from './errors.js';
import { officialYear } from './official.js';
import { applyChanges, ruleYear, type YearDays } from './rules.js';
import type { WorkingCalendar } from './types.js';

/** A decree entered by an operator admin (table calendar_overrides). */
export interface Override {
  date: string;
  working: boolean;
  basis: string;
  createdAt: string;
  /** Login of the admin who entered it; null from the command line. */
  createdBy?: string | null;
}

/** A year as shown: its exceptions to Monday–Friday, the count of working days, and its overrides. */
export interface YearView extends YearDays {
  workingDays: number;
  overrides: Override[];
}

/** The working calendar plus the year views it is made of. */
export interface Calendar extends WorkingCalendar {
  year(year: number): YearView;
}

const baseYears = new Map<number, YearDays>();

/**
 * A year before overrides: the official table where there is one (it is the truth for its years),
 * else the rules. Pure and deterministic, so computed once per process.
 */
export function baseYear(year: number): YearDays {
  checkYear(year);
  let base = baseYears.get(year);
  if (!base) {
    const official = officialYear(year);
    base = official ? { year, daysOff: official.daysOff, workingWeekendDays: official.workingWeekendDays } : ruleYear(year);
    baseYears.set(year, base);
  }
  return base;
}

export function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR)
    throw new CalendarInvalid('calendar_out_of_range', { min: FIRST_DATE, max: LAST_DATE });
}

function checkDate(date: string): void {
  if (!isIsoDate(date)) throw new CalendarInvalid('calendar_date_invalid', { value: String(date).slice(0, 40) });
  if (!inRange(date)) throw new CalendarInvalid('calendar_out_of_range', { min: FIRST_DATE, max: LAST_DATE });
}

/**
 * The calendar from the official data, the rules and the given overrides. Cheap to build: a year
 * is worked out the first time it is asked for, so a request that counts a few days touches one
 * or two years. The caller reads the overrides fresh (they are a handful of rows), so every server
 * process sees a decree the moment it is committed.
 */
export function buildCalendar(overrides: readonly Override[]): Calendar {
  const years = new Map<number, { view: YearView; off: Set<string>; worked: Set<string> }>();

  function yearData(year: number) {
    let data = years.get(year);
    if (!data) {
      checkYear(year);
      const own = overrides.filter((o) => yearOf(o.date) === year).sort((a, b) => (a.date < b.date ? -1 : 1));
      const days = applyChanges(
        baseYear(year),
        own.map((o) => ({ date: o.date, working: o.working, kind: 'override' as const, basis: o.basis })),
      );
      const off = new Set(days.daysOff.map((d) => d.date));
      const worked = new Set(days.workingWeekendDays.map((d) => d.date));
      const working = (date: string) => !off.has(date) && (isoWeekday(date) <= 5 || worked.has(date));
      const view: YearView = { ...days, workingDays: datesOfYear(year).filter(working).length, overrides: own };
      data = { view, off, worked };
      years.set(year, data);
    }
    return data;
  }

  function working(date: string): boolean {
    const { off, worked } = yearData(yearOf(date));
    return !off.has(date) && (isoWeekday(date) <= 5 || worked.has(date));
  }

  /** The next date, refusing to walk past the supported years. */
  function next(date: string, step: 1 | -1): string {
    const d = addDays(date, step);
    if (!inRange(d)) throw new CalendarInvalid('calendar_out_of_range', { min: FIRST_DATE, max: LAST_DATE });
    return d;
  }

  return {
    year: (year) => yearData(year).view,
    isWorkingDay(date) {
      checkDate(date);
      return working(date);
    },
    addWorkingDays(date, n) {
      checkDate(date);
      if (!Number.isSafeInteger(n) || n < 0) throw new CalendarInvalid('calendar_count_invalid', { value: String(n) });
      let d = date;
      if (n === 0) {
        while (!working(d)) d = next(d, 1);
        return d;
      }
      for (let left = n; left > 0; ) {
        d = next(d, 1);
        if (working(d)) left--;
      }
      return d;
    },
    workingDaysBetween(a, b) {
      checkDate(a);
      checkDate(b);
      const [from, to, sign] = a <= b ? [a, b, 1] : [b, a, -1];
      let count = 0;
      for (let d = from; d < to; ) {
        d = addDays(d, 1);
        if (working(d)) count++;
      }
      return sign * count;
    },
  };
}
