import type { Knex } from 'knex';
import type { Db, Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { scopeSystems } from '../systems/policy.js';

type Q = Db | Trx;

export interface DeadlineRow {
  id: number;
  system_id: number;
  rule_key: string;
  ref: string;
  edition: string;
  clause: string;
  working_days: number;
  start_date: string;
  due_date: string;
  met_on: string | null;
  computed_at: string;
  met_at: string | null;
}

export interface DeadlineWithSystem extends DeadlineRow {
  system_code: string;
  system_name_kk: string;
  system_name_ru: string;
  system_status: string;
}

const normalize = <T extends DeadlineRow>(r: T): T => ({ ...r, id: Number(r.id), system_id: Number(r.system_id), working_days: Number(r.working_days) });

export async function deadlineOf(q: Q, systemId: number, ruleKey: string, ref: string): Promise<DeadlineRow | undefined> {
  const row = await q('deadlines').where({ system_id: systemId, rule_key: ruleKey, ref }).first();
  return row ? normalize(row) : undefined;
}

export async function insertDeadline(trx: Trx, row: Omit<DeadlineRow, 'id'>): Promise<number> {
  const [res] = await trx('deadlines').insert(row).returning('id');
  return Number(typeof res === 'object' ? (res as { id: number }).id : res);
}

/** Records the day a deadline was met, once: a deadline already met keeps its first date. */
export const markMet = (trx: Trx, id: number, metOn: string, metAt: string): Promise<number> =>
  trx('deadlines').where({ id }).whereNull('met_on').update({ met_on: metOn, met_at: metAt });

export async function deadlinesOfSystem(q: Q, systemId: number): Promise<DeadlineRow[]> {
  return (await q('deadlines').where({ system_id: systemId }).orderBy('due_date').orderBy('id')).map(normalize);
}

function withSystem(q: Q): Knex.QueryBuilder {
  return q('deadlines')
    .join('systems', 'systems.id', 'deadlines.system_id')
    .select('deadlines.*', 'systems.code as system_code', 'systems.name_kk as system_name_kk', 'systems.name_ru as system_name_ru', 'systems.status as system_status');
}

/** Open deadlines due on or before `dueBy`, in the principal's system scope, soonest first. */
export async function openDeadlinesDueBy(q: Q, principal: Principal, dueBy: string, limit: number): Promise<DeadlineWithSystem[]> {
  const query = scopeSystems(withSystem(q).whereNull('deadlines.met_on').where('deadlines.due_date', '<=', dueBy), principal, 'read');
  return (await query.orderBy('deadlines.due_date').orderBy('deadlines.id').limit(limit)).map(normalize);
}
