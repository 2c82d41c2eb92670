import type { Principal } from '../accounts/service.js';
import { attentionDeadlines } from '../deadlines/service.js';
import type { ServiceDeps } from '../deps.js';
import { OPERATOR_STAFF } from './kinds.js';
import * as q from './queries.js';
import { enqueue } from './service.js';

/**
 * Who the daily job reads deadlines as: operator staff, who see every system. Only the scoped
 * deadline query sees it (operator roles are not narrowed); it never signs anything.
 */
const SCHEDULER: Principal = Object.freeze({
  user: { id: 0, login: 'system', fullName: 'Qoima', role: 'operator_staff', lang: null, email: null },
  org: { id: 0, kind: 'operator', bin: '', nameKk: '', nameRu: '' },
  roles: ['operator_staff'],
  via: 'token',
  scopes: [],
}) as Principal;

export interface DigestResult {
  date: string;
  overdue: number;
  dueSoon: number;
  /** Operator users notified; 0 when nothing needs attention or the digest of `date` went out already. */
  notified: number;
}

/**
 * The daily deadline digest (issue 7 §3): operator staff are told which deadlines of the Rules are
 * overdue or due soon (≤ 1 working day left) as of `date` (YYYY-MM-DD, Asia/Almaty). Once per date:
 * a second run (another process, a restart) finds the digest sent and does nothing.
 */
export async function notifyDeadlines(deps: ServiceDeps, date: string): Promise<DigestResult> {
  const asOf = new Date(`${date}T09:00:00+05:00`);
  const attention = await attentionDeadlines({ db: deps.db, clock: () => asOf }, SCHEDULER, 200);
  const overdue = attention.filter((d) => d.state === 'overdue');
  const dueSoon = attention.filter((d) => d.state === 'due_soon');
  const result = { date, overdue: overdue.length, dueSoon: dueSoon.length, notified: 0 };
  if (!attention.length) return result;
  const key = `deadlines:${date}`;
  const items = [...overdue, ...dueSoon].slice(0, 50).map((d) => ({
    code: d.system.code,
    rule: d.rule,
    clause: d.clause,
    dueDate: d.dueDate,
    state: d.state,
    days: d.state === 'overdue' ? (d.workingDaysLate ?? 0) : (d.workingDaysLeft ?? 0),
  }));
  return deps.db.transaction(async (trx) => {
    if (await q.dedupeKeyUsed(trx, key)) return result;
    const notified = await enqueue(trx, deps.clock, {
      kind: 'deadlines_digest',
      to: [{ roles: OPERATOR_STAFF }],
      params: { date, overdue: overdue.length, dueSoon: dueSoon.length, items },
      link: '/',
      dedupeKey: key,
    });
    return { ...result, notified };
  });
}
