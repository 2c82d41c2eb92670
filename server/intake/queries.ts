import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { isOperatorRole } from '../accounts/roles.js';
import { insertReturningId } from '../accounts/queries.js';
import type { ApplicationStatus } from './schemas.js';

export { insertReturningId };
export { orgByBin, orgById, type OrgRow } from '../accounts/queries.js';

type Q = Db | Trx;

export interface ApplicationRow {
  id: number;
  number: string | null;
  status: ApplicationStatus;
  org_id: number | null;
  created_by: number;
  created_by_org_id: number;
  on_behalf: boolean;
  year: number | null;
  system_code: string | null;
  complex_name: string | null;
  applicant: string | null;
  signer_name: string | null;
  commissioning_kind: string | null;
  commissioned_on: string | null;
  application_date: string | null;
  search_text: string | null;
  form: string;
  form_sha256: string | null;
  signed_by: number | null;
  signed_by_name: string | null;
  signed_at: string | null;
  submitted_at: string | null;
  received_on: string | null;
  registered_at: string | null;
  system_id: number | null;
  rejected_at: string | null;
  reject_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** An application with its organisation and register entry, as lists and the detail page show it. */
export interface ApplicationJoined extends ApplicationRow {
  org_bin: string | null;
  org_name_kk: string | null;
  org_name_ru: string | null;
  reg_year: number | null;
  reg_no: number | null;
  reg_received_on: string | null;
  reg_accepted_by_name: string | null;
  reg_portal_ref_no: string | null;
  reg_portal_ref_date: string | null;
}

export interface RegisterRow {
  year: number;
  register_no: number;
  application_id: number;
  application_number: string;
  received_on: string;
  body_name: string;
  body_name_kk: string;
  body_bin: string;
  applicant_head: string;
  accepted_by_name: string;
  system_code: string;
  portal_ref_no: string | null;
  portal_ref_date: string | null;
}

const normalize = <T extends { on_behalf: unknown; id: unknown }>(r: T): T => ({ ...r, id: Number(r.id), on_behalf: Boolean(r.on_behalf) });

/**
 * The applications the principal may see: operator staff see every submitted one (and their own
 * drafts), a body's users their organisation's (drafts only of their organisation). Others none.
 */
export function scopeApplications(query: Knex.QueryBuilder, principal: Principal): Knex.QueryBuilder {
  const role = principal.roles[0];
  const orgId = principal.org.id;
  if (isOperatorRole(role))
    return query.where((w) => w.whereNot('applications.status', 'draft').orWhere('applications.created_by_org_id', orgId));
  if (role !== 'body_user') return query.whereRaw('1 = 0');
  return query.where((w) =>
    w
      .where((o) => o.where('applications.org_id', orgId).whereNot('applications.status', 'draft'))
      .orWhere((d) => d.where('applications.status', 'draft').where('applications.created_by_org_id', orgId)),
  );
}

function joined(q: Q): Knex.QueryBuilder {
  return q('applications')
    .leftJoin('organizations as o', 'o.id', 'applications.org_id')
    .leftJoin('register_entries as r', 'r.application_id', 'applications.id')
    .select(
      'applications.*',
      'o.bin as org_bin',
      'o.name_kk as org_name_kk',
      'o.name_ru as org_name_ru',
      'r.year as reg_year',
      'r.register_no as reg_no',
      'r.received_on as reg_received_on',
      'r.accepted_by_name as reg_accepted_by_name',
      'r.portal_ref_no as reg_portal_ref_no',
      'r.portal_ref_date as reg_portal_ref_date',
    );
}

export async function applicationFor(q: Q, principal: Principal, id: number): Promise<ApplicationJoined | undefined> {
  const row = await scopeApplications(joined(q).where('applications.id', id), principal).first();
  return row ? normalize(row as ApplicationJoined) : undefined;
}

export async function applicationById(q: Q, id: number): Promise<ApplicationJoined | undefined> {
  const row = await joined(q).where('applications.id', id).first();
  return row ? normalize(row as ApplicationJoined) : undefined;
}

export interface ApplicationFilter {
  status?: ApplicationStatus;
  orgId?: number;
  year?: number;
  /** Lower-cased text to find in the number, system code, names and applicant. */
  search?: string;
  systemId?: number;
  limit: number;
  offset: number;
}

export async function listApplications(q: Q, principal: Principal, f: ApplicationFilter): Promise<{ rows: ApplicationJoined[]; total: number }> {
  const base = scopeApplications(q('applications'), principal);
  if (f.status) base.where('applications.status', f.status);
  if (f.orgId) base.where('applications.org_id', f.orgId);
  if (f.year) base.where('applications.year', f.year);
  if (f.systemId) base.where('applications.system_id', f.systemId);
  if (f.search) base.whereRaw("applications.search_text like ? escape '\\'", ['%' + f.search.replace(/[\\%_]/g, (c) => '\\' + c) + '%']);
  const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
  const ids = (await base.select('applications.id').orderBy('applications.id', 'desc').limit(f.limit).offset(f.offset)).map((r: { id: number }) => Number(r.id));
  if (!ids.length) return { rows: [], total };
  const rows = (await joined(q).whereIn('applications.id', ids).orderBy('applications.id', 'desc')) as ApplicationJoined[];
  return { rows: rows.map(normalize), total };
}

export const updateApplication = (q: Q, id: number, patch: Partial<ApplicationRow>) => q('applications').where({ id }).update(patch);

/** Changes the status only if it still is `from`: the number of rows changed says who won a race. */
export const moveApplication = (q: Q, id: number, from: ApplicationStatus, patch: Partial<ApplicationRow>): Promise<number> =>
  q('applications').where({ id, status: from }).update(patch);

/** The next running number of the register in `year` (Rules p.8, Annex 2), under the counter row's lock. */
export async function nextRegisterNo(trx: Trx, year: number): Promise<number> {
  await trx('register_counters').insert({ year, last_no: 0 }).onConflict('year').ignore();
  await trx('register_counters').where({ year }).increment('last_no', 1);
  const row = await trx('register_counters').where({ year }).first();
  return Number(row.last_no);
}

export const insertRegisterEntry = (trx: Trx, row: Record<string, unknown>) => insertReturningId(trx, 'register_entries', row);

export const updateRegisterEntry = (q: Q, applicationId: number, patch: Record<string, unknown>) =>
  q('register_entries').where({ application_id: applicationId }).update(patch);

export async function registerRows(q: Q, year: number): Promise<RegisterRow[]> {
  const rows = await q('register_entries as r')
    .join('applications as a', 'a.id', 'r.application_id')
    .join('organizations as o', 'o.id', 'a.org_id')
    .where('r.year', year)
    .orderBy('r.register_no')
    .select(
      'r.year',
      'r.register_no',
      'r.application_id',
      'a.number as application_number',
      'r.received_on',
      'r.body_name',
      'r.body_name_kk',
      'o.bin as body_bin',
      'r.applicant_head',
      'r.accepted_by_name',
      'a.system_code',
      'r.portal_ref_no',
      'r.portal_ref_date',
    );
  return rows.map((r: RegisterRow) => ({ ...r, year: Number(r.year), register_no: Number(r.register_no), application_id: Number(r.application_id) }));
}

export async function registerYears(q: Q): Promise<number[]> {
  const rows = await q('register_entries').distinct('year').orderBy('year', 'desc');
  return rows.map((r: { year: number }) => Number(r.year));
}

/** Applications by status in the principal's scope (the dashboard). */
export async function countByStatus(q: Q, principal: Principal): Promise<Record<string, number>> {
  const rows = await scopeApplications(q('applications'), principal).select('applications.status').count({ n: '*' }).groupBy('applications.status');
  return Object.fromEntries(rows.map((r: { status: string; n: number | string }) => [r.status, Number(r.n)]));
}

/** Government bodies that have applications, for the list filter. */
export async function bodiesWithApplications(q: Q): Promise<{ id: number; bin: string; name_kk: string; name_ru: string }[]> {
  const rows = await q('organizations as o')
    .whereIn('o.id', q('applications').whereNotNull('org_id').whereNot('status', 'draft').distinct('org_id'))
    .orderBy('o.name_ru')
    .select('o.id', 'o.bin', 'o.name_kk', 'o.name_ru');
  return rows.map((r: { id: number; bin: string; name_kk: string; name_ru: string }) => ({ ...r, id: Number(r.id) }));
}
