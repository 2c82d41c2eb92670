import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import type { SystemStatus } from '../systems/policy.js';
import { SYSTEM_CODE, type SystemRow } from '../systems/queries.js';
import { insertReturningId } from '../accounts/queries.js';
import type { ReturnScope } from './schemas.js';
import { scopeOwned, scopeReturns, scopeTransfer } from './scope.js';

type Q = Db | Trx;

export interface ReturnRow {
  id: number;
  system_id: number;
  withdrawn_on: string;
  basis_number: string;
  basis_date: string;
  scope: ReturnScope;
  status_before: string;
  notified_on: string;
  notified_at: string;
  notified_by: number | null;
  notified_by_login: string | null;
  archive_act_number: string | null;
  archive_act_date: string | null;
  archived_at: string | null;
  archived_by: number | null;
  archived_by_login: string | null;
  purged_at: string | null;
  purged_by: number | null;
  purged_by_login: string | null;
  purge_reason: string | null;
}

export type PackageStatus = 'generating' | 'ready' | 'failed';

export interface PackageRow {
  id: number;
  return_id: number;
  system_id: number;
  status: PackageStatus;
  bag_name: string;
  started_at: string;
  started_by: number | null;
  started_by_login: string | null;
  finished_at: string | null;
  worker: string;
  heartbeat_at: string;
  phase: string;
  bytes_done: number;
  bytes_total: number;
  files_done: number;
  payload_bytes: number | null;
  payload_files: number | null;
  zip_size: number | null;
  zip_sha256: string | null;
  tar_size: number | null;
  tar_sha256: string | null;
  error: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const normReturn = (r: ReturnRow): ReturnRow => ({ ...r, id: Number(r.id), system_id: Number(r.system_id), notified_by: num(r.notified_by), archived_by: num(r.archived_by), purged_by: num(r.purged_by) });
const normPackage = (r: PackageRow): PackageRow => ({
  ...r,
  id: Number(r.id),
  return_id: Number(r.return_id),
  system_id: Number(r.system_id),
  started_by: num(r.started_by),
  bytes_done: Number(r.bytes_done),
  bytes_total: Number(r.bytes_total),
  files_done: Number(r.files_done),
  payload_bytes: num(r.payload_bytes),
  payload_files: num(r.payload_files),
  zip_size: num(r.zip_size),
  tar_size: num(r.tar_size),
});
const normSystem = (r: SystemRow | undefined): SystemRow | undefined => (r ? { ...r, id: Number(r.id), owner_org_id: Number(r.owner_org_id) } : undefined);

// ------------------------------------------------------------------ scoped system lookups (denied = missing)

async function scoped(q: Q, code: string, scope: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<SystemRow | undefined> {
  if (!SYSTEM_CODE.test(code)) return undefined;
  return normSystem(await scope(q('systems').select('systems.*').where('systems.code', code)).first());
}

/** The system, if the principal may see its return and download its package. */
export const returnSystemFor = (q: Q, principal: Principal, code: string) => scoped(q, code, (query) => scopeReturns(query, principal));
/** The system, if the principal is a user of its owner (the notice, Rules p.11). */
export const ownedSystemFor = (q: Q, principal: Principal, code: string) => scoped(q, code, (query) => scopeOwned(query, principal));
/** The system, if the principal may record its transfer to the archive (Rules p.12). */
export const transferSystemFor = (q: Q, principal: Principal, code: string) => scoped(q, code, (query) => scopeTransfer(query, principal));

/** Takes the system row's lock for the rest of the transaction (PostgreSQL; SQLite's write transaction is exclusive). */
export async function lockSystem(trx: Trx, systemId: number): Promise<void> {
  await trx('systems').where({ id: systemId }).forUpdate().first('id');
}

// ------------------------------------------------------------------ returns

export async function returnOfSystem(q: Q, systemId: number): Promise<ReturnRow | undefined> {
  const row = await q('returns').where({ system_id: systemId }).first();
  return row ? normReturn(row) : undefined;
}

export const insertReturn = (trx: Trx, row: Omit<ReturnRow, 'id'>) => insertReturningId(trx, 'returns', row);
export const updateReturn = (q: Q, id: number, patch: Partial<ReturnRow>) => q('returns').where({ id }).update(patch);

// ------------------------------------------------------------------ packages

export const insertPackage = (trx: Trx, row: Omit<PackageRow, 'id'>) => insertReturningId(trx, 'return_packages', row);

export async function packageById(q: Q, id: number): Promise<PackageRow | undefined> {
  const row = await q('return_packages').where({ id }).first();
  return row ? normPackage(row) : undefined;
}

/** The system's newest package (the one that counts: a failed one is replaced by a retry). */
export async function latestPackage(q: Q, systemId: number): Promise<PackageRow | undefined> {
  const row = await q('return_packages').where({ system_id: systemId }).orderBy('id', 'desc').first();
  return row ? normPackage(row) : undefined;
}

/** Whether a return package of this system is being built (pushes are refused meanwhile: docs/returns.md). */
export async function packageGenerating(q: Q, systemId: number): Promise<boolean> {
  return (await q('return_packages').where({ system_id: systemId, status: 'generating' }).first('id')) !== undefined;
}

/** Ready packages whose zip is not made yet (a restart came between the tar and the zip); not purged. */
export async function packagesWithoutZip(q: Q): Promise<PackageRow[]> {
  const rows = await q('return_packages as p')
    .join('returns as r', 'r.id', 'p.return_id')
    .where('p.status', 'ready')
    .whereNull('p.zip_sha256')
    .whereNull('r.purged_at')
    .select('p.*')
    .orderBy('p.id');
  return rows.map(normPackage);
}

export async function generatingPackages(q: Q): Promise<PackageRow[]> {
  return (await q('return_packages').where({ status: 'generating' }).orderBy('id')).map(normPackage);
}

/** Packages whose build is over (ready or failed): only their ids and systems. */
export const finishedPackages = (q: Q): Promise<{ id: number; system_id: number }[]> =>
  q('return_packages').whereNot({ status: 'generating' }).select('id', 'system_id').orderBy('id');

/** Progress and heartbeat of a running job: a plain update, no state change. */
export const updateProgress = (q: Q, id: number, patch: Pick<PackageRow, 'phase' | 'bytes_done' | 'bytes_total' | 'files_done' | 'heartbeat_at'>) =>
  q('return_packages').where({ id, status: 'generating' }).update(patch);

/** Moves a package out of `generating` — only if it still is (a concurrent recovery loses cleanly). */
export async function finishPackage(trx: Trx, id: number, patch: Partial<PackageRow>): Promise<boolean> {
  return Number(await trx('return_packages').where({ id, status: 'generating' }).update(patch)) === 1;
}

// ------------------------------------------------------------------ lists

export interface ReturnListRow extends ReturnRow {
  code: string;
  name_kk: string;
  name_ru: string;
  system_status: string;
  owner_bin: string;
  owner_name_kk: string;
  owner_name_ru: string;
}

/** Returns in the principal's scope, newest notice first, with their system and owner. */
export async function listReturns(q: Q, principal: Principal, status?: string): Promise<ReturnListRow[]> {
  const query = q('returns')
    .join('systems', 'systems.id', 'returns.system_id')
    .join('organizations as ow', 'ow.id', 'systems.owner_org_id')
    .select('returns.*', 'systems.code', 'systems.name_kk', 'systems.name_ru', 'systems.status as system_status', 'ow.bin as owner_bin', 'ow.name_kk as owner_name_kk', 'ow.name_ru as owner_name_ru')
    .orderBy('returns.notified_at', 'desc')
    .orderBy('returns.id', 'desc');
  if (status) query.where('systems.status', status);
  return (await scopeReturns(query, principal)).map((r: ReturnListRow) => ({ ...normReturn(r), code: r.code, name_kk: r.name_kk, name_ru: r.name_ru, system_status: r.system_status, owner_bin: r.owner_bin, owner_name_kk: r.owner_name_kk, owner_name_ru: r.owner_name_ru }));
}

/** The newest package of each of these systems. */
export async function latestPackages(q: Q, systemIds: number[]): Promise<Map<number, PackageRow>> {
  const out = new Map<number, PackageRow>();
  for (let i = 0; i < systemIds.length; i += 500) {
    const newest = q('return_packages').whereIn('system_id', systemIds.slice(i, i + 500)).max({ id: 'id' }).groupBy('system_id');
    for (const r of await q('return_packages').whereIn('id', newest)) out.set(Number(r.system_id), normPackage(r));
  }
  return out;
}

// ------------------------------------------------------------------ records for the package

/** The operator organisation (the sender of the bag: Source-Organization). */
export const operatorOrg = (q: Q) => q('organizations').where({ kind: 'operator' }).orderBy('id').first();

/**
 * The system's audit events in chain order, a page after `afterId`: events about the system (by id or
 * by code) and about its applications. Every column is kept, so each row's hash can be recomputed.
 */
export async function auditPage(q: Q, s: { id: number; code: string; applicationIds: number[] }, afterId: number, limit: number) {
  return q('audit_events')
    .where('id', '>', afterId)
    .where((w) => {
      w.where((x) => x.where('subject_type', 'system').whereIn('subject_id', [String(s.id), s.code]));
      if (s.applicationIds.length) w.orWhere((x) => x.where('subject_type', 'application').whereIn('subject_id', s.applicationIds.map(String)));
    })
    .orderBy('id')
    .limit(limit);
}

/** The newest event of the whole trail: its hash seals everything before it. */
export const auditHead = (q: Q) => q('audit_events').select('id', 'hash').orderBy('id', 'desc').first();

/**
 * After the purge, no LFS object is held for the system any more: the blob store's sweep (`qoima gc`)
 * may then remove those no other system holds.
 */
export const releaseLfsObjects = (trx: Trx, systemId: number) => trx('lfs_objects').where({ system_id: systemId }).delete();

/** A system's status as it stands inside the transaction (after `lockSystem`). */
export async function statusOf(q: Q, systemId: number): Promise<SystemStatus> {
  return (await q('systems').where({ id: systemId }).first('status')).status as SystemStatus;
}

export async function codeOf(q: Q, systemId: number): Promise<string> {
  return (await q('systems').where({ id: systemId }).first('code')).code as string;
}

/** The ids of a system's applications (drafts are the body's own working copies, not records). */
export async function applicationIdsOf(q: Q, systemId: number): Promise<number[]> {
  return (await q('applications').where({ system_id: systemId }).whereNot('status', 'draft').orderBy('id').select('id')).map((r: { id: number }) => Number(r.id));
}

/** The system record as the package's records print it, with its owner and developer. */
export async function systemFacts(q: Q, systemId: number) {
  const r = await q('systems')
    .join('organizations as ow', 'ow.id', 'systems.owner_org_id')
    .leftJoin('organizations as dv', 'dv.id', 'systems.developer_org_id')
    .where('systems.id', systemId)
    .first('systems.*', 'ow.bin as owner_bin', 'ow.name_kk as owner_name_kk', 'ow.name_ru as owner_name_ru', 'ow.address as owner_address', 'dv.bin as developer_bin', 'dv.name_ru as developer_name_ru');
  return {
    code: r.code,
    nameKk: r.name_kk,
    nameRu: r.name_ru,
    status: r.status,
    owner: { bin: r.owner_bin, nameKk: r.owner_name_kk, nameRu: r.owner_name_ru, address: r.owner_address },
    developer: r.developer_bin || r.developer_name ? { bin: r.developer_bin, name: r.developer_name_ru ?? r.developer_name } : null,
    commissionedOn: r.commissioned_on,
    portalRegisteredOn: r.portal_registered_on,
    warrantyUntil: r.warranty_until,
    repositoryFormedAt: r.repository_formed_at,
    createdAt: r.created_at,
  };
}

/** The person who started the package (bag-info's Contact-Name and Contact-Email). */
export const contactOf = (q: Q, userId: number): Promise<{ full_name: string; email: string | null } | undefined> => q('users').where({ id: userId }).first('full_name', 'email');

/** The system's latest entry in the register of applications (Annex 2): `No/year`, the bag's group. */
export async function registerNumberOf(q: Q, systemId: number): Promise<string | null> {
  const row = await q('register_entries')
    .join('applications', 'applications.id', 'register_entries.application_id')
    .where('applications.system_id', systemId)
    .orderBy('register_entries.id', 'desc')
    .first('register_entries.register_no', 'register_entries.year');
  return row ? `${row.register_no}/${row.year}` : null;
}

/** The owner's systems that may be notified now (an accepted version, no notice yet): the body's way in. */
export async function notifiableSystems(q: Q, principal: Principal): Promise<{ code: string; name_kk: string; name_ru: string; status: string }[]> {
  return scopeOwned(q('systems'), principal)
    .whereIn('systems.status', ['accepted', 'deposit_received'])
    .whereExists((sub: Knex.QueryBuilder) => sub.select('d.id').from('deposits as d').whereRaw('?? = ??', ['d.system_id', 'systems.id']))
    .whereNotExists((sub: Knex.QueryBuilder) => sub.select('r.id').from('returns as r').whereRaw('?? = ??', ['r.system_id', 'systems.id']))
    .select('systems.code', 'systems.name_kk', 'systems.name_ru', 'systems.status')
    .orderBy('systems.code');
}
