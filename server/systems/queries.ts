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
  return db('systems').where({ id }).first();
}
