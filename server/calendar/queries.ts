import type { Db, Trx } from '../../storage/db.js';
import type { Override } from './calendar.js';

type Q = Db | Trx;

interface OverrideRow {
  date: string;
  working: boolean | number;
  basis: string;
  created_at: string;
  created_by_login: string | null;
}

/** An override as stored, with who entered it (null: the command line). */
export type OverrideRecord = Override & { createdBy: string | null };

// SQLite gives booleans back as 0/1, PostgreSQL as true/false.
const toOverride = (r: OverrideRow): OverrideRecord => ({
  date: r.date,
  working: r.working === true || Number(r.working) === 1,
  basis: r.basis,
  createdAt: r.created_at,
  createdBy: r.created_by_login,
});

const selectOverrides = (q: Q) =>
  q('calendar_overrides')
    .leftJoin('users', 'users.id', 'calendar_overrides.created_by')
    .select('calendar_overrides.date', 'calendar_overrides.working', 'calendar_overrides.basis', 'calendar_overrides.created_at', 'users.login as created_by_login');

export async function listOverrides(q: Q): Promise<OverrideRecord[]> {
  return ((await selectOverrides(q).orderBy('calendar_overrides.date')) as OverrideRow[]).map(toOverride);
}

export async function overrideByDate(q: Q, date: string): Promise<OverrideRecord | null> {
  const row = (await selectOverrides(q).where('calendar_overrides.date', date).first()) as OverrideRow | undefined;
  return row ? toOverride(row) : null;
}

export async function upsertOverride(q: Q, row: { date: string; working: boolean; basis: string; created_by: number | null; created_at: string }): Promise<void> {
  await q('calendar_overrides').insert(row).onConflict('date').merge();
}

export async function deleteOverride(q: Q, date: string): Promise<number> {
  return q('calendar_overrides').where({ date }).delete();
}
