import type { Principal } from '../accounts/service.js';
import { isOperatorRole } from '../accounts/roles.js';
import type { Actor, AppDeps } from '../deps.js';
import type { HookAnswer, HookHandler, HookRequest } from '../git/hooks.js';
import { currentRefs, isAncestor, quarantineEnv, quarantineOf, scanPushedObjects } from '../git/inspect.js';
import { scheduleMaintenance } from '../git/maintenance.js';
import { objectsOfSystem } from '../lfs/queries.js';
import { packageGenerating } from '../returns/queries.js';
import { gitEnv } from '../git/env.js';
import { t, type Lang } from '../http/i18n.js';
import { acquireRepoLock } from '../../storage/repos.js';
import { CLOSED_STATUSES, branchUpdatesToCheck, isZero, parseUpdates, refRejections, type Rejection } from './push-policy.js';
import { insertRefIntent, refIntent, systemForRepository } from './queries.js';
import { settleRefIntent, settleRefIntentsOf } from './recovery.js';
import { recordPush } from './service.js';

export interface PushContext {
  systemId: number;
  repo: string;
  principal: Principal;
  actor: Actor;
  lang: Lang;
}

/**
 * The hooks of one receive-pack, answered in the server (see server/git/hooks.ts for why).
 * pre-receive: the rules, then the repository lock, taken until the process ends (`release`), and
 * a check that no ref moved since the client read them — concurrent pushes: one wins, the others
 * get a clean message. post-receive: the audit event and the status change.
 */
export function pushHooks(deps: AppDeps, ctx: PushContext): { handler: HookHandler; release: () => Promise<void> } {
  let release: (() => Promise<void>) | null = null;
  let intentId: number | null = null;
  const say = (r: Rejection) => t(ctx.lang, r.key, r.params ?? {});
  const refuse = (rejections: Rejection[]): HookAnswer => ({ ok: false, messages: [...rejections.map(say), t(ctx.lang, 'git.push.refused')] });

  async function preReceive(req: HookRequest): Promise<HookAnswer> {
    const updates = parseUpdates(req.stdin);
    if (!updates || updates.length === 0) return refuse([{ key: 'git.push.malformed' }]);
    const started = process.hrtime.bigint();
    const system = await systemForRepository(deps.db, ctx.systemId);
    if (!system) return refuse([{ key: 'git.push.malformed' }]);
    const rejections = refRejections(updates, { isOperator: ctx.principal.roles.some(isOperatorRole) }, system.status);
    if (rejections.length) return refuse(rejections);
    const returning = await returnRejection(system);
    if (returning) return refuse([returning]);

    const quarantine = quarantineOf(ctx.repo, req.quarantine);
    // A push of refs to objects the repository already has brings no quarantine.
    const env = quarantine ? quarantineEnv(deps.config.dataDir, ctx.repo, quarantine) : gitEnv(deps.config.dataDir, { GIT_DIR: ctx.repo });
    for (const u of branchUpdatesToCheck(updates)) {
      if (!(await isAncestor(env, u.old, u.new))) rejections.push({ key: 'git.push.force_refused', params: { ref: u.ref } });
    }
    if (quarantine) {
      const tips = updates.filter((u) => !isZero(u.new)).map((u) => u.new);
      const found = await scanPushedObjects(deps.config.dataDir, ctx.repo, quarantine, deps.config.maxBlobBytes, tips);
      for (const b of found.largeBlobs) {
        rejections.push({ key: 'git.push.blob_too_large', params: { path: b.path ?? b.oid, size: mb(b.size), limit: mb(deps.config.maxBlobBytes) } });
      }
      for (const n of found.badNames) rejections.push({ key: 'git.push.bad_name', params: { name: n.name } });
      // Push integrity (issue 5 §3): every new LFS pointer must name an object this system holds, with
      // its size — uploaded first by `git lfs push` (the pre-push hook), never through another system.
      const pointers = found.lfsPointers;
      if (pointers.length) {
        const held = await objectsOfSystem(deps.db, ctx.systemId, [...new Set(pointers.map((p) => p.oid))]);
        for (const p of pointers) {
          if (held.get(p.oid) !== p.size) rejections.push({ key: 'git.push.lfs_object_missing', params: { oid: p.oid.slice(0, 16), size: p.size } });
        }
      }
    }
    const checkedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (rejections.length) return refuse(rejections);

    // Serialize with other writers of this repository; held until receive-pack exits.
    release = await acquireRepoLock(deps.config.dataDir, ctx.systemId);
    // Checked again under the lock (issue 8): the return may have started, or finished, while this push
    // was being inspected. The return job takes the same lock for its bundle and for its last ref check
    // and `returned` transaction, so a push either lands before the package's snapshot or is refused.
    const closed = await returnRejection();
    if (closed) {
      await releaseLock();
      return refuse([closed]);
    }
    const now = await currentRefs(env, updates.map((u) => u.ref));
    const moved = updates.filter((u) => (now.get(u.ref) ?? '0'.repeat(40)) !== u.old);
    if (moved.length) {
      await releaseLock();
      return refuse(moved.map((u) => ({ key: 'git.push.ref_moved', params: { ref: u.ref } })));
    }
    // The journal row (issue 12 §3): if this process dies between git moving the refs and the record
    // below, the move is recorded at the next start (server/repositories/recovery.ts).
    await settleRefIntentsOf(deps, ctx.systemId);
    intentId = await insertRefIntent(deps.db, { systemId: ctx.systemId, kind: 'push', actor: ctx.actor, details: { updates }, startedAt: deps.clock().toISOString() });
    deps.logger.debug({ systemId: ctx.systemId, checkedMs, lockedMs: Number(process.hrtime.bigint() - started) / 1e6 - checkedMs }, 'git: pre-receive passed');
    return { ok: true, messages: [] };
  }

  /** The system is handed back (Rules p.11: read-only), or its return package is being built (`known`: the
   *  row just read, saving a query; under the lock it is always read again). */
  async function returnRejection(known?: Awaited<ReturnType<typeof systemForRepository>>): Promise<Rejection | null> {
    const current = known ?? (await systemForRepository(deps.db, ctx.systemId));
    if (!current) return { key: 'git.push.malformed' };
    if (CLOSED_STATUSES.includes(current.status)) return { key: 'git.push.system_closed', params: { status: current.status } };
    if (current.status === 'decommission_notified' && (await packageGenerating(deps.db, ctx.systemId))) return { key: 'git.push.return_in_progress' };
    return null;
  }

  async function postReceive(req: HookRequest): Promise<HookAnswer> {
    const updates = parseUpdates(req.stdin) ?? [];
    if (updates.length === 0) return { ok: true, messages: [] };
    try {
      const { to } = await recordPush(deps, ctx.actor, ctx.systemId, updates, { intentId: intentId ?? undefined });
      scheduleMaintenance(deps.config.dataDir, ctx.repo, deps.logger);
      return { ok: true, messages: [t(ctx.lang, to === 'deposit_received' ? 'git.push.received' : 'git.push.stored')] };
    } catch (err) {
      // The refs are already updated (git's side is done); say so plainly and keep the error for the operator.
      deps.logger.error({ err, systemId: ctx.systemId }, 'git: push stored but not recorded');
      return { ok: true, messages: [t(ctx.lang, 'git.push.not_recorded')] };
    } finally {
      // The refs are updated and the push recorded: nothing more of this push touches the repository
      // (receive.autogc is off, there is no post-update hook), so the next writer need not wait for
      // receive-pack to report to the client and exit. A push that never gets here (refused, cut)
      // still releases when receive-pack exits.
      await releaseLock();
    }
  }

  async function releaseLock(): Promise<void> {
    const r = release;
    release = null;
    // After post-receive, or once receive-pack is gone: a journal row still here means the refs moved
    // (or not) without the post-receive record — settle it while the lock is still ours.
    const id = intentId;
    intentId = null;
    const left = id === null ? undefined : await refIntent(deps.db, id).catch(() => undefined);
    if (left) await settleRefIntent(deps, left).catch((err: unknown) => deps.logger.error({ err, systemId: ctx.systemId }, 'git: a push left unrecorded; recorded at the next start'));
    if (r) await r();
  }

  return {
    handler: (req) => (req.hook === 'pre-receive' ? preReceive(req) : postReceive(req)),
    release: releaseLock,
  };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
