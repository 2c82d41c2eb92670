import type { Actor, ServiceDeps } from '../deps.js';
import type { Trx } from '../../storage/db.js';
import { canonicalJson, sha256Hex } from '../util/canonical-json.js';
import { auditRowsInOrder, insertAuditRow, lockAndReadLastHash, listAuditRows, type AuditRow } from './queries.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  action: string;
  subjectType?: string;
  subjectId?: string | number;
  details?: Record<string, unknown>;
}

/** What a row's hash covers: every column but the id and the hash itself. */
function rowHash(row: Omit<AuditRow, 'id' | 'hash'>): string {
  return sha256Hex(
    canonicalJson([
      row.prev_hash,
      row.at,
      row.actor_user_id,
      row.actor_org_id,
      row.actor_login,
      row.action,
      row.subject_type,
      row.subject_id,
      row.details,
      row.ip,
    ]),
  );
}

/**
 * Appends one event to the hash-chained trail, inside the caller's transaction: the event exists
 * exactly when the state change it records does.
 */
export async function recordAudit(trx: Trx, clock: () => Date, actor: Actor, event: AuditEvent): Promise<void> {
  const prev = (await lockAndReadLastHash(trx)) ?? GENESIS_HASH;
  const row = {
    at: clock().toISOString(),
    actor_user_id: actor.userId,
    actor_org_id: actor.orgId,
    actor_login: actor.login,
    action: event.action,
    subject_type: event.subjectType ?? null,
    subject_id: event.subjectId === undefined ? null : String(event.subjectId),
    details: canonicalJson(event.details ?? {}),
    ip: actor.ip,
    prev_hash: prev,
  };
  await insertAuditRow(trx, { ...row, hash: rowHash(row) });
}

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  /** The first row that breaks the chain, and why. */
  firstBad?: { id: number; reason: 'content_changed' | 'chain_broken' };
}

/** Walks the trail in order: an edited row fails its own hash; a deleted or inserted row breaks the link. */
export async function verifyAuditChain(deps: ServiceDeps): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let checked = 0;
  for await (const row of auditRowsInOrder(deps.db)) {
    if (row.prev_hash !== prev) return { ok: false, checked, firstBad: { id: row.id, reason: 'chain_broken' } };
    const { id: _id, hash, ...content } = row;
    if (rowHash(content) !== hash) return { ok: false, checked, firstBad: { id: row.id, reason: 'content_changed' } };
    prev = hash;
    checked++;
  }
  return { ok: true, checked };
}

export interface AuditEntry {
  id: number;
  at: string;
  actorLogin: string | null;
  actorOrgId: number | null;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  hash: string;
}

export async function listAudit(
  deps: ServiceDeps,
  filter: { subjectType?: string; subjectId?: string; action?: string; limit?: number; beforeId?: number },
): Promise<AuditEntry[]> {
  const rows = await listAuditRows(deps.db, { ...filter, limit: Math.min(filter.limit ?? 100, 1000) });
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actorLogin: r.actor_login,
    actorOrgId: r.actor_org_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
    ip: r.ip,
    hash: r.hash,
  }));
}
