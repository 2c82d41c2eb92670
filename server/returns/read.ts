import { join } from 'node:path';
import type { z } from 'zod';
import type { Principal } from '../accounts/service.js';
import { deadlinesOfSystem } from '../deadlines/service.js';
import type { ServiceDeps } from '../deps.js';
import { SystemNotFound } from '../systems/errors.js';
import type { SystemRow } from '../systems/queries.js';
import { ReturnNotFound } from './errors.js';
import * as q from './queries.js';
import type { PackageOut, ReturnOut } from './schemas.js';

/** What the API and the pages read about returns; every entry point starts with a scoped lookup. */

export type ReturnView = z.infer<typeof ReturnOut>;
export type PackageView = z.infer<typeof PackageOut>;
export const FORMATS = ['zip', 'tar'] as const;
export type PackageFormat = (typeof FORMATS)[number];

// ------------------------------------------------------------------ where packages live

/** `<dataDir>/returns/<system id>/`: derived from the numeric id only, never from a name in a request. */
export function packageDir(dataDir: string, systemId: number): string {
  if (!Number.isSafeInteger(systemId) || systemId <= 0) throw new Error(`returns: not a system id: ${String(systemId)}`);
  return join(dataDir, 'returns', String(systemId));
}

export const packageFile = (dataDir: string, systemId: number, bag: string, format: PackageFormat) => join(packageDir(dataDir, systemId), `${bag}.${format}`);

/** An archive of a package while it is written (renamed to `packageFile` when done; a kill can leave it). */
export const partFile = (dataDir: string, systemId: number, bag: string, packageId: number, format: PackageFormat) =>
  join(packageDir(dataDir, systemId), `.${bag}.${packageId}.${format}.part`);

/** The job's scratch folder (the bundle, the audit trail and the manifests while they are written). */
export const workDir = (dataDir: string, systemId: number, packageId: number) => join(packageDir(dataDir, systemId), `.work-${packageId}`);

// ------------------------------------------------------------------ views

export function toPackageView(p: q.PackageRow, code: string): PackageView {
  const url = (f: PackageFormat) => `/api/v1/systems/${encodeURIComponent(code)}/return/package.${f}`;
  const percent = p.status === 'ready' ? 100 : p.bytes_total > 0 ? Math.min(99, Math.floor((p.bytes_done / p.bytes_total) * 100)) : 0;
  return {
    id: p.id,
    status: p.status,
    bagName: p.bag_name,
    startedAt: p.started_at,
    startedBy: p.started_by_login,
    finishedAt: p.finished_at,
    phase: p.phase,
    progress: { bytesDone: p.bytes_done, bytesTotal: p.bytes_total, filesDone: p.files_done, percent },
    payloadOxum: p.payload_bytes !== null && p.payload_files !== null ? `${p.payload_bytes}.${p.payload_files}` : null,
    zip: p.status === 'ready' && p.zip_sha256 ? { size: p.zip_size ?? 0, sha256: p.zip_sha256, url: url('zip') } : null,
    tar: p.status === 'ready' && p.tar_sha256 ? { size: p.tar_size ?? 0, sha256: p.tar_sha256, url: url('tar') } : null,
    error: p.error,
  };
}

export async function returnView(deps: ServiceDeps, system: SystemRow, r: q.ReturnRow): Promise<ReturnView> {
  const [pkg, status, deadlines] = await Promise.all([q.latestPackage(deps.db, system.id), q.statusOf(deps.db, system.id), deadlinesOfSystem(deps, system.id)]);
  return {
    system: { code: system.code, nameKk: system.name_kk, nameRu: system.name_ru, status },
    notice: {
      withdrawnOn: r.withdrawn_on,
      basis: { number: r.basis_number, date: r.basis_date },
      scope: r.scope,
      notifiedOn: r.notified_on,
      notifiedAt: r.notified_at,
      notifiedBy: r.notified_by_login,
    },
    // Rules p.11: the notice (≤ 10 working days after the withdrawal) and the return (≤ 3 after the notice).
    deadlines: deadlines
      .filter((d) => d.rule === 'decommission_notice' || d.rule === 'return')
      .map((d) => ({ rule: d.rule, clause: d.clause, startDate: d.startDate, dueDate: d.dueDate, metOn: d.metOn, state: d.state })),
    package: pkg ? toPackageView(pkg, system.code) : null,
    archive: r.archived_at ? { actNumber: r.archive_act_number ?? '', actDate: r.archive_act_date ?? '', archivedAt: r.archived_at, archivedBy: r.archived_by_login } : null,
    purge: r.purged_at ? { purgedAt: r.purged_at, purgedBy: r.purged_by_login, reason: r.purge_reason ?? '' } : null,
  };
}

/** The system (in the return scope) and its return, if there is one yet. */
export async function returnOf(deps: ServiceDeps, principal: Principal, code: string): Promise<{ system: SystemRow; ret: q.ReturnRow | undefined }> {
  const system = await q.returnSystemFor(deps.db, principal, code);
  if (!system) throw new SystemNotFound();
  return { system, ret: await q.returnOfSystem(deps.db, system.id) };
}

/** `GET /systems/:code/return`: a system without a notice has no return to show (404). */
export async function getReturn(deps: ServiceDeps, principal: Principal, code: string): Promise<ReturnView> {
  const { system, ret } = await returnOf(deps, principal, code);
  if (!ret) throw new ReturnNotFound('return_not_found', { code: system.code });
  return returnView(deps, system, ret);
}

export interface ReturnListItem {
  code: string;
  nameKk: string;
  nameRu: string;
  status: string;
  owner: { bin: string; nameKk: string; nameRu: string };
  withdrawnOn: string;
  notifiedOn: string;
  scope: string;
  archive: { actNumber: string; actDate: string } | null;
  purged: boolean;
  package: PackageView | null;
}

/** Returns in the principal's scope; an archivist's screen asks for `returned` (ready for transfer). */
export async function listReturns(deps: ServiceDeps, principal: Principal, status?: string): Promise<ReturnListItem[]> {
  const rows = await q.listReturns(deps.db, principal, status);
  const packages = await q.latestPackages(deps.db, rows.map((r) => r.system_id));
  return rows.map((r) => {
    const pkg = packages.get(r.system_id);
    return {
      code: r.code,
      nameKk: r.name_kk,
      nameRu: r.name_ru,
      status: r.system_status,
      owner: { bin: r.owner_bin, nameKk: r.owner_name_kk, nameRu: r.owner_name_ru },
      withdrawnOn: r.withdrawn_on,
      notifiedOn: r.notified_on,
      scope: r.scope,
      archive: r.archive_act_number ? { actNumber: r.archive_act_number, actDate: r.archive_act_date ?? '' } : null,
      purged: r.purged_at !== null,
      package: pkg ? toPackageView(pkg, r.code) : null,
    };
  });
}

/** The ready package of a system the principal may download from; anything else is the same 404. */
export async function readyPackage(deps: ServiceDeps, principal: Principal, code: string): Promise<{ system: SystemRow; pkg: q.PackageRow }> {
  const { system, ret } = await returnOf(deps, principal, code);
  const pkg = ret && !ret.purged_at ? await q.latestPackage(deps.db, system.id) : undefined;
  if (!pkg || pkg.status !== 'ready') throw new ReturnNotFound('package_not_found');
  return { system, pkg };
}
