import { rm } from 'node:fs/promises';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import { almatyDate } from '../calendar/types.js';
import { meetDeadline, startDeadline } from '../deadlines/service.js';
import { lastVersion } from '../deposits/queries.js';
import type { Actor, AppDeps, ServiceDeps } from '../deps.js';
import * as notices from '../notify/notices.js';
import { moveStatus } from '../repositories/queries.js';
import { SystemNotFound } from '../systems/errors.js';
import type { SystemStatus } from '../systems/policy.js';
import { parseInput } from '../util/validate.js';
import { removeRepo, repoPath } from '../../storage/repos.js';
import { bagName } from './bagit.js';
import { ReturnConflict, ReturnInvalidState } from './errors.js';
import * as q from './queries.js';
import { packageDir, returnView, type ReturnView } from './read.js';
import { noticeInput, PurgeInput, transferInput } from './schemas.js';

/**
 * Decommissioning and the return (Rules p.11–12), one function per state transition, each one
 * transaction with one audit event:
 *
 *   accepted | deposit_received ──notice (body, p.11)──▶ decommission_notified
 *   decommission_notified ──return started (operator)──▶ package generating ──▶ ready: returned | failed
 *   returned ──transfer act (archivist or body, p.12)──▶ archived ──purge (operator admin)──▶ archived, purged
 *
 * A system never accepted has nothing to return: the notice is refused with 409 `nothing_accepted`
 * (docs/returns.md explains why and what the body does instead).
 */

/** Statuses from which a system may be withdrawn: it has an accepted version (a later push may have followed). */
const NOTIFIABLE: readonly SystemStatus[] = ['accepted', 'deposit_received'];
const WITHDRAWN: readonly SystemStatus[] = ['decommission_notified', 'returned', 'archived'];

const today = (deps: ServiceDeps) => almatyDate(deps.clock());

/** `POST /systems/:code/decommission`: Rules p.11, the owner's notice that the system was withdrawn. */
export async function notifyDecommission(deps: AppDeps, principal: Principal, actor: Actor, code: string, input: unknown): Promise<ReturnView> {
  const data = parseInput(noticeInput(today(deps)), input ?? {});
  const { system, ret } = await deps.db.transaction(async (trx) => {
    const system = await q.ownedSystemFor(trx, principal, code);
    if (!system) throw new SystemNotFound();
    await q.lockSystem(trx, system.id);
    const status = await q.statusOf(trx, system.id);
    if (WITHDRAWN.includes(status)) throw new ReturnConflict('already_notified', { code, status });
    // Nothing was ever accepted (p.9): the operator holds no deposit to hand back (see the module comment).
    if ((await lastVersion(trx, system.id)) === 0 || !NOTIFIABLE.includes(status)) throw new ReturnInvalidState('nothing_accepted', { code, status });
    const now = deps.clock().toISOString();
    const notifiedOn = today(deps);
    if (!(await moveStatus(trx, system.id, NOTIFIABLE, 'decommission_notified', now))) throw new ReturnConflict('already_notified', { code, status });
    const row: Omit<q.ReturnRow, 'id'> = {
      system_id: system.id,
      withdrawn_on: data.withdrawnOn,
      basis_number: data.basis.number,
      basis_date: data.basis.date,
      scope: data.scope,
      status_before: status,
      notified_on: notifiedOn,
      notified_at: now,
      notified_by: actor.userId,
      notified_by_login: actor.login,
      archive_act_number: null,
      archive_act_date: null,
      archived_at: null,
      archived_by: null,
      archived_by_login: null,
      purged_at: null,
      purged_by: null,
      purged_by_login: null,
      purge_reason: null,
    };
    const id = await q.insertReturn(trx, row);
    // Rules p.11: the notice is due ≤ 10 working days after the withdrawal (met today, maybe late) …
    await startDeadline(trx, deps, { systemId: system.id, rule: 'decommission_notice', startDate: data.withdrawnOn });
    const notice = await meetDeadline(trx, deps, { systemId: system.id, rule: 'decommission_notice', metOn: notifiedOn });
    // … and the operator hands the deposit back ≤ 3 working days after the notice.
    const due = await startDeadline(trx, deps, { systemId: system.id, rule: 'return', startDate: notifiedOn });
    await recordAudit(trx, deps.clock, actor, {
      action: 'system.decommission_notified',
      subjectType: 'system',
      subjectId: system.id,
      details: {
        code, withdrawnOn: data.withdrawnOn, basis: data.basis, scope: data.scope, statusFrom: status, statusTo: 'decommission_notified',
        notice: notice ? { clause: notice.clause, dueDate: notice.dueDate, state: notice.state } : null,
        returnDue: due.dueDate,
      },
    });
    await notices.decommissionNotified(trx, deps.clock, { systemId: system.id, withdrawnOn: data.withdrawnOn, basis: data.basis, scope: data.scope, returnDue: due.dueDate, late: notice?.state === 'met_late' });
    return { system: { ...system, status: 'decommission_notified' as const }, ret: { id, ...row } };
  });
  return returnView(deps, system, ret);
}

/** Who builds a package: this process (`host pid boot`), so that a crash can be told from a slow job. */
export interface StartedReturn {
  systemId: number;
  code: string;
  packageId: number;
}

/**
 * `POST /systems/:code/return`: Rules p.11, the operator starts handing the deposit back. The package
 * job is recorded here (`generating`); the caller launches it after the commit (job.ts).
 */
export async function startReturn(deps: AppDeps, principal: Principal, actor: Actor, code: string, worker: string): Promise<StartedReturn> {
  return deps.db.transaction(async (trx) => {
    const system = await q.returnSystemFor(trx, principal, code);
    if (!system || !principal.roles.some((r) => r === 'operator_admin' || r === 'operator_staff')) throw new SystemNotFound();
    await q.lockSystem(trx, system.id);
    const ret = await q.returnOfSystem(trx, system.id);
    const status = await q.statusOf(trx, system.id);
    if (status === 'returned' || status === 'archived') throw new ReturnConflict('already_returned', { code, status });
    if (!ret || status !== 'decommission_notified') throw new ReturnInvalidState('not_notified', { code, status });
    const last = await q.latestPackage(trx, system.id);
    if (last?.status === 'generating') throw new ReturnConflict('return_in_progress', { code });
    const now = deps.clock().toISOString();
    const bag = bagName(system.code, today(deps));
    const packageId = await q.insertPackage(trx, {
      return_id: ret.id,
      system_id: system.id,
      status: 'generating',
      bag_name: bag,
      started_at: now,
      started_by: actor.userId,
      started_by_login: actor.login,
      finished_at: null,
      worker,
      heartbeat_at: now,
      phase: 'queued',
      bytes_done: 0,
      bytes_total: 0,
      files_done: 0,
      payload_bytes: null,
      payload_files: null,
      zip_size: null,
      zip_sha256: null,
      tar_size: null,
      tar_sha256: null,
      error: null,
    });
    await recordAudit(trx, deps.clock, actor, { action: 'return.started', subjectType: 'system', subjectId: system.id, details: { code, packageId, bagName: bag, scope: ret.scope, retryOf: last?.status === 'failed' ? last.id : null } });
    return { systemId: system.id, code: system.code, packageId };
  });
}

export interface BuiltPackage {
  payloadBytes: number;
  payloadFiles: number;
  tar: { size: number; sha256: string };
  versions: number[];
  refs: number;
}

/**
 * The package is built: in one transaction it becomes `ready`, the system `returned` (the repository
 * is read-only from now on: the push policy refuses returned systems), the p.11 return deadline is
 * met (or met late) and the body is notified.
 */
export async function completeReturn(deps: AppDeps, actor: Actor, packageId: number, built: BuiltPackage): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const pkg = await q.packageById(trx, packageId);
    if (!pkg) throw new Error(`return package ${packageId} is gone`);
    await q.lockSystem(trx, pkg.system_id);
    const now = deps.clock().toISOString();
    if (!(await moveStatus(trx, pkg.system_id, ['decommission_notified'], 'returned', now))) throw new Error('the system is no longer awaiting its return');
    const finished = await q.finishPackage(trx, packageId, {
      status: 'ready', finished_at: now, heartbeat_at: now, phase: 'done', bytes_done: built.tar.size, bytes_total: built.tar.size,
      payload_bytes: built.payloadBytes, payload_files: built.payloadFiles, tar_size: built.tar.size, tar_sha256: built.tar.sha256,
    });
    if (!finished) throw new Error(`return package ${packageId} is no longer generating`);
    const deadline = await meetDeadline(trx, deps, { systemId: pkg.system_id, rule: 'return' });
    const code = await q.codeOf(trx, pkg.system_id);
    await recordAudit(trx, deps.clock, actor, {
      action: 'system.returned',
      subjectType: 'system',
      subjectId: pkg.system_id,
      details: {
        code, packageId, bagName: pkg.bag_name, statusFrom: 'decommission_notified', statusTo: 'returned', versions: built.versions, refs: built.refs,
        payloadOxum: `${built.payloadBytes}.${built.payloadFiles}`, tar: built.tar,
        deadline: deadline ? { clause: deadline.clause, dueDate: deadline.dueDate, state: deadline.state } : null,
      },
    });
    await notices.returnReady(trx, deps.clock, { systemId: pkg.system_id, link: `/systems/${encodeURIComponent(code)}/return` });
  });
}

/**
 * The zip of a ready package is written (made from its tar after the return): its size and SHA-256
 * are recorded — unless the package was purged meanwhile or the zip is recorded already (false).
 */
export async function recordZip(deps: ServiceDeps, actor: Actor, packageId: number, zip: { size: number; sha256: string }): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    const pkg = await q.packageById(trx, packageId);
    if (!pkg) return false;
    await q.lockSystem(trx, pkg.system_id);
    const ret = await q.returnOfSystem(trx, pkg.system_id);
    if (!ret || ret.purged_at) return false;
    const updated = Number(await trx('return_packages').where({ id: packageId, status: 'ready' }).whereNull('zip_sha256').update({ zip_size: zip.size, zip_sha256: zip.sha256 }));
    if (updated !== 1) return false;
    await recordAudit(trx, deps.clock, actor, { action: 'return.zip_written', subjectType: 'system', subjectId: pkg.system_id, details: { packageId, bagName: pkg.bag_name, zip } });
    return true;
  });
}

/** The job failed (or was interrupted by a crash): the package is `failed`, the operator may retry. */
export async function failReturn(deps: ServiceDeps, actor: Actor, packageId: number, reason: string): Promise<boolean> {
  return deps.db.transaction(async (trx) => {
    const pkg = await q.packageById(trx, packageId);
    const now = deps.clock().toISOString();
    if (!pkg || !(await q.finishPackage(trx, packageId, { status: 'failed', finished_at: now, heartbeat_at: now, error: reason.slice(0, 2000) }))) return false;
    await recordAudit(trx, deps.clock, actor, { action: 'return.failed', subjectType: 'system', subjectId: pkg.system_id, details: { packageId, bagName: pkg.bag_name, reason: reason.slice(0, 500) } });
    return true;
  });
}

/** Each download of a package is an audit event (issue 8 §3): who, which format, which byte range. */
export async function recordDownload(deps: ServiceDeps, actor: Actor, systemId: number, pkg: q.PackageRow, info: { format: string; range: { start: number; end: number } | null }): Promise<void> {
  await deps.db.transaction((trx) =>
    recordAudit(trx, deps.clock, actor, {
      action: 'return.downloaded',
      subjectType: 'system',
      subjectId: systemId,
      details: { packageId: pkg.id, bagName: pkg.bag_name, format: info.format, sha256: info.format === 'zip' ? pkg.zip_sha256 : pkg.tar_sha256, range: info.range },
    }),
  );
}

/**
 * `POST /systems/:code/archive-transfer`: Rules p.12, the returned deposit was transferred to the
 * state archive under art. 13 of the Law "On the National Archive Fund and archives" — the act's number
 * and date are recorded and the system is `archived`.
 */
export async function transferToArchive(deps: AppDeps, principal: Principal, actor: Actor, code: string, input: unknown): Promise<ReturnView> {
  const data = parseInput(transferInput(today(deps)), input ?? {});
  const { system, ret } = await deps.db.transaction(async (trx) => {
    const system = await q.transferSystemFor(trx, principal, code);
    if (!system) throw new SystemNotFound();
    await q.lockSystem(trx, system.id);
    const ret = await q.returnOfSystem(trx, system.id);
    const status = await q.statusOf(trx, system.id);
    if (status === 'archived') throw new ReturnConflict('already_archived', { code, actNumber: ret?.archive_act_number ?? '' });
    if (!ret || status !== 'returned') throw new ReturnInvalidState('not_returned', { code, status });
    const now = deps.clock().toISOString();
    if (!(await moveStatus(trx, system.id, ['returned'], 'archived', now))) throw new ReturnInvalidState('not_returned', { code, status });
    const patch = { archive_act_number: data.actNumber, archive_act_date: data.actDate, archived_at: now, archived_by: actor.userId, archived_by_login: actor.login };
    await q.updateReturn(trx, ret.id, patch);
    await recordAudit(trx, deps.clock, actor, { action: 'system.archived', subjectType: 'system', subjectId: system.id, details: { code, actNumber: data.actNumber, actDate: data.actDate, statusFrom: 'returned', statusTo: 'archived' } });
    return { system: { ...system, status: 'archived' as const }, ret: { ...ret, ...patch } };
  });
  return returnView(deps, system, ret);
}

/**
 * `POST /systems/:code/purge`: after the archive has the deposit, an operator admin may remove the
 * repository, its LFS holdings and the package files, with a reason. The records stay — the
 * application, register, acts, deposits' inventories, the audit trail — and so do the package's
 * SHA-256 sums, which still identify what the archive received. The transaction commits first;
 * the files go after it.
 */
export async function purgeRepository(deps: AppDeps, principal: Principal, actor: Actor, code: string, input: unknown): Promise<ReturnView> {
  const { reason } = parseInput(PurgeInput, input ?? {});
  if (!principal.roles.includes('operator_admin')) throw new SystemNotFound();
  const { system, ret } = await deps.db.transaction(async (trx) => {
    const system = await q.returnSystemFor(trx, principal, code);
    if (!system) throw new SystemNotFound();
    await q.lockSystem(trx, system.id);
    const ret = await q.returnOfSystem(trx, system.id);
    const status = await q.statusOf(trx, system.id);
    if (!ret || status !== 'archived') throw new ReturnInvalidState('not_archived', { code, status });
    if (ret.purged_at) throw new ReturnConflict('already_purged', { code });
    const now = deps.clock().toISOString();
    const patch = { purged_at: now, purged_by: actor.userId, purged_by_login: actor.login, purge_reason: reason };
    await q.updateReturn(trx, ret.id, patch);
    const released = await q.releaseLfsObjects(trx, system.id);
    const pkg = await q.latestPackage(trx, system.id);
    await recordAudit(trx, deps.clock, actor, {
      action: 'system.purged',
      subjectType: 'system',
      subjectId: system.id,
      details: { code, reason, lfsObjectsReleased: Number(released), package: pkg ? { bagName: pkg.bag_name, zip: { size: pkg.zip_size, sha256: pkg.zip_sha256 }, tar: { size: pkg.tar_size, sha256: pkg.tar_sha256 } } : null },
    });
    return { system, ret: { ...ret, ...patch } };
  });
  await removeRepo(repoPath(deps.config.dataDir, system.id));
  await rm(packageDir(deps.config.dataDir, system.id), { recursive: true, force: true });
  return returnView(deps, system, ret);
}
