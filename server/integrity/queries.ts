import type { Db, Trx } from '../../storage/db.js';

type Q = Db | Trx;

export interface SystemRef {
  id: number;
  code: string;
}

export const allSystems = (q: Q): Promise<SystemRef[]> => q('systems').select('id', 'code').orderBy('id');
export const systemByCode = (q: Q, code: string): Promise<SystemRef | undefined> => q('systems').where({ code }).first('id', 'code');

export interface LfsRow {
  system_id: number;
  oid: string;
  size: number;
}

export async function lfsObjects(q: Q, systemId?: number): Promise<LfsRow[]> {
  const rows = await q('lfs_objects').modify((b) => (systemId ? b.where({ system_id: systemId }) : b)).select('system_id', 'oid', 'size').orderBy(['system_id', 'oid']);
  return rows.map((r: LfsRow) => ({ ...r, size: Number(r.size) }));
}

export interface DepositRef {
  id: number;
  system_id: number;
  version: number;
  commit_id: string;
  tag: string;
  tag_oid: string;
  act_sha256: string;
}

export const deposits = (q: Q, systemId?: number): Promise<DepositRef[]> =>
  q('deposits').modify((b) => (systemId ? b.where({ system_id: systemId }) : b)).select('id', 'system_id', 'version', 'commit_id', 'tag', 'tag_oid', 'act_sha256').orderBy(['system_id', 'version']);

export async function lfsFilesOf(q: Q, depositId: number): Promise<{ path: string; sha256: string; size: number }[]> {
  const rows = await q('deposit_files').where({ deposit_id: depositId, lfs: true }).select('path', 'sha256', 'size').orderBy('path');
  return rows.map((r: { path: string; sha256: string; size: number }) => ({ ...r, size: Number(r.size) }));
}

/** Tables of other modules that may not exist yet in every build. */
export const hasTable = (q: Q, name: string): Promise<boolean> => q.schema.hasTable(name);

export const storedReports = (q: Q): Promise<{ id: number; period: string; revision: number; data: string; sha256: string }[]> =>
  q('reports').select('id', 'period', 'revision', 'data', 'sha256').orderBy('id');

export interface PackageRef {
  id: number;
  system_id: number;
  bag_name: string;
  zip_size: number | null;
  zip_sha256: string | null;
  tar_size: number | null;
  tar_sha256: string | null;
}

export const readyPackages = (q: Q, systemId?: number): Promise<PackageRef[]> =>
  q('return_packages').where({ status: 'ready' }).modify((b) => (systemId ? b.where({ system_id: systemId }) : b)).select('id', 'system_id', 'bag_name', 'zip_size', 'zip_sha256', 'tar_size', 'tar_sha256').orderBy('id');

export interface FindingRow {
  kind: string;
  subject: string;
  detail: string;
}

export interface RunRow {
  started_at: string;
  finished_at: string;
  scope: string | null;
  objects_checked: number;
  bytes_checked: number;
  finding_count: number;
  /** 'manual' (`qoima fsck`) or 'scheduled' (the scrubber); the scrubber's slice names its kind, range and cycle. */
  trigger: 'manual' | 'scheduled';
  object_kind?: string | null;
  cursor_from?: string | null;
  cursor_to?: string | null;
  cycle?: number | null;
}

export async function insertRun(trx: Trx, run: RunRow, findings: FindingRow[]): Promise<number> {
  const [row] = await trx('fixity_runs').insert(run).returning('id');
  const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
  for (let i = 0; i < findings.length; i += 200) await trx('fixity_findings').insert(findings.slice(i, i + 200).map((f) => ({ kind: f.kind, subject: f.subject, detail: f.detail, run_id: id })));
  return id;
}
