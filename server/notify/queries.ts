import type { Db, Trx } from '../../storage/db.js';
import { insertReturningId } from '../accounts/queries.js';
import type { SystemRow } from '../systems/queries.js';

type Q = Db | Trx;

export interface RecipientRow {
  id: number;
  org_id: number;
  login: string;
  email: string | null;
  lang: string | null;
}

export interface NotificationRow {
  id: number;
  user_id: number;
  kind: string;
  params: string;
  link: string | null;
  dedupe_key: string | null;
  created_at: string;
  read_at: string | null;
}

export interface OutboxRow {
  id: number;
  notification_id: number | null;
  user_id: number | null;
  to_address: string;
  lang: string;
  kind: string;
  params: string;
  link: string | null;
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

const RECIPIENT_COLUMNS = ['users.id', 'users.org_id', 'users.login', 'users.email', 'users.lang'];
const normalizeUser = (r: RecipientRow): RecipientRow => ({ ...r, id: Number(r.id), org_id: Number(r.org_id) });

/** Active users by id, by organisation (optionally only some roles) or by role. */
export async function activeUsers(q: Q, by: { ids?: number[]; orgId?: number; roles?: string[] }): Promise<RecipientRow[]> {
  const query = q('users').select(RECIPIENT_COLUMNS).whereNull('users.disabled_at').orderBy('users.id');
  if (by.ids) query.whereIn('users.id', by.ids);
  if (by.orgId !== undefined) query.where('users.org_id', by.orgId);
  if (by.roles) query.whereIn('users.role', by.roles);
  return (await query).map(normalizeUser);
}

export const insertNotification = (trx: Trx, row: Omit<NotificationRow, 'id'>) => insertReturningId(trx, 'notifications', row);
export const insertOutbox = (trx: Trx, row: Omit<OutboxRow, 'id'>) => insertReturningId(trx, 'mail_outbox', row);

export async function dedupeKeyUsed(q: Q, key: string): Promise<boolean> {
  return (await q('notifications').where({ dedupe_key: key }).first('id')) !== undefined;
}

const normalizeNotification = (r: NotificationRow): NotificationRow => ({ ...r, id: Number(r.id), user_id: Number(r.user_id) });

export async function notificationsOf(q: Q, userId: number, opts: { unreadOnly: boolean; limit: number; beforeId?: number }): Promise<NotificationRow[]> {
  const query = q('notifications').where({ user_id: userId }).orderBy('id', 'desc').limit(opts.limit);
  if (opts.unreadOnly) query.whereNull('read_at');
  if (opts.beforeId) query.where('id', '<', opts.beforeId);
  return (await query).map(normalizeNotification);
}

export async function countUnread(q: Q, userId: number): Promise<number> {
  const row = await q('notifications').where({ user_id: userId }).whereNull('read_at').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export async function notificationOf(q: Q, userId: number, id: number): Promise<NotificationRow | undefined> {
  const row = await q('notifications').where({ id, user_id: userId }).first();
  return row ? normalizeNotification(row) : undefined;
}

export const markRead = (q: Q, userId: number, ids: number[] | 'all', at: string): Promise<number> => {
  const query = q('notifications').where({ user_id: userId }).whereNull('read_at');
  if (ids !== 'all') query.whereIn('id', ids);
  return query.update({ read_at: at });
};

// ------------------------------------------------------------------ the e-mail outbox

const normalizeOutbox = (r: OutboxRow): OutboxRow => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) });

export async function dueOutbox(q: Q, now: string, limit: number): Promise<OutboxRow[]> {
  return (await q('mail_outbox').where({ status: 'pending' }).where('next_attempt_at', '<=', now).orderBy('id').limit(limit)).map(normalizeOutbox);
}

/**
 * Takes a due row for sending: pushes its next attempt out by a lease and counts the attempt — only
 * if no one else took it meanwhile (same status and due time as read). Returns whether it is ours.
 */
export async function claimOutbox(q: Q, row: OutboxRow, leaseUntil: string): Promise<boolean> {
  const n = await q('mail_outbox')
    .where({ id: row.id, status: 'pending', next_attempt_at: row.next_attempt_at })
    .update({ next_attempt_at: leaseUntil, attempts: row.attempts + 1 });
  return n === 1;
}

export const updateOutbox = (q: Q, id: number, patch: Partial<OutboxRow>) => q('mail_outbox').where({ id }).update(patch);

export async function skipAllDue(q: Q, now: string): Promise<number> {
  return q('mail_outbox').where({ status: 'pending' }).where('next_attempt_at', '<=', now).update({ status: 'skipped', last_error: 'no SMTP_URL configured' });
}

export async function outboxRows(q: Q, filter: { status?: OutboxRow['status'] } = {}): Promise<OutboxRow[]> {
  const query = q('mail_outbox').orderBy('id');
  if (filter.status) query.where({ status: filter.status });
  return (await query).map(normalizeOutbox);
}

// ------------------------------------------------------------------ what notices tell about

export interface ApplicationFacts {
  id: number;
  number: string | null;
  org_id: number | null;
  system_code: string | null;
  complex_name: string | null;
  reject_reason: string | null;
  org_bin: string | null;
  org_name_kk: string | null;
  org_name_ru: string | null;
  reg_year: number | null;
  reg_no: number | null;
}

export async function applicationFacts(q: Q, id: number): Promise<ApplicationFacts | undefined> {
  const row = await q('applications as a')
    .leftJoin('organizations as o', 'o.id', 'a.org_id')
    .leftJoin('register_entries as r', 'r.application_id', 'a.id')
    .where('a.id', id)
    .first('a.id', 'a.number', 'a.org_id', 'a.system_code', 'a.complex_name', 'a.reject_reason', 'o.bin as org_bin', 'o.name_kk as org_name_kk', 'o.name_ru as org_name_ru', 'r.year as reg_year', 'r.register_no as reg_no');
  return row ? { ...row, id: Number(row.id), org_id: row.org_id === null ? null : Number(row.org_id) } : undefined;
}

/** A system as notices describe it: its names and the owner's BIN and names. */
export type SystemFacts = Pick<SystemRow, 'id' | 'code' | 'name_kk' | 'name_ru' | 'owner_org_id' | 'developer_org_id'> & {
  owner_bin: string;
  owner_name_kk: string;
  owner_name_ru: string;
};

export async function systemFacts(q: Q, id: number): Promise<SystemFacts | undefined> {
  const row = await q('systems as s')
    .join('organizations as o', 'o.id', 's.owner_org_id')
    .where('s.id', id)
    .first('s.id', 's.code', 's.name_kk', 's.name_ru', 's.owner_org_id', 's.developer_org_id', 'o.bin as owner_bin', 'o.name_kk as owner_name_kk', 'o.name_ru as owner_name_ru');
  return row
    ? { ...row, id: Number(row.id), owner_org_id: Number(row.owner_org_id), developer_org_id: row.developer_org_id === null ? null : Number(row.developer_org_id) }
    : undefined;
}
