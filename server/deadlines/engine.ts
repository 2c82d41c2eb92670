import type { WorkingCalendar } from '../calendar/types.js';
import type { DeadlineRule } from './rules.js';

/**
 * The deadline engine's pure part: due dates and states from a working-day calendar. No storage, no
 * clock: the service passes "today" (Asia/Almaty) and the calendar, tests pass their own.
 */

export const DEADLINE_STATES = ['pending', 'due_soon', 'overdue', 'met', 'met_late'] as const;
export type DeadlineState = (typeof DEADLINE_STATES)[number];

/** How many working days before the due date a deadline counts as due soon (brief: ≤ 1 WD left). */
export const DUE_SOON_WORKING_DAYS = 1;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The due date of `rule` whose clock started on `startDate`: the Nth working day after it. */
export function dueDate(calendar: WorkingCalendar, rule: Pick<DeadlineRule, 'workingDays'>, startDate: string): string {
  if (!DATE.test(startDate)) throw new Error(`not a YYYY-MM-DD date: ${startDate}`);
  return calendar.addWorkingDays(startDate, rule.workingDays);
}

export interface DeadlineStatus {
  state: DeadlineState;
  /** Working days from today to the due date (pending, due_soon); 0 on the due date itself. */
  workingDaysLeft: number | null;
  /** Working days past the due date (overdue: as of today; met_late: when it was met). */
  workingDaysLate: number | null;
}

/**
 * Working days between the due date and a later day, at least 1: a day off after the due date is
 * still late, and counts as the working day it delayed.
 */
function lateBy(calendar: WorkingCalendar, due: string, later: string): number {
  return Math.max(1, calendar.workingDaysBetween(due, later));
}

/** The state of a deadline as of `today`: met on time, met late, or still open (pending, due soon, overdue). */
export function deadlineStatus(calendar: WorkingCalendar, deadline: { dueDate: string; metOn: string | null }, today: string): DeadlineStatus {
  const { dueDate: due, metOn } = deadline;
  if (metOn) {
    return metOn <= due
      ? { state: 'met', workingDaysLeft: null, workingDaysLate: null }
      : { state: 'met_late', workingDaysLeft: null, workingDaysLate: lateBy(calendar, due, metOn) };
  }
  if (today > due) return { state: 'overdue', workingDaysLeft: null, workingDaysLate: lateBy(calendar, due, today) };
  const left = calendar.workingDaysBetween(today, due);
  return { state: left <= DUE_SOON_WORKING_DAYS ? 'due_soon' : 'pending', workingDaysLeft: left, workingDaysLate: null };
}
