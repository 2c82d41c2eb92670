import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { scopeSystems, type SystemStatus } from '../systems/policy.js';
import type { SystemRow } from '../systems/queries.js';

/** The columns of `systems` this module reads (the table belongs to systems/; see its migration). */
export type RepoSystemRow = Pick<SystemRow, 'id' | 'code' | 'name_kk' | 'name_ru' | 'owner_org_id' | 'developer_org_id' | 'status' | 'repository_formed_at'>;

const COLUMNS = ['id', 'code', 'name_kk', 'name_ru', 'owner_org_id', 'developer_org_id', 'status', 'repository_formed_at'];

function normalize(row: RepoSystemRow | undefined): RepoSystemRow | undefined {
  return row ? { ...row, id: Number(row.id), owner_org_id: Number(row.owner_org_id), developer_org_id: row.developer_org_id === null ? null : Number(row.developer_org_id) } : undefined;
}

export async function systemForRepository(db: Db | Trx, id: number): Promise<RepoSystemRow | undefined> {
  return normalize(await db('systems').select(COLUMNS).where({ id }).first());
}

/**
 * Moves a system from one of `from` to `to` — only if it is still in one of them (a concurrent
 * transition loses cleanly). Returns whether the row changed.
 */
export async function moveStatus(trx: Trx, id: number, from: readonly SystemStatus[], to: SystemStatus, at: string, extra: Record<string, string> = {}): Promise<boolean> {
  const changed = await trx('systems')
    .where({ id })
    .whereIn('status', [...from])
    .update({ status: to, updated_at: at, ...extra });
  return Number(changed) === 1;
}

/** Systems with a repository that the principal may read (the browser's list), scoped like every lookup. */
export async function readableWithRepository(db: Db | Trx, principal: Principal, statuses: readonly SystemStatus[]): Promise<RepoSystemRow[]> {
  const rows = (await scopeSystems(db('systems').select(COLUMNS.map((c) => `systems.${c}`)).whereIn('systems.status', [...statuses]).orderBy('systems.code'), principal, 'read')) as RepoSystemRow[];
  return rows.map((r) => normalize(r)!);
}
