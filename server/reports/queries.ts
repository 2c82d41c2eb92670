import type { Db, Trx } from '../../storage/db.js';

/**
 * What the half-yearly report is computed from: the database only, never the repositories
 * (architecture.md: the inventory of each accepted deposit is stored so reports never walk them).
 * Every reader takes the instant bounds of the period (`[fromIso, toIso)`, ISO-8601 UTC as stored)
 * or its calendar dates; a caller inside a transaction passes the transaction.
 */
type Q = Db | Trx;

export interface Bounds {
  from: string;
  to: string;
  fromIso: string;
  toIso: string;
}

export interface ApplicationFact {
  id: number;
  org_id: number | null;
  status: string;
  submitted_at: string | null;
  received_on: string | null;
  registered_at: string | null;
  rejected_at: string | null;
}

/** Applications received, registered or rejected in the period (drafts never count). */
export function applicationFacts(q: Q, b: Bounds): Promise<ApplicationFact[]> {
  return q('applications')
    .whereNot('status', 'draft')
    .where((w) =>
      w
        .where((x) => x.where('submitted_at', '>=', b.fromIso).andWhere('submitted_at', '<', b.toIso))
        .orWhere((x) => x.where('received_on', '>=', b.from).andWhere('received_on', '<=', b.to))
        .orWhere((x) => x.where('registered_at', '>=', b.fromIso).andWhere('registered_at', '<', b.toIso))
        .orWhere((x) => x.where('rejected_at', '>=', b.fromIso).andWhere('rejected_at', '<', b.toIso)),
    )
    .orderBy('id')
    .select('id', 'org_id', 'status', 'submitted_at', 'received_on', 'registered_at', 'rejected_at');
}

/** Systems whose repository was formed in the period (Rules p.8). */
export async function formedFacts(q: Q, b: Bounds): Promise<{ id: number; formed_at: string }[]> {
  const rows = await q('systems').where('repository_formed_at', '>=', b.fromIso).andWhere('repository_formed_at', '<', b.toIso).orderBy('id').select('id', 'repository_formed_at as formed_at');
  return rows.map((r: { id: number; formed_at: string }) => ({ id: Number(r.id), formed_at: r.formed_at }));
}

/** Deposits received in the period, per system: pushes and uploads as the audit trail has them. */
export async function submissionFacts(q: Q, b: Bounds): Promise<{ action: string; n: number }[]> {
  const rows = await q('audit_events')
    .whereIn('action', ['repository.pushed', 'deposit.file_uploaded'])
    .andWhere('at', '>=', b.fromIso)
    .andWhere('at', '<', b.toIso)
    .groupBy('action')
    .select('action', q.raw('count(*) as n'));
  return rows.map((r: { action: string; n: number | string }) => ({ action: r.action, n: Number(r.n) }));
}

export interface DepositFact {
  id: number;
  system_id: number;
  version: number;
  accepted_at: string;
  override_reason: string | null;
  file_count: number;
  total_size: number;
}

/** Versions accepted in the period (Rules p.9): version 1 is a new system, later ones new versions. */
export async function depositFacts(q: Q, b: Bounds): Promise<DepositFact[]> {
  const rows = await q('deposits').where('accepted_at', '>=', b.fromIso).andWhere('accepted_at', '<', b.toIso).orderBy('accepted_at').orderBy('id')
    .select('id', 'system_id', 'version', 'accepted_at', 'override_reason', 'file_count', 'total_size');
  return rows.map((r: DepositFact) => ({ ...r, id: Number(r.id), system_id: Number(r.system_id), version: Number(r.version), file_count: Number(r.file_count), total_size: Number(r.total_size) }));
}

/** The volume of the versions accepted in the period, by category of Rules p.5. */
export async function categoryFacts(q: Q, b: Bounds): Promise<{ category: string; files: number; bytes: number }[]> {
  const rows = await q('deposit_files as f')
    .join('deposits as d', 'd.id', 'f.deposit_id')
    .where('d.accepted_at', '>=', b.fromIso)
    .andWhere('d.accepted_at', '<', b.toIso)
    .groupBy('f.category')
    .select('f.category', q.raw('count(*) as files'), q.raw('sum(f.size) as bytes'));
  return rows.map((r: { category: string; files: number | string; bytes: number | string | null }) => ({ category: r.category, files: Number(r.files), bytes: Number(r.bytes ?? 0) }));
}

export interface GrantFact {
  id: number;
  system_id: number;
  org_id: number;
  purpose: string;
  granted_at: string;
  revoked_at: string | null;
}

/** Access grants given or revoked in the period (Rules p.10). */
export async function grantFacts(q: Q, b: Bounds): Promise<GrantFact[]> {
  const rows = await q('access_grants')
    .where((w) =>
      w.where((x) => x.where('granted_at', '>=', b.fromIso).andWhere('granted_at', '<', b.toIso)).orWhere((x) => x.where('revoked_at', '>=', b.fromIso).andWhere('revoked_at', '<', b.toIso)),
    )
    .orderBy('id')
    .select('id', 'system_id', 'org_id', 'purpose', 'granted_at', 'revoked_at');
  return rows.map((r: GrantFact) => ({ ...r, id: Number(r.id), system_id: Number(r.system_id), org_id: Number(r.org_id) }));
}

export interface ReturnFact {
  system_id: number;
  /** Rules p.11: the body's notice of the withdrawal reached the operator. */
  notified_at: string | null;
  /** Rules p.11: the deposit handed back — the first return package that became ready. */
  returned_at: string | null;
  /** Rules p.12: the transfer to the state archive recorded. */
  archived_at: string | null;
}

/** Notices, returns and archive transfers of the period (server/returns' tables, Rules p.11–12). */
export async function returnFacts(q: Q, b: Bounds): Promise<ReturnFact[]> {
  const ready = q('return_packages').where('status', 'ready').groupBy('return_id').select('return_id', q.raw('min(finished_at) as returned_at'));
  const inRange = (col: string) => (x: ReturnType<Q>) => x.where(col, '>=', b.fromIso).andWhere(col, '<', b.toIso);
  const rows = await q('returns as r')
    .leftJoin(ready.as('p'), 'p.return_id', 'r.id')
    .where((w) => w.where(inRange('r.notified_at')).orWhere(inRange('r.archived_at')).orWhere(inRange('p.returned_at')))
    .orderBy('r.id')
    .select('r.system_id', 'r.notified_at', 'p.returned_at', 'r.archived_at');
  return rows.map((r: ReturnFact) => ({ ...r, system_id: Number(r.system_id) }));
}

export interface DeadlineFact {
  system_id: number;
  rule_key: string;
  clause: string;
  start_date: string;
  due_date: string;
  met_on: string | null;
}

/** Deadlines that could count in the period: started by its end and not met before it began. */
export async function deadlineFacts(q: Q, b: Bounds): Promise<DeadlineFact[]> {
  const rows = await q('deadlines')
    .where('start_date', '<=', b.to)
    .andWhere((w) => w.whereNull('met_on').orWhere('met_on', '>=', b.from))
    .orderBy('due_date')
    .orderBy('id')
    .select('system_id', 'rule_key', 'clause', 'start_date', 'due_date', 'met_on');
  return rows.map((r: DeadlineFact) => ({ ...r, system_id: Number(r.system_id) }));
}

export interface SystemFact {
  id: number;
  code: string;
  name_kk: string;
  name_ru: string;
  owner_org_id: number;
}

export interface OrgFact {
  id: number;
  bin: string;
  name_kk: string;
  name_ru: string;
}

const CHUNK = 500;

async function byIds<T>(ids: Iterable<number>, load: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const all = [...new Set(ids)];
  const out: T[] = [];
  for (let i = 0; i < all.length; i += CHUNK) out.push(...(await load(all.slice(i, i + CHUNK))));
  return out;
}

export async function systemsByIds(q: Q, ids: Iterable<number>): Promise<SystemFact[]> {
  const rows = await byIds(ids, (chunk) => q('systems').whereIn('id', chunk).select('id', 'code', 'name_kk', 'name_ru', 'owner_org_id'));
  return rows.map((r) => ({ ...r, id: Number(r.id), owner_org_id: Number(r.owner_org_id) }));
}

export async function orgsByIds(q: Q, ids: Iterable<number>): Promise<OrgFact[]> {
  const rows = await byIds(ids, (chunk) => q('organizations').whereIn('id', chunk).select('id', 'bin', 'name_kk', 'name_ru'));
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
