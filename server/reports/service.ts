import type { Trx } from '../../storage/db.js';
import { isOperatorRole } from '../accounts/roles.js';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import { loadCalendar } from '../calendar/service.js';
import { almatyDate } from '../calendar/types.js';
import { SYSTEM_ACTOR, type Actor, type ServiceDeps } from '../deps.js';
import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { ReportConflict, ReportInvalid, ReportInvalidState, ReportNotFound } from './errors.js';
import { computeReport } from './load.js';
import type { ReportData } from './model.js';
import * as notices from './notices.js';
import { halfYear, parsePeriod, periodState, previousHalfYear, scheduleDay, type Period } from './period.js';
import * as sq from './store-queries.js';
import { toStored, type StoredReport } from './stored.js';

/**
 * The half-yearly report to the authorized body (Rules p.13): computed from the database for any
 * half-year (or, for the operator's own use, any range of days); stored unchangeably with its
 * SHA-256 — by the schedule on the first working day of January and July, or by an operator admin —
 * and sent to the authorized body by an operator admin, once.
 */

export type Origin = 'schedule' | 'operator' | 'cli';

export interface ReportQuery {
  period: string;
  from?: unknown;
  to?: unknown;
}

/** A period that may be reported on today: a future one is refused; one still running is a draft. */
function reportablePeriod(deps: ServiceDeps, query: ReportQuery): Period {
  const period = parsePeriod(query.period, query);
  if (periodState(period, almatyDate(deps.clock())) === 'future') throw new ReportInvalid('report_period_future', { from: period.from });
  return period;
}

/**
 * The report of a period. Operator staff get it computed now (a draft while the half-year runs);
 * the authorized body sees only what was sent to it: the latest sent revision of that half-year.
 */
export async function getReport(deps: ServiceDeps, principal: Principal, query: ReportQuery): Promise<{ data: ReportData; stored: StoredReport | null }> {
  if (!isOperatorRole(principal.roles[0])) {
    const period = halfYear(query.period);
    if (!period) throw new ReportInvalid('report_period_invalid', { value: query.period.slice(0, 40) });
    const [sent] = await sq.listStored(deps.db, { sentOnly: true, period: period.key! });
    if (!sent) throw new ReportNotFound({ period: period.key! });
    return getStored(deps, principal, sent.id).then((s) => ({ data: s.data, stored: s }));
  }
  const period = reportablePeriod(deps, query);
  return { data: await computeReport(deps.db, deps.clock, period), stored: null };
}

/** Stores the report of `period` as revision `revision` inside `trx`: one audit event, admins notified. */
async function insertStored(trx: Trx, deps: ServiceDeps, actor: Actor, period: Period, revision: number, origin: Origin): Promise<StoredReport> {
  const data = await computeReport(trx, deps.clock, period);
  const json = canonicalJson(data);
  const sha256 = sha256Hex(json);
  const createdAt = deps.clock().toISOString();
  const id = await sq.insertReport(trx, {
    period: period.key!,
    revision,
    from_date: period.from,
    to_date: period.to,
    data: json,
    sha256,
    origin,
    created_at: createdAt,
    created_by: actor.userId,
    created_by_login: actor.login,
    sent_at: null,
    sent_by: null,
    sent_by_login: null,
    sent_to: null,
  });
  await recordAudit(trx, deps.clock, actor, { action: 'report.stored', subjectType: 'report', subjectId: id, details: { period: period.key, revision, origin, sha256 } });
  await notices.reportReady(trx, deps.clock, { id, period: period.key!, revision, sha256, dueDate: period.dueDate });
  return toStored((await sq.reportById(trx, id))!);
}

/**
 * Rules p.13: stores the report of a half-year that has ended, as it stands now: the next revision
 * (a correction of an earlier one is a new revision; nothing stored is ever changed).
 */
export async function storeReport(deps: ServiceDeps, actor: Actor, input: { period: string }, origin: Origin = 'operator'): Promise<StoredReport> {
  const period = parsePeriod(String(input.period ?? ''));
  const state = periodState(period, almatyDate(deps.clock()));
  if (state === 'future') throw new ReportInvalid('report_period_future', { from: period.from });
  if (state === 'draft') throw new ReportInvalid('report_period_not_ended', { to: period.to });
  return deps.db.transaction(async (trx) => {
    await sq.lockPeriod(trx, period.key!);
    return insertStored(trx, deps, actor, period, (await sq.lastRevision(trx, period.key!)) + 1, origin);
  });
}

export interface ScheduleResult {
  period: string;
  stored: StoredReport | null;
  /** Why nothing was stored: not January or July, before the first working day, or stored already. */
  skipped: 'not_report_month' | 'before_first_working_day' | 'already_stored' | null;
}

/**
 * The scheduled job (Rules p.13): from the first working day of January and of July (Asia/Almaty),
 * stores the report of the half-year just ended unless one is stored — exactly once however many
 * server processes run it at the same moment (store-queries.ts lockPeriod, then the check inside
 * the lock; the unique (period, revision) is the last guard).
 */
export async function runScheduledReport(deps: ServiceDeps, now: Date = deps.clock()): Promise<ScheduleResult> {
  const today = almatyDate(now);
  const period = previousHalfYear(today);
  const result: ScheduleResult = { period: period.key!, stored: null, skipped: null };
  if (!['01', '07'].includes(today.slice(5, 7))) return { ...result, skipped: 'not_report_month' };
  const calendar = await loadCalendar(deps);
  if (today < scheduleDay(calendar, period)) return { ...result, skipped: 'before_first_working_day' };
  const at = { db: deps.db, clock: () => new Date(now) };
  return deps.db.transaction(async (trx) => {
    await sq.lockPeriod(trx, period.key!);
    if ((await sq.lastRevision(trx, period.key!)) > 0) return { ...result, skipped: 'already_stored' as const };
    return { ...result, stored: await insertStored(trx, at, SYSTEM_ACTOR, period, 1, 'schedule') };
  });
}

/**
 * Rules p.13: an operator admin sends a stored report to the authorized body — once, and only the
 * latest revision of its half-year. Records when, by whom and to whom; the PDF goes by e-mail to each
 * authority viewer with an address (report_mail, delivered after commit by mail.ts).
 */
export async function sendReport(deps: ServiceDeps, principal: Principal, actor: Actor, id: number): Promise<StoredReport> {
  return deps.db.transaction(async (trx) => {
    const row = await sq.reportById(trx, id);
    if (!row) throw new ReportNotFound({ id });
    await sq.lockPeriod(trx, row.period);
    if (row.sent_at) throw new ReportConflict('report_already_sent', { period: row.period });
    if ((await sq.lastRevision(trx, row.period)) !== row.revision) throw new ReportConflict('report_superseded', { period: row.period });
    const viewers = await sq.authorityViewers(trx);
    if (!viewers.length) throw new ReportInvalidState('report_no_recipients');
    const now = deps.clock().toISOString();
    const sentTo = viewers.map((v) => ({ userId: v.id, login: v.login, fullName: v.full_name, email: v.email }));
    if (!(await sq.markSent(trx, id, { sent_at: now, sent_by: principal.user.id, sent_by_login: principal.user.login, sent_to: canonicalJson(sentTo) }))) {
      throw new ReportConflict('report_already_sent', { period: row.period });
    }
    for (const v of viewers) {
      if (!v.email) continue;
      await sq.insertMail(trx, { report_id: id, user_id: v.id, to_address: v.email, lang: v.lang === 'kk' ? 'kk' : v.lang === 'en' ? 'en' : 'ru', status: 'pending', attempts: 0, next_attempt_at: now, last_error: null, created_at: now, sent_at: null });
    }
    await recordAudit(trx, deps.clock, actor, { action: 'report.sent', subjectType: 'report', subjectId: id, details: { period: row.period, revision: row.revision, sha256: row.sha256, to: sentTo.map((s) => s.login) } });
    await notices.reportSent(trx, deps.clock, { id, period: row.period, revision: row.revision, sha256: row.sha256, dueDate: halfYear(row.period)?.dueDate ?? null, sentBy: principal.user.fullName, recipients: viewers.length });
    return toStored((await sq.reportById(trx, id))!);
  });
}

/** Stored reports: all of them for operator staff, the sent ones for the authorized body. */
export async function listStored(deps: ServiceDeps, principal: Principal): Promise<StoredReport[]> {
  const rows = await sq.listStored(deps.db, { sentOnly: !isOperatorRole(principal.roles[0]) });
  return rows.map((r) => toStored(r));
}

/** One stored report with its data (checked against its SHA-256); the authorized body's only when sent. */
export async function getStored(deps: ServiceDeps, principal: Principal, id: number): Promise<StoredReport & { data: ReportData }> {
  const row = Number.isSafeInteger(id) ? await sq.reportById(deps.db, id) : undefined;
  if (!row || (!isOperatorRole(principal.roles[0]) && !row.sent_at)) throw new ReportNotFound({ id: String(id) });
  const stored = toStored(row, isOperatorRole(principal.roles[0]) ? await sq.mailOf(deps.db, id) : undefined);
  return { ...stored, data: JSON.parse(row.data) as ReportData };
}

export interface DueReport {
  period: string;
  dueDate: string;
  /** Calendar days until the due date (negative: overdue). */
  daysLeft: number;
  state: 'due' | 'overdue' | 'sent';
  stored: StoredReport | null;
}

/**
 * The report due next, as the dashboard shows it (Rules p.13: by the 10th of January and July):
 * from the day its half-year ends until it is sent, and through the month it was due once sent.
 */
export async function dueReport(deps: ServiceDeps): Promise<DueReport | null> {
  const today = almatyDate(deps.clock());
  const period = previousHalfYear(today);
  const rows = await sq.listStored(deps.db, { sentOnly: false, period: period.key! });
  const sent = rows.find((r) => r.sent_at);
  const dueDate = period.dueDate!;
  if (sent && today.slice(0, 7) !== dueDate.slice(0, 7)) return null;
  const daysLeft = Math.round((Date.parse(dueDate) - Date.parse(today)) / 86_400_000);
  return { period: period.key!, dueDate, daysLeft, state: sent ? 'sent' : daysLeft < 0 ? 'overdue' : 'due', stored: sent ? toStored(sent) : rows[0] ? toStored(rows[0]) : null };
}
