import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { scopeSystems, type SystemNeed, type SystemStatus } from './policy.js';

export interface SystemRow {
  id: number;
  code: string;
  name_kk: string;
  name_ru: string;
  owner_org_id: number;
  developer_org_id: number | null;
  status: SystemStatus;
  commissioned_on: string | null;
  warranty_until: string | null;
  repository_formed_at: string | null;
  developer_name: string | null;
  portal_registered_on: string | null;
  created_at: string;
  updated_at: string;
}

/** System codes as the contract allows them (also what git URLs accept). */
export const SYSTEM_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The system with this code *if the principal may use it for `need`*; undefined otherwise, so that
 * a denied system and a missing one are the same answer (the lookup is scoped, not find-then-check).
 */
export async function findSystemFor(db: Db | Trx, principal: Principal, code: string, need: SystemNeed): Promise<SystemRow | undefined> {
  if (!SYSTEM_CODE.test(code)) return undefined;
  const row = await scopeSystems(db('systems').select('systems.*').where('systems.code', code), principal, need).first();
  return row ? { ...row, id: Number(row.id) } : undefined;
}

export async function listSystemsFor(db: Db | Trx, principal: Principal, need: SystemNeed = 'read'): Promise<SystemRow[]> {
  return scopeSystems(db('systems').select('systems.*').orderBy('systems.code'), principal, need);
}

export async function systemById(db: Db | Trx, id: number): Promise<SystemRow | undefined> {
  const row = await db('systems').where({ id }).first();
  return row ? { ...row, id: Number(row.id) } : undefined;
}

/** Unscoped: for the operator's registration, which attaches an application to a known code. */
export async function systemByCode(db: Db | Trx, code: string): Promise<SystemRow | undefined> {
  const row = await db('systems').where({ code }).first();
  return row ? { ...row, id: Number(row.id) } : undefined;
}

export async function insertSystem(trx: Trx, row: Omit<SystemRow, 'id'>): Promise<number> {
  const [res] = await trx('systems').insert(row).returning('id');
  return Number(typeof res === 'object' ? (res as { id: number }).id : res);
}

export const updateSystem = (db: Db | Trx, id: number, patch: Partial<SystemRow>) => db('systems').where({ id }).update(patch);

/** A system with its owner's and developer's names, as lists and the detail page show it. */
export interface SystemListRow extends SystemRow {
  owner_bin: string;
  owner_name_kk: string;
  owner_name_ru: string;
  developer_bin: string | null;
  developer_name_ru: string | null;
  developer_name_kk: string | null;
}

export interface SystemFilter {
  status?: SystemStatus;
  /** Lower-case text in the code or names (ASCII case folding on SQLite; codes are ASCII). */
  search?: string;
  ownerOrgId?: number;
}

function withOrgs(db: Db | Trx): Knex.QueryBuilder {
  return db('systems')
    .join('organizations as ow', 'ow.id', 'systems.owner_org_id')
    .leftJoin('organizations as dv', 'dv.id', 'systems.developer_org_id')
    .select('systems.*', 'ow.bin as owner_bin', 'ow.name_kk as owner_name_kk', 'ow.name_ru as owner_name_ru', 'dv.bin as developer_bin', 'dv.name_ru as developer_name_ru', 'dv.name_kk as developer_name_kk');
}

export async function listSystemRowsFor(db: Db | Trx, principal: Principal, filter: SystemFilter = {}): Promise<SystemListRow[]> {
  const query = scopeSystems(withOrgs(db).orderBy('systems.code'), principal, 'read');
  if (filter.status) query.where('systems.status', filter.status);
  if (filter.ownerOrgId) query.where('systems.owner_org_id', filter.ownerOrgId);
  if (filter.search) {
    const like = '%' + filter.search.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    query.where((w) =>
      w
        .whereRaw("lower(systems.code) like ? escape '\\'", [like])
        .orWhereRaw("lower(systems.name_ru) like ? escape '\\'", [like])
        .orWhereRaw("lower(systems.name_kk) like ? escape '\\'", [like]),
    );
  }
  return (await query).map((r: SystemListRow) => ({ ...r, id: Number(r.id) }));
}

export async function systemRowFor(db: Db | Trx, principal: Principal, code: string): Promise<SystemListRow | undefined> {
  if (!SYSTEM_CODE.test(code)) return undefined;
  const row = await scopeSystems(withOrgs(db).where('systems.code', code), principal, 'read').first();
  return row ? { ...row, id: Number(row.id) } : undefined;
}

/** Systems by lifecycle status in the principal's scope (the dashboard). */
export async function countSystemsByStatus(db: Db | Trx, principal: Principal): Promise<Record<string, number>> {
  const rows = await scopeSystems(db('systems'), principal, 'read').select('systems.status').count({ n: '*' }).groupBy('systems.status');
  return Object.fromEntries(rows.map((r: { status: string; n: number | string }) => [r.status, Number(r.n)]));
}
