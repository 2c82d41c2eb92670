import type { Db, Trx } from '../../storage/db.js';
import { isPostgres } from '../../storage/db.js';

export interface AuditRow {
  id: number;
  at: string;
  actor_user_id: number | null;
  actor_org_id: number | null;
  actor_login: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  details: string;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * The hash of the newest row, read under a lock that serializes appends: SQLite transactions already
 * hold the write lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock so that
 * two server processes never chain onto the same row.
 */
export async function lockAndReadLastHash(trx: Trx): Promise<string | null> {
  if (isPostgres(trx as unknown as Db)) await trx.raw("SELECT pg_advisory_xact_lock(hashtext('qoima.audit_events'))");
  const row = await trx('audit_events').select('hash').orderBy('id', 'desc').first();
  return row?.hash ?? null;
}

export async function insertAuditRow(trx: Trx, row: Omit<AuditRow, 'id'>): Promise<void> {
  await trx('audit_events').insert(row);
}

/** Rows in chain order, in pages, so verification of a long trail runs in bounded memory. */
export async function* auditRowsInOrder(db: Db, pageSize = 1000): AsyncGenerator<AuditRow> {
  let after = 0;
  for (;;) {
    const rows: AuditRow[] = await db('audit_events').where('id', '>', after).orderBy('id').limit(pageSize);
    if (rows.length === 0) return;
    for (const row of rows) yield { ...row, id: Number(row.id) };
    after = Number(rows[rows.length - 1].id);
  }
}

export async function listAuditRows(
  db: Db,
  filter: { subjectType?: string; subjectId?: string; action?: string; limit: number; beforeId?: number },
): Promise<AuditRow[]> {
  const q = db('audit_events').orderBy('id', 'desc').limit(filter.limit);
  if (filter.subjectType) q.where('subject_type', filter.subjectType);
  if (filter.subjectId) q.where('subject_id', filter.subjectId);
  if (filter.action) q.where('action', filter.action);
  if (filter.beforeId) q.where('id', '<', filter.beforeId);
  return q;
}
