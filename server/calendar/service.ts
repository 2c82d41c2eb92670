import { recordAudit } from '../audit/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import { parseInput } from '../util/validate.js';
import { buildCalendar, type Calendar, type YearView } from './calendar.js';
import { FIRST_DATE, inRange, LAST_DATE } from './dates.js';
import { CalendarInvalid, OverrideNotFound } from './errors.js';
import * as q from './queries.js';
import { OverrideDateParams, OverrideInput, WorkingDaysQuery, YearParams } from './schemas.js';

export type { Calendar, YearView } from './calendar.js';
export type { OverrideRecord } from './queries.js';

/**
 * The working calendar of Kazakhstan as it stands now: official data, rules, and the decrees the
 * operator entered. Every deadline of the Rules is counted in working days (Rules pp.7–11), and the
 * Government moves days off each year, so the overrides are read on every call: they are a few rows,
 * and a decree entered through one server process counts in all of them at once.
 */
export async function loadCalendar(deps: ServiceDeps): Promise<Calendar> {
  return buildCalendar(await q.listOverrides(deps.db));
}

/** One year: its days off (by kind, named in kk/ru/en), working weekend days and working-day count. */
export async function calendarYear(deps: ServiceDeps, input: unknown): Promise<YearView> {
  const { year } = parseInput(YearParams, input);
  return (await loadCalendar(deps)).year(year);
}

/** A date the calendar does not cover is refused naming the field it came in. */
function requireCovered(date: string, field: string): void {
  if (!inRange(date)) throw new CalendarInvalid('calendar_out_of_range', { min: FIRST_DATE, max: LAST_DATE }, { [field]: { key: 'calendar.fields.date_out_of_range' } });
}

/** The `add`-th working day after `from` (how every deadline is counted). */
export async function workingDayAfter(deps: ServiceDeps, input: unknown): Promise<{ from: string; add: number; date: string }> {
  const { from, add } = parseInput(WorkingDaysQuery, input);
  requireCovered(from, 'from');
  const calendar = await loadCalendar(deps);
  try {
    return { from, add, date: calendar.addWorkingDays(from, add) };
  } catch (err) {
    // Only a count that walks past 2100 gets here: the inputs were checked above.
    if (err instanceof CalendarInvalid) throw new CalendarInvalid(err.code as 'calendar_out_of_range', err.params, { add: { key: 'calendar.fields.beyond_range' } });
    throw err;
  }
}

export async function listOverrides(deps: ServiceDeps): Promise<q.OverrideRecord[]> {
  return q.listOverrides(deps.db);
}

/**
 * Sets a Government decree for one date: worked (`working: true`) or off. The Government moves days
 * off every year and the operator must follow without a release (regulation: working days). A
 * second decree for the same date replaces the first; the audit event keeps what it replaced.
 */
export async function setOverride(deps: ServiceDeps, actor: Actor, input: unknown): Promise<{ override: q.OverrideRecord; created: boolean }> {
  const data = parseInput(OverrideInput, input);
  requireCovered(data.date, 'date');
  return deps.db.transaction(async (trx) => {
    const previous = await q.overrideByDate(trx, data.date);
    await q.upsertOverride(trx, { date: data.date, working: data.working, basis: data.basis, created_by: actor.userId, created_at: deps.clock().toISOString() });
    await recordAudit(trx, deps.clock, actor, {
      action: 'calendar.override_set',
      subjectType: 'calendar_day',
      subjectId: data.date,
      details: { working: data.working, basis: data.basis, replaced: previous ? { working: previous.working, basis: previous.basis } : null },
    });
    return { override: (await q.overrideByDate(trx, data.date))!, created: previous === null };
  });
}

/** Removes the decree of one date: the day is again what the official data and the rules say. */
export async function removeOverride(deps: ServiceDeps, actor: Actor, input: unknown): Promise<q.OverrideRecord> {
  const { date } = parseInput(OverrideDateParams, input);
  requireCovered(date, 'date');
  return deps.db.transaction(async (trx) => {
    const existing = await q.overrideByDate(trx, date);
    if (!existing) throw new OverrideNotFound(date);
    await q.deleteOverride(trx, date);
    await recordAudit(trx, deps.clock, actor, {
      action: 'calendar.override_removed',
      subjectType: 'calendar_day',
      subjectId: date,
      details: { working: existing.working, basis: existing.basis },
    });
    return existing;
  });
}
