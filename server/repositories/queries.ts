import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { scopeSystems, type SystemStatus } from '../systems/policy.js';
import type { SystemRow } from '../systems/queries.js';
import { insertReturningId } from '../accounts/queries.js';
import type { NewIntent, RefIntent } from './intents.js';

type Q = Db | Trx;

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

// ---- the journal of ref moves (intents.ts)

export function insertRefIntent(q: Q, intent: NewIntent): Promise<number> {
  return insertReturningId(q, 'ref_intents', {
    system_id: intent.systemId,
    kind: intent.kind,
    actor: JSON.stringify(intent.actor),
    details: JSON.stringify(intent.details),
    started_at: intent.startedAt,
  });
}

export async function deleteRefIntent(q: Q, id: number): Promise<void> {
  await q('ref_intents').where({ id }).delete();
}

export async function refIntent(q: Q, id: number): Promise<RefIntent | undefined> {
  const row = await q('ref_intents').where({ id }).first();
  return row ? toIntent(row) : undefined;
}

/** Every row (oldest first), or those of one system. */
export async function listRefIntents(q: Q, systemId?: number): Promise<RefIntent[]> {
  const query = q('ref_intents').orderBy('id');
  return (await (systemId === undefined ? query : query.where({ system_id: systemId }))).map(toIntent);
}

function toIntent(row: { id: number; system_id: number; kind: string; actor: string; details: string; started_at: string }): RefIntent {
  return {
    id: Number(row.id),
    systemId: Number(row.system_id),
    kind: row.kind,
    actor: JSON.parse(row.actor),
    details: JSON.parse(row.details),
    startedAt: row.started_at,
  } as RefIntent;
}
