import type { YearView } from './calendar.js';
import { datesOfYear, isoWeekday } from './dates.js';
import type { DayOff, WorkingWeekendDay } from './rules.js';

export interface GridCell {
  date: string;
  day: number;
  /** 1 = Monday … 7 = Sunday. */
  weekday: number;
  off: DayOff | null;
  worked: WorkingWeekendDay | null;
  working: boolean;
  today: boolean;
}

export interface GridMonth {
  month: number;
  /** Monday-first weeks; null pads the days of the neighbouring months. */
  weeks: (GridCell | null)[][];
  workingDays: number;
}

/** A year as twelve month grids with Monday-first weeks, for the calendar page. */
export function yearGrid(view: YearView, today: string): GridMonth[] {
  const off = new Map(view.daysOff.map((d) => [d.date, d]));
  const worked = new Map(view.workingWeekendDays.map((d) => [d.date, d]));
  const months: GridMonth[] = Array.from({ length: 12 }, (_, i) => ({ month: i + 1, weeks: [], workingDays: 0 }));
  for (const date of datesOfYear(view.year)) {
    const month = months[Number(date.slice(5, 7)) - 1];
    const weekday = isoWeekday(date);
    const cell: GridCell = {
      date,
      day: Number(date.slice(8, 10)),
      weekday,
      off: off.get(date) ?? null,
      worked: worked.get(date) ?? null,
      working: !off.has(date) && (weekday <= 5 || worked.has(date)),
      today: date === today,
    };
    if (cell.working) month.workingDays++;
    if (month.weeks.length === 0 || weekday === 1) month.weeks.push(Array(7).fill(null));
    month.weeks[month.weeks.length - 1][weekday - 1] = cell;
  }
  return months;
}
