import type { Db, Trx } from '../../storage/db.js';
import { loadCalendar } from '../calendar/service.js';
import { almatyDate } from '../calendar/types.js';
import { buildReport, referencedIds, type Facts } from './compute.js';
import type { ReportData } from './model.js';
import { dayEndIso, dayStartIso, type Period } from './period.js';
import * as q from './queries.js';

/**
 * Computes the report of a period from the database as it stands (through `db`, which is the
 * transaction when the report is being stored, so what is stored is one consistent snapshot).
 */
export async function computeReport(db: Db | Trx, clock: () => Date, period: Period): Promise<ReportData> {
  const now = clock();
  const today = almatyDate(now);
  const to = period.to < today ? period.to : today;
  const bounds: q.Bounds = { from: period.from, to, fromIso: dayStartIso(period.from), toIso: dayEndIso(to) };
  // One query after another: on SQLite the connection (and inside a transaction, the transaction) is one.
  const applications = await q.applicationFacts(db, bounds);
  const formed = await q.formedFacts(db, bounds);
  const submissions = await q.submissionFacts(db, bounds);
  const deposits = await q.depositFacts(db, bounds);
  const categories = await q.categoryFacts(db, bounds);
  const grants = await q.grantFacts(db, bounds);
  const returns = await q.returnFacts(db, bounds);
  const deadlines = await q.deadlineFacts(db, bounds);
  const partial = { applications, formed, submissions, deposits, categories, grants, returns, deadlines };
  const ids = referencedIds(partial);
  const systems = await q.systemsByIds(db, ids.systems);
  for (const s of systems) ids.orgs.add(s.owner_org_id);
  const orgs = await q.orgsByIds(db, ids.orgs);
  const facts: Facts = { ...partial, systems, orgs };
  const calendar = await loadCalendar({ db, clock });
  return buildReport(facts, calendar, { period, today, generatedAt: now.toISOString() });
}
