import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { scopeSystems } from '../systems/policy.js';
import { insertReturningId } from '../accounts/queries.js';

type Q = Db | Trx;

/** A row of `deposits` (booleans and numbers normalised: SQLite and PostgreSQL answer differently). */
export interface DepositRow {
  id: number;
  system_id: number;
  version: number;
  commit_id: string;
  tag: string;
  tag_oid: string;
  accepted_at: string;
  accepted_by: number | null;
  accepted_by_login: string | null;
  override_reason: string | null;
  file_count: number;
  total_size: number;
  error_count: number;
  warning_count: number;
  categories: string;
  third_party: string;
  facts: string;
  manifest_sha256: string;
  act_sha256: string;
  deadline_state: string | null;
}

export interface FileRow {
  deposit_id: number;
  path: string;
  category: string;
  size: number;
  sha256: string | null;
  git_oid: string;
  mode: string;
  file_type: string;
  lfs: boolean;
  lfs_present: boolean | null;
}

export interface FindingRow {
  deposit_id: number;
  code: string;
  severity: string;
  path: string | null;
  params: string;
}

const bool = (v: unknown) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1');
const num = (v: unknown) => Number(v);

function normalizeDeposit(r: DepositRow): DepositRow {
  return { ...r, id: num(r.id), system_id: num(r.system_id), version: num(r.version), accepted_by: r.accepted_by === null ? null : num(r.accepted_by), file_count: num(r.file_count), total_size: num(r.total_size), error_count: num(r.error_count), warning_count: num(r.warning_count) };
}

function normalizeFile(r: FileRow): FileRow {
  return { ...r, deposit_id: num(r.deposit_id), size: num(r.size), lfs: bool(r.lfs) === true, lfs_present: bool(r.lfs_present) };
}

export async function depositsOfSystem(q: Q, systemId: number): Promise<DepositRow[]> {
  return (await q('deposits').where({ system_id: systemId }).orderBy('version', 'desc')).map(normalizeDeposit);
}

export async function depositByVersion(q: Q, systemId: number, version: number): Promise<DepositRow | undefined> {
  const row = await q('deposits').where({ system_id: systemId, version }).first();
  return row ? normalizeDeposit(row) : undefined;
}

export async function depositByCommit(q: Q, systemId: number, commit: string): Promise<DepositRow | undefined> {
  const row = await q('deposits').where({ system_id: systemId, commit_id: commit }).first();
  return row ? normalizeDeposit(row) : undefined;
}

export async function lastVersion(q: Q, systemId: number): Promise<number> {
  const row = await q('deposits').where({ system_id: systemId }).max({ v: 'version' }).first();
  return row?.v === null || row?.v === undefined ? 0 : Number(row.v);
}

export async function insertDeposit(trx: Trx, row: Omit<DepositRow, 'id'>): Promise<number> {
  const [res] = await trx('deposits').insert(row).returning('id');
  return Number(typeof res === 'object' ? (res as { id: number }).id : res);
}

/** Inserts in batches (SQLite caps bound parameters per statement). */
export async function insertFiles(trx: Trx, rows: FileRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await trx('deposit_files').insert(rows.slice(i, i + 500));
}

export async function insertFindings(trx: Trx, rows: FindingRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await trx('deposit_findings').insert(rows.slice(i, i + 500));
}

export async function filesOf(q: Q, depositId: number, opts: { category?: string; limit?: number; offset?: number } = {}): Promise<FileRow[]> {
  const query = q('deposit_files').where({ deposit_id: depositId });
  if (opts.category) query.where({ category: opts.category });
  if (opts.limit !== undefined) query.orderBy('path').limit(opts.limit).offset(opts.offset ?? 0);
  return (await query).map(normalizeFile);
}

export async function findingsOf(q: Q, depositId: number): Promise<FindingRow[]> {
  return (await q('deposit_findings').where({ deposit_id: depositId }).orderBy('id')).map((r: FindingRow) => ({ ...r, deposit_id: num(r.deposit_id) }));
}

export interface DiffRow {
  path: string;
  category: string;
  old_sha256: string | null;
  new_sha256: string | null;
  old_size: number | null;
  new_size: number | null;
}

/** Files added, removed or changed between two versions, computed by the database (no walk, no full load). */
export async function diffFiles(q: Q, fromId: number, toId: number, kind: 'added' | 'removed' | 'changed', limit: number): Promise<{ rows: DiffRow[]; counts: Record<string, number> }> {
  const base = (): Knex.QueryBuilder => {
    if (kind === 'added') return q('deposit_files as b').leftJoin('deposit_files as a', (j) => j.on('a.path', 'b.path').andOn('a.deposit_id', q.raw('?', [fromId]))).where('b.deposit_id', toId).whereNull('a.path');
    if (kind === 'removed') return q('deposit_files as a').leftJoin('deposit_files as b', (j) => j.on('b.path', 'a.path').andOn('b.deposit_id', q.raw('?', [toId]))).where('a.deposit_id', fromId).whereNull('b.path');
    return q('deposit_files as a').join('deposit_files as b', (j) => j.on('b.path', 'a.path').andOn('b.deposit_id', q.raw('?', [toId]))).where('a.deposit_id', fromId).where((w) => w.whereRaw('a.sha256 <> b.sha256').orWhereRaw('a.size <> b.size').orWhereRaw('a.mode <> b.mode'));
  };
  const side = kind === 'added' ? 'b' : 'a';
  const counted = await base().select(`${side}.category as category`).count({ n: '*' }).groupBy(`${side}.category`);
  const rows = await base()
    .select(`${side}.path as path`, `${side}.category as category`, kind === 'added' ? q.raw('NULL as old_sha256') : 'a.sha256 as old_sha256', kind === 'removed' ? q.raw('NULL as new_sha256') : 'b.sha256 as new_sha256', kind === 'added' ? q.raw('NULL as old_size') : 'a.size as old_size', kind === 'removed' ? q.raw('NULL as new_size') : 'b.size as new_size')
    .orderBy(`${side}.path`)
    .limit(limit);
  return {
    rows: rows.map((r: DiffRow) => ({ ...r, old_size: r.old_size === null ? null : num(r.old_size), new_size: r.new_size === null ? null : num(r.new_size) })),
    counts: Object.fromEntries(counted.map((c: { category: string; n: number | string }) => [c.category, num(c.n)])),
  };
}

// ------------------------------------------------------------------ archive checks (a content-addressed cache)

export interface ArchiveCheckRow {
  sha256: string;
  format: string;
  result: string;
  detail: string | null;
  entries: number | null;
  /** issue 13: entries unsafe to extract (`../`, absolute, links); null when none. */
  unsafe?: string | null;
  checked_at: string;
}

export async function archiveChecks(q: Q, sha256s: string[]): Promise<Map<string, ArchiveCheckRow>> {
  const out = new Map<string, ArchiveCheckRow>();
  for (let i = 0; i < sha256s.length; i += 500) {
    for (const r of await q('archive_checks').whereIn('sha256', sha256s.slice(i, i + 500))) out.set(r.sha256, { ...r, entries: r.entries === null ? null : num(r.entries) });
  }
  return out;
}

export async function saveArchiveCheck(q: Q, row: ArchiveCheckRow): Promise<void> {
  await q('archive_checks').insert(row).onConflict('sha256').ignore();
}

// ------------------------------------------------------------------ the deposits page across systems

export interface SystemDepositRow {
  id: number;
  code: string;
  name_kk: string;
  name_ru: string;
  status: string;
  last_version: number | null;
  last_accepted_at: string | null;
}

/** Systems with a repository in the principal's scope, with their latest accepted version. */
export async function systemsWithDeposits(q: Q, principal: Principal, statuses: readonly string[]): Promise<SystemDepositRow[]> {
  const latest = q('deposits').select('system_id').max({ last_version: 'version' }).max({ last_accepted_at: 'accepted_at' }).groupBy('system_id').as('d');
  const query = q('systems').leftJoin(latest, 'd.system_id', 'systems.id').whereIn('systems.status', [...statuses]).select('systems.id', 'systems.code', 'systems.name_kk', 'systems.name_ru', 'systems.status', 'd.last_version', 'd.last_accepted_at').orderBy('systems.code');
  const rows = await scopeSystems(query, principal, 'read');
  return rows.map((r: SystemDepositRow) => ({ ...r, id: num(r.id), last_version: r.last_version === null ? null : num(r.last_version) }));
}

// ------------------------------------------------------------------ acceptances under way

export interface DepositIntent {
  id: number;
  system_id: number;
  version: number;
  tag: string;
  started_at: string;
}

export async function insertIntent(q: Q, row: Omit<DepositIntent, 'id'>): Promise<number> {
  return insertReturningId(q, 'deposit_intents', row);
}

export async function deleteIntent(q: Q, id: number): Promise<void> {
  await q('deposit_intents').where({ id }).delete();
}

export async function listIntents(q: Q, systemId?: number): Promise<DepositIntent[]> {
  const query = q('deposit_intents').select('*').orderBy('id');
  const rows = (await (systemId === undefined ? query : query.where({ system_id: systemId }))) as DepositIntent[];
  return rows.map((r) => ({ ...r, id: Number(r.id), system_id: Number(r.system_id), version: Number(r.version) }));
}

export async function intentExists(q: Q, id: number): Promise<boolean> {
  return (await q('deposit_intents').where({ id }).first('id')) !== undefined;
}
