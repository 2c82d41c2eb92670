import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import { insertReturningId } from '../accounts/queries.js';

export { insertReturningId };
export { orgByBin, orgById, type OrgRow } from '../accounts/queries.js';

type Q = Db | Trx;

export interface GrantRow {
  id: number;
  system_id: number;
  org_id: number;
  purpose: string;
  basis: string;
  expires_at: string | null;
  version: number | null;
  request_id: number | null;
  granted_by: number | null;
  granted_at: string;
  revoked_at: string | null;
  revoked_by: number | null;
  revoke_reason: string | null;
}

/** A grant with its system, grantee and the logins of who granted and revoked it. */
export interface GrantJoined extends GrantRow {
  system_code: string;
  system_name_kk: string;
  system_name_ru: string;
  org_bin: string;
  org_name_kk: string;
  org_name_ru: string;
  granted_by_login: string | null;
  revoked_by_login: string | null;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const normalizeGrant = <T extends GrantRow>(r: T): T => ({
  ...r,
  id: Number(r.id),
  system_id: Number(r.system_id),
  org_id: Number(r.org_id),
  version: num(r.version),
  request_id: num(r.request_id),
  granted_by: num(r.granted_by),
  revoked_by: num(r.revoked_by),
});

/** Not revoked and not expired at `now` (an ISO instant). */
export function whereActive(query: Knex.QueryBuilder, now: string, alias = 'access_grants'): Knex.QueryBuilder {
  return query.whereNull(`${alias}.revoked_at`).where((e) => e.whereNull(`${alias}.expires_at`).orWhere(`${alias}.expires_at`, '>', now));
}

function grantsJoined(q: Q): Knex.QueryBuilder {
  return q('access_grants')
    .join('systems as s', 's.id', 'access_grants.system_id')
    .join('organizations as o', 'o.id', 'access_grants.org_id')
    .leftJoin('users as gb', 'gb.id', 'access_grants.granted_by')
    .leftJoin('users as rb', 'rb.id', 'access_grants.revoked_by')
    .select(
      'access_grants.*',
      's.code as system_code',
      's.name_kk as system_name_kk',
      's.name_ru as system_name_ru',
      'o.bin as org_bin',
      'o.name_kk as org_name_kk',
      'o.name_ru as org_name_ru',
      'gb.login as granted_by_login',
      'rb.login as revoked_by_login',
    );
}

export async function grantsOfSystem(q: Q, systemId: number): Promise<GrantJoined[]> {
  return (await grantsJoined(q).where('access_grants.system_id', systemId).orderBy('access_grants.id', 'desc')).map(normalizeGrant);
}

export async function grantById(q: Q, id: number): Promise<GrantJoined | undefined> {
  const row = await grantsJoined(q).where('access_grants.id', id).first();
  return row ? normalizeGrant(row) : undefined;
}

/** The active grants an organisation holds, on every system. */
export async function activeGrantsOfOrg(q: Q, orgId: number, now: string): Promise<GrantJoined[]> {
  return (await whereActive(grantsJoined(q).where('access_grants.org_id', orgId), now).orderBy('s.code')).map(normalizeGrant);
}

/** The active grant of an organisation on a system, if any (the newest one). */
export async function activeGrant(q: Q, orgId: number, systemId: number, now: string): Promise<GrantRow | undefined> {
  const row = await whereActive(q('access_grants').where({ org_id: orgId, system_id: systemId }), now).orderBy('id', 'desc').first();
  return row ? normalizeGrant(row) : undefined;
}

export const insertGrant = (trx: Trx, row: Omit<GrantRow, 'id'>) => insertReturningId(trx, 'access_grants', row);

/** Stamps the revocation, only if the grant is not revoked yet (a concurrent revoke loses cleanly). */
export async function markRevoked(trx: Trx, id: number, patch: { revoked_at: string; revoked_by: number; revoke_reason: string | null }): Promise<boolean> {
  return (await trx('access_grants').where({ id }).whereNull('revoked_at').update(patch)) === 1;
}

/**
 * Takes the system row's lock for the rest of the transaction (PostgreSQL), so two grants for one
 * body cannot both pass the duplicate check; SQLite's write transaction is already exclusive.
 */
export async function lockSystem(trx: Trx, systemId: number): Promise<void> {
  await trx('systems').where({ id: systemId }).forUpdate().first('id');
}

// ------------------------------------------------------------------ access requests

export interface RequestRow {
  id: number;
  system_id: number;
  org_id: number;
  user_id: number;
  purpose: string;
  basis: string;
  status: 'pending' | 'granted' | 'refused';
  created_at: string;
  decided_by: number | null;
  decided_at: string | null;
  refuse_reason: string | null;
  grant_id: number | null;
}

export interface RequestJoined extends RequestRow {
  system_code: string;
  system_name_kk: string;
  system_name_ru: string;
  org_bin: string;
  org_name_kk: string;
  org_name_ru: string;
  user_login: string;
  user_full_name: string;
}

const normalizeRequest = <T extends RequestRow>(r: T): T => ({
  ...r,
  id: Number(r.id),
  system_id: Number(r.system_id),
  org_id: Number(r.org_id),
  user_id: Number(r.user_id),
  decided_by: num(r.decided_by),
  grant_id: num(r.grant_id),
});

function requestsJoined(q: Q): Knex.QueryBuilder {
  return q('access_requests')
    .join('systems as s', 's.id', 'access_requests.system_id')
    .join('organizations as o', 'o.id', 'access_requests.org_id')
    .join('users as u', 'u.id', 'access_requests.user_id')
    .select(
      'access_requests.*',
      's.code as system_code',
      's.name_kk as system_name_kk',
      's.name_ru as system_name_ru',
      'o.bin as org_bin',
      'o.name_kk as org_name_kk',
      'o.name_ru as org_name_ru',
      'u.login as user_login',
      'u.full_name as user_full_name',
    );
}

export async function listRequests(q: Q, filter: { orgId?: number; status?: RequestRow['status'] }, limit = 500): Promise<RequestJoined[]> {
  const query = requestsJoined(q).orderBy('access_requests.id', 'desc').limit(limit);
  if (filter.orgId !== undefined) query.where('access_requests.org_id', filter.orgId);
  if (filter.status) query.where('access_requests.status', filter.status);
  return (await query).map(normalizeRequest);
}

export async function requestById(q: Q, id: number): Promise<RequestJoined | undefined> {
  const row = await requestsJoined(q).where('access_requests.id', id).first();
  return row ? normalizeRequest(row) : undefined;
}

export async function pendingRequest(q: Q, orgId: number, systemId: number): Promise<RequestRow | undefined> {
  const row = await q('access_requests').where({ org_id: orgId, system_id: systemId, status: 'pending' }).first();
  return row ? normalizeRequest(row) : undefined;
}

export const insertRequest = (trx: Trx, row: Omit<RequestRow, 'id'>) => insertReturningId(trx, 'access_requests', row);

/** Decides a pending request, only if it is still pending. */
export async function decideRequest(trx: Trx, id: number, patch: Partial<RequestRow>): Promise<boolean> {
  return (await trx('access_requests').where({ id, status: 'pending' }).update(patch)) === 1;
}

// ------------------------------------------------------------------ the catalogue

/** Statuses in which a system is in the catalogue: its deposit was accepted and it is still held. */
export const CATALOGUE_STATUSES = ['accepted', 'deposit_received', 'decommission_notified'] as const;

export interface CatalogueRow {
  id: number;
  code: string;
  name_kk: string;
  name_ru: string;
  owner_org_id: number;
  owner_bin: string;
  owner_name_kk: string;
  owner_name_ru: string;
  /** The Annex 1 form of the system's latest registered application (JSON text). */
  form: string | null;
}

/**
 * Systems whose deposit was accepted (status `accepted`, or a later status reached from it: a new
 * version received, a decommission notice) with the form of their latest registered application.
 * "Accepted" is read from the p.9 deadline being met, which acceptance marks (server/deposits).
 */
export async function catalogueRows(q: Q, code?: string): Promise<CatalogueRow[]> {
  const form = q('applications as a').select('a.form').where('a.status', 'registered').whereRaw('?? = ??', ['a.system_id', 's.id']).orderBy('a.id', 'desc').limit(1);
  const query = q('systems as s')
    .join('organizations as o', 'o.id', 's.owner_org_id')
    .select('s.id', 's.code', 's.name_kk', 's.name_ru', 's.owner_org_id', 'o.bin as owner_bin', 'o.name_kk as owner_name_kk', 'o.name_ru as owner_name_ru', form.as('form'))
    .whereIn('s.status', [...CATALOGUE_STATUSES])
    .where((w) =>
      w.where('s.status', 'accepted').orWhereExists((d) => d.select('dl.id').from('deadlines as dl').whereRaw('?? = ??', ['dl.system_id', 's.id']).where('dl.rule_key', 'acceptance').whereNotNull('dl.met_on')),
    )
    .orderBy('s.code');
  if (code) query.where('s.code', code);
  return (await query).map((r: CatalogueRow) => ({ ...r, id: Number(r.id), owner_org_id: Number(r.owner_org_id) }));
}

export async function pendingRequestSystems(q: Q, orgId: number): Promise<Set<number>> {
  return new Set((await q('access_requests').where({ org_id: orgId, status: 'pending' }).select('system_id')).map((r: { system_id: number }) => Number(r.system_id)));
}
