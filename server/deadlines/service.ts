import type { Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { loadCalendar } from '../calendar/service.js';
import { almatyDate, type WorkingCalendar } from '../calendar/types.js';
import type { ServiceDeps } from '../deps.js';
import { deadlineStatus, dueDate, DUE_SOON_WORKING_DAYS, type DeadlineStatus } from './engine.js';
import * as q from './queries.js';
import { CURRENT_EDITION, EDITIONS, type RuleKey } from './rules.js';

/**
 * The deadline engine as the other modules use it. A deadline is fixed (computed and stored) when its
 * clock starts, under the edition of the Rules then current; a later calendar correction or a new
 * edition never rewrites it. Its state (pending, due soon, overdue, met, met late) is worked out
 * against today whenever it is read.
 *
 * `startDeadline` and `meetDeadline` run inside the caller's transaction (the state change that starts
 * or meets the clock), which records the audit event; they record none of their own.
 */

export interface Deadline extends DeadlineStatus {
  id: number;
  systemId: number;
  rule: RuleKey;
  ref: string;
  edition: string;
  clause: string;
  workingDays: number;
  startDate: string;
  dueDate: string;
  metOn: string | null;
  computedAt: string;
}

export interface DeadlineOnSystem extends Deadline {
  system: { code: string; nameKk: string; nameRu: string; status: string };
}

interface Ctx {
  clock: () => Date;
}

/** The working calendar as it stands, read through the caller's transaction when there is one. */
export function calendarFor(deps: Ctx & { db: ServiceDeps['db'] }, trx?: Trx): Promise<WorkingCalendar> {
  return loadCalendar({ db: trx ?? deps.db, clock: deps.clock });
}

function toDeadline(row: q.DeadlineRow, calendar: WorkingCalendar, today: string): Deadline {
  return {
    id: row.id,
    systemId: row.system_id,
    rule: row.rule_key as RuleKey,
    ref: row.ref,
    edition: row.edition,
    clause: row.clause,
    workingDays: row.working_days,
    startDate: row.start_date,
    dueDate: row.due_date,
    metOn: row.met_on,
    computedAt: row.computed_at,
    ...deadlineStatus(calendar, { dueDate: row.due_date, metOn: row.met_on }, today),
  };
}

export interface StartInput {
  systemId: number;
  rule: RuleKey;
  /** The day the clock started (Asia/Almaty), e.g. the registration date for p.8. */
  startDate: string;
  /** For a rule that runs more than once per system: what this one is about (`application:12`). */
  ref?: string;
  /** The calendar to count with; read from the database (through `trx`) when not given. */
  calendar?: WorkingCalendar;
}

/**
 * Starts the clock of `rule` for a system: computes the due date under the current edition and stores
 * it. Starting a deadline that is already stored changes nothing and returns the stored one: a fixed
 * deadline is history.
 */
export async function startDeadline(trx: Trx, deps: Ctx, input: StartInput): Promise<Deadline> {
  const ref = input.ref ?? '';
  const calendar = input.calendar ?? (await loadCalendar({ db: trx, clock: deps.clock }));
  const today = almatyDate(deps.clock());
  const existing = await q.deadlineOf(trx, input.systemId, input.rule, ref);
  if (existing) return toDeadline(existing, calendar, today);
  const rule = CURRENT_EDITION.rules[input.rule];
  const row = {
    system_id: input.systemId,
    rule_key: rule.key,
    ref,
    edition: CURRENT_EDITION.id,
    clause: rule.clause,
    working_days: rule.workingDays,
    start_date: input.startDate,
    due_date: dueDate(calendar, rule, input.startDate),
    met_on: null,
    computed_at: deps.clock().toISOString(),
    met_at: null,
  };
  const id = await q.insertDeadline(trx, row);
  return toDeadline({ id, ...row }, calendar, today);
}

export interface MeetInput {
  systemId: number;
  rule: RuleKey;
  ref?: string;
  /** The day the obligation was fulfilled (Asia/Almaty); today when not given. */
  metOn?: string;
  calendar?: WorkingCalendar;
}

/**
 * Marks `rule` met for a system on `metOn`. Returns the deadline with its state (met or met late), or
 * null when its clock was never started. A deadline already met keeps the day it was first met.
 */
export async function meetDeadline(trx: Trx, deps: Ctx, input: MeetInput): Promise<Deadline | null> {
  const ref = input.ref ?? '';
  const existing = await q.deadlineOf(trx, input.systemId, input.rule, ref);
  if (!existing) return null;
  const calendar = input.calendar ?? (await loadCalendar({ db: trx, clock: deps.clock }));
  const now = deps.clock();
  const metOn = input.metOn ?? almatyDate(now);
  if (!existing.met_on) await q.markMet(trx, existing.id, metOn, now.toISOString());
  const row = existing.met_on ? existing : { ...existing, met_on: metOn, met_at: now.toISOString() };
  return toDeadline(row, calendar, almatyDate(now));
}

/** Every deadline of a system with its state as of today, soonest due first. */
export async function deadlinesOfSystem(deps: ServiceDeps, systemId: number): Promise<Deadline[]> {
  const rows = await q.deadlinesOfSystem(deps.db, systemId);
  if (!rows.length) return [];
  const calendar = await calendarFor(deps);
  const today = almatyDate(deps.clock());
  return rows.map((r) => toDeadline(r, calendar, today));
}

/**
 * What needs attention now, in the principal's scope: open deadlines that are overdue or due soon
 * (≤ 1 working day left), soonest due first (the dashboard).
 */
export async function attentionDeadlines(deps: ServiceDeps, principal: Principal, limit = 50): Promise<DeadlineOnSystem[]> {
  const calendar = await calendarFor(deps);
  const today = almatyDate(deps.clock());
  const dueBy = calendar.addWorkingDays(today, DUE_SOON_WORKING_DAYS);
  const rows = await q.openDeadlinesDueBy(deps.db, principal, dueBy, limit);
  return rows.map((r) => ({
    ...toDeadline(r, calendar, today),
    system: { code: r.system_code, nameKk: r.system_name_kk, nameRu: r.system_name_ru, status: r.system_status },
  }));
}

/** The edition a stored deadline was computed under, as cited (unknown ids are shown as stored). */
export function editionTitle(id: string): string {
  return EDITIONS[id]?.title ?? id;
}
