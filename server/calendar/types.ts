/**
 * The working-day calendar of Kazakhstan as the rest of the service uses it. Dates are calendar
 * dates in Asia/Almaty written `YYYY-MM-DD`; every deadline of the Rules is counted with these.
 */
export interface WorkingCalendar {
  isWorkingDay(date: string): boolean;
  /** The `n`th working day after `date` (n ≥ 0; n = 0 gives `date` itself if working, else the next working day). */
  addWorkingDays(date: string, n: number): string;
  /** Working days in (a, b]: after `a`, up to and including `b`; negative when b < a. */
  workingDaysBetween(a: string, b: string): number;
}

/** The calendar date in Asia/Almaty (UTC+5, no DST) of an instant. */
export function almatyDate(instant: Date): string {
  return new Date(instant.getTime() + 5 * 3_600_000).toISOString().slice(0, 10);
}
