import { createHash } from 'node:crypto';
import { isPostgres, type Db, type Trx } from '../../storage/db.js';
import { insertReturningId } from '../accounts/queries.js';

/** The stored reports (table `reports`) and the e-mails that carry them (`report_mail`). */
type Q = Db | Trx;

export interface StoredRow {
  id: number;
  period: string;
  revision: number;
  from_date: string;
  to_date: string;
  data: string;
  sha256: string;
  origin: string;
  created_at: string;
  created_by: number | null;
  created_by_login: string | null;
  sent_at: string | null;
  sent_by: number | null;
  sent_by_login: string | null;
  sent_to: string | null;
}

const LIST_COLUMNS = ['id', 'period', 'revision', 'from_date', 'to_date', 'sha256', 'origin', 'created_at', 'created_by', 'created_by_login', 'sent_at', 'sent_by', 'sent_by_login', 'sent_to'];
export type StoredListRow = Omit<StoredRow, 'data'>;

const norm = <T extends { id: number; revision: number }>(r: T): T => ({ ...r, id: Number(r.id), revision: Number(r.revision) });

/**
 * Serialises the making of one half-year's report across server processes. PostgreSQL: a
 * transaction-scoped advisory lock on a key of the period (released at commit or rollback), so a
 * second process waits and then finds the report stored. SQLite: the transaction already holds the
 * database's single write lock (BEGIN IMMEDIATE, storage/db.ts), so there is nothing more to take.
 */
export async function lockPeriod(trx: Trx, period: string): Promise<void> {
  if (!isPostgres(trx as unknown as Db)) return;
  const key = createHash('sha256').update(`qoima:report:${period}`).digest().readBigInt64BE(0);
  await trx.raw('select pg_advisory_xact_lock(?::bigint)', [key.toString()]);
}

export async function lastRevision(q: Q, period: string): Promise<number> {
  const row = await q('reports').where({ period }).max({ n: 'revision' }).first();
  return Number(row?.n ?? 0);
}

export const insertReport = (trx: Trx, row: Omit<StoredRow, 'id'>) => insertReturningId(trx, 'reports', row);

export async function reportById(q: Q, id: number): Promise<StoredRow | undefined> {
  const row = await q('reports').where({ id }).first();
  return row ? norm(row as StoredRow) : undefined;
}

/** Stored reports, newest period and revision first; only sent ones when `sentOnly`. */
export async function listStored(q: Q, opts: { sentOnly: boolean; period?: string }): Promise<StoredListRow[]> {
  const query = q('reports').orderBy('period', 'desc').orderBy('revision', 'desc').select(LIST_COLUMNS);
  if (opts.sentOnly) query.whereNotNull('sent_at');
  if (opts.period) query.where({ period: opts.period });
  return (await query).map((r: StoredListRow) => norm(r));
}

/** Stamps a report sent — once: returns false when it was sent already (by another request). */
export async function markSent(trx: Trx, id: number, patch: { sent_at: string; sent_by: number | null; sent_by_login: string | null; sent_to: string }): Promise<boolean> {
  return (await trx('reports').where({ id }).whereNull('sent_at').update(patch)) === 1;
}

export interface Recipient {
  id: number;
  login: string;
  full_name: string;
  email: string | null;
  lang: string | null;
}

/** The authorized body's users who receive the report (Rules p.13): active authority viewers. */
export async function authorityViewers(q: Q): Promise<Recipient[]> {
  const rows = await q('users').where({ role: 'authority_viewer' }).whereNull('disabled_at').orderBy('id').select('id', 'login', 'full_name', 'email', 'lang');
  return rows.map((r: Recipient) => ({ ...r, id: Number(r.id) }));
}

// ------------------------------------------------------------------ the e-mails with the PDF

export interface MailRow {
  id: number;
  report_id: number;
  user_id: number | null;
  to_address: string;
  lang: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export const insertMail = (trx: Trx, row: Omit<MailRow, 'id'>) => insertReturningId(trx, 'report_mail', row);

export async function mailOf(q: Q, reportId: number): Promise<MailRow[]> {
  return (await q('report_mail').where({ report_id: reportId }).orderBy('id')).map((r: MailRow) => ({ ...r, id: Number(r.id), report_id: Number(r.report_id), attempts: Number(r.attempts) }));
}

export async function dueMail(q: Q, now: string, limit: number): Promise<MailRow[]> {
  return (await q('report_mail').where({ status: 'pending' }).andWhere('next_attempt_at', '<=', now).orderBy('id').limit(limit)).map((r: MailRow) => ({
    ...r,
    id: Number(r.id),
    report_id: Number(r.report_id),
    attempts: Number(r.attempts),
  }));
}

/** Takes a due row for one sender by moving its next attempt into the future (a lease). */
export async function claimMail(q: Q, row: MailRow, leaseUntil: string): Promise<boolean> {
  return (await q('report_mail').where({ id: row.id, status: 'pending', next_attempt_at: row.next_attempt_at }).update({ next_attempt_at: leaseUntil, attempts: row.attempts + 1 })) === 1;
}

export const updateMail = (q: Q, id: number, patch: Partial<MailRow>) => q('report_mail').where({ id }).update(patch);

/** Without SMTP the due rows are marked skipped: the report stays on its page for the authorized body. */
export const skipDueMail = (q: Q, now: string) => q('report_mail').where({ status: 'pending' }).andWhere('next_attempt_at', '<=', now).update({ status: 'skipped' });
