import type { Db, Trx } from '../../storage/db.js';
import type { DepositRef, LfsRow, PackageRef, SystemRef } from './queries.js';

/** The scrubber's SQL: cursors, the lease, pages of each kind of object after a cursor, and what the page shows. */
type Q = Db | Trx;

export interface CursorRow {
  object_kind: string;
  position: string | null;
  cycle: number;
  cycle_started_at: string;
  last_full_cycle_started_at: string | null;
  last_full_cycle_finished_at: string | null;
  updated_at: string;
  objects_total: number;
  bytes_total: number;
  findings_total: number;
}

const normCursor = (r: CursorRow): CursorRow => ({ ...r, cycle: Number(r.cycle), objects_total: Number(r.objects_total), bytes_total: Number(r.bytes_total), findings_total: Number(r.findings_total) });

export async function cursors(q: Q): Promise<CursorRow[]> {
  return ((await q('fixity_cursors').select('*').orderBy('object_kind')) as CursorRow[]).map(normCursor);
}

export async function cursorFor(q: Q, kind: string): Promise<CursorRow | undefined> {
  const row = (await q('fixity_cursors').where({ object_kind: kind }).first()) as CursorRow | undefined;
  return row ? normCursor(row) : undefined;
}

/** Creates the cursor of a kind at its start the first time the scrubber meets it (a second process racing: no-op). */
export async function ensureCursor(q: Q, kind: string, now: string): Promise<void> {
  await q('fixity_cursors').insert({ object_kind: kind, position: null, cycle: 1, cycle_started_at: now, updated_at: now }).onConflict('object_kind').ignore();
}

export async function saveCursor(trx: Trx, kind: string, set: Partial<Omit<CursorRow, 'object_kind' | 'objects_total' | 'bytes_total' | 'findings_total'>>, add: { objects: number; bytes: number; findings: number }): Promise<void> {
  await trx('fixity_cursors')
    .where({ object_kind: kind })
    .update({
      ...set,
      objects_total: trx.raw('objects_total + ?', [add.objects]),
      bytes_total: trx.raw('bytes_total + ?', [add.bytes]),
      findings_total: trx.raw('findings_total + ?', [add.findings]),
    });
}

/** Takes or renews the lease when it is free, expired or already ours; true when we hold it. */
export async function takeLease(q: Q, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  const n = await q('fixity_lease')
    .where({ name: 'scrubber' })
    .andWhere((b) => b.where({ holder }).orWhereNull('holder').orWhere('expires_at_ms', '<', nowMs))
    .update({ holder, expires_at_ms: nowMs + ttlMs });
  return Number(n) === 1;
}

export async function releaseLease(q: Q, holder: string): Promise<void> {
  await q('fixity_lease').where({ name: 'scrubber', holder }).update({ holder: null, expires_at_ms: 0 });
}

// ---- pages of objects after a cursor, in the cursor's order

export const systemsAfter = (q: Q, afterId: number, limit: number): Promise<SystemRef[]> => q('systems').where('id', '>', afterId).select('id', 'code').orderBy('id').limit(limit);

export const codesOf = async (q: Q, ids: number[]): Promise<Map<number, string>> =>
  new Map(((await q('systems').whereIn('id', [...new Set(ids)]).select('id', 'code')) as SystemRef[]).map((s) => [s.id, s.code]));

export async function lfsAfter(q: Q, after: { systemId: number; oid: string } | null, limit: number): Promise<LfsRow[]> {
  const rows = await q('lfs_objects')
    .modify((b) => (after ? b.where('system_id', '>', after.systemId).orWhere((w) => w.where('system_id', after.systemId).andWhere('oid', '>', after.oid)) : b))
    .select('system_id', 'oid', 'size')
    .orderBy(['system_id', 'oid'])
    .limit(limit);
  return rows.map((r: LfsRow) => ({ ...r, size: Number(r.size) }));
}

export const depositsAfter = (q: Q, afterId: number, limit: number): Promise<(DepositRef & { id: number })[]> =>
  q('deposits').where('id', '>', afterId).select('id', 'system_id', 'version', 'commit_id', 'tag', 'tag_oid', 'act_sha256').orderBy('id').limit(limit);

export const packagesAfter = (q: Q, afterId: number, limit: number): Promise<PackageRef[]> =>
  q('return_packages').where({ status: 'ready' }).andWhere('id', '>', afterId).select('id', 'system_id', 'bag_name', 'zip_size', 'zip_sha256', 'tar_size', 'tar_sha256').orderBy('id').limit(limit);

export const reportsAfter = (q: Q, afterId: number, limit: number): Promise<{ id: number; period: string; revision: number; data: string; sha256: string }[]> =>
  q('reports').where('id', '>', afterId).select('id', 'period', 'revision', 'data', 'sha256').orderBy('id').limit(limit);

/** True when the scrubber already recorded this finding in this cycle of its kind or the one before (so it is not new). */
export async function seenRecently(q: Q, f: { kind: string; subject: string }, objectKind: string, cycle: number): Promise<boolean> {
  const row = await q('fixity_findings as f')
    .join('fixity_runs as r', 'r.id', 'f.run_id')
    .where({ 'f.kind': f.kind, 'f.subject': f.subject, 'r.trigger': 'scheduled', 'r.object_kind': objectKind })
    .andWhere('r.cycle', '>=', cycle - 1)
    .first('f.id');
  return row !== undefined;
}

// ---- the operator page

export interface RunListRow {
  id: number;
  started_at: string;
  finished_at: string;
  scope: string | null;
  trigger: string;
  object_kind: string | null;
  cursor_from: string | null;
  cursor_to: string | null;
  cycle: number | null;
  objects_checked: number;
  bytes_checked: number;
  finding_count: number;
}

export async function recentRuns(q: Q, opts: { limit: number; withFindings?: boolean }): Promise<RunListRow[]> {
  const rows = (await q('fixity_runs')
    .modify((b) => (opts.withFindings ? b.where('finding_count', '>', 0) : b))
    .select('id', 'started_at', 'finished_at', 'scope', 'trigger', 'object_kind', 'cursor_from', 'cursor_to', 'cycle', 'objects_checked', 'bytes_checked', 'finding_count')
    .orderBy('id', 'desc')
    .limit(opts.limit)) as RunListRow[];
  return rows.map((r) => ({ ...r, objects_checked: Number(r.objects_checked), bytes_checked: Number(r.bytes_checked), finding_count: Number(r.finding_count) }));
}

export interface FindingListRow {
  id: number;
  run_id: number;
  kind: string;
  subject: string;
  detail: string;
  started_at: string;
  trigger: string;
}

export const recentFindings = (q: Q, opts: { limit: number; runId?: number }): Promise<FindingListRow[]> =>
  q('fixity_findings as f')
    .join('fixity_runs as r', 'r.id', 'f.run_id')
    .modify((b) => (opts.runId ? b.where('f.run_id', opts.runId) : b))
    .select('f.id', 'f.run_id', 'f.kind', 'f.subject', 'f.detail', 'r.started_at', 'r.trigger')
    .orderBy('f.id', 'desc')
    .limit(opts.limit);
