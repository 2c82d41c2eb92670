import { recordAudit } from '../audit/service.js';
import { almatyDate } from '../calendar/types.js';
import { meetDeadline, startDeadline } from '../deadlines/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { GitError } from '../git/errors.js';
import { DEFAULT_BRANCH, initWithSkeleton } from '../git/form.js';
import type { SystemStatus } from '../systems/policy.js';
import { publishRepo, removeRepo, repoExists, repoPath, stagingDir, syncTree, withRepoLock } from '../../storage/repos.js';
import * as q from './queries.js';
import type { RefUpdate } from './push-policy.js';
import type { UploadDetails } from './intents.js';
import * as notices from '../notify/notices.js';

/** A service that touches repositories also needs the data folder. AppDeps satisfies it. */
export type RepoDeps = ServiceDeps & { readonly config: { readonly dataDir: string } };

/** Statuses in which a system has a repository (every status from `repository_formed` on). */
export const WITH_REPOSITORY: readonly SystemStatus[] = ['repository_formed', 'deposit_received', 'accepted', 'decommission_notified', 'returned', 'archived'];

export function hasRepository(status: SystemStatus): boolean {
  return WITH_REPOSITORY.includes(status);
}

/**
 * Rules p.8: the operator forms a repository for receiving the deposit (≤ 3 working days after
 * registration). Creates the bare repository (its path from the system's id), commits the skeleton
 * of templates/repository/ on `main`, and moves the system `registered → repository_formed`.
 *
 * Files first, then the transaction: the repository is built in a staging folder, synced and moved
 * into place; if the transaction then fails, the new repository is removed again. A repository
 * folder left by a crash between the two is rebuilt, since its system is still `registered` and
 * nothing was ever served from it.
 */
export async function formRepository(deps: RepoDeps, actor: Actor, systemId: number): Promise<{ commit: string; formedAt: string }> {
  const { dataDir } = deps.config;
  return withRepoLock(dataDir, systemId, async () => {
    const system = await q.systemForRepository(deps.db, systemId);
    if (!system) throw new NotFound();
    if (system.status !== 'registered') throw new GitError(409, 'repository_not_formable', { code: system.code, status: system.status });
    if (repoExists(dataDir, systemId)) await removeRepo(repoPath(dataDir, systemId));

    const formedAt = deps.clock();
    const staging = await stagingDir(dataDir, systemId);
    let commit: string;
    try {
      commit = await initWithSkeleton(dataDir, staging, {
        values: { code: system.code, name_kk: system.name_kk, name_ru: system.name_ru },
        message: `Репозиторий қалыптастырылды / Репозиторий сформирован / Repository formed: ${system.code}\n\nRules p.8\n`,
        author: { name: actor.login && actor.login !== 'system' ? actor.login : 'Qoima', email: 'qoima@localhost' },
        when: formedAt,
      });
      await syncTree(staging);
      await publishRepo(staging, dataDir, systemId);
    } catch (err) {
      await removeRepo(staging);
      throw err;
    }

    try {
      await deps.db.transaction(async (trx) => {
        const at = formedAt.toISOString();
        const moved = await q.moveStatus(trx, systemId, ['registered'], 'repository_formed', at, { repository_formed_at: at });
        if (!moved) throw new GitError(409, 'repository_not_formable', { code: system.code, status: system.status });
        // Rules p.8 (repository ≤ 3 WD after registration) is met today; p.9 (acceptance ≤ 3 WD after
        // the repository is formed) starts counting from today.
        const today = almatyDate(formedAt);
        await meetDeadline(trx, deps, { systemId, rule: 'repository', metOn: today });
        await startDeadline(trx, deps, { systemId, rule: 'acceptance', startDate: today });
        await recordAudit(trx, deps.clock, actor, { action: 'repository.formed', subjectType: 'system', subjectId: systemId, details: { code: system.code, commit } });
        await notices.repositoryFormed(trx, deps.clock, systemId); // notify/: the body, with the clone URL (issue 7)
      });
    } catch (err) {
      await removeRepo(repoPath(dataDir, systemId));
      throw err;
    }
    return { commit, formedAt: formedAt.toISOString() };
  });
}

/** Which journal row (ref_intents) the record closes, and whether a recovery makes it (details `recovered`). */
export interface RecordOptions {
  intentId?: number;
  recovered?: boolean;
}

/**
 * A push was accepted by git and our pre-receive policy: record who pushed which refs (old → new)
 * and move the system to `deposit_received` — from `repository_formed` (the first deposit, which
 * the p.9 acceptance deadline counts from) or from `accepted` (a new version, architecture.md).
 */
export async function recordPush(deps: ServiceDeps, actor: Actor, systemId: number, updates: RefUpdate[], opts: RecordOptions = {}): Promise<{ from: SystemStatus; to: SystemStatus }> {
  return deps.db.transaction(async (trx) => {
    const system = await q.systemForRepository(trx, systemId);
    if (!system) throw new NotFound();
    const at = deps.clock().toISOString();
    // The operator's own deposit/* tags mark an accepted version; they are not a new deposit.
    const deposit = updates.some((u) => !u.ref.startsWith('refs/tags/deposit/'));
    const moved = deposit && (await q.moveStatus(trx, systemId, ['repository_formed', 'accepted'], 'deposit_received', at));
    const to: SystemStatus = moved ? 'deposit_received' : system.status;
    await recordAudit(trx, deps.clock, actor, {
      action: 'repository.pushed',
      subjectType: 'system',
      subjectId: systemId,
      details: { code: system.code, refs: updates.map((u) => ({ ref: u.ref, old: u.old, new: u.new })), statusFrom: system.status, statusTo: to, ...recovered(opts) },
    });
    await notices.pushReceived(trx, deps.clock, systemId, actor, updates.map((u) => u.ref)); // notify/: operator staff (issue 7)
    if (opts.intentId !== undefined) await q.deleteRefIntent(trx, opts.intentId);
    return { from: system.status, to };
  });
}

/**
 * A file uploaded through the API or the upload page was committed (`commit`) on the default branch:
 * record it (audit `deposit.file_uploaded`) and move the system to `deposit_received`, as a push does.
 */
export async function recordUpload(deps: ServiceDeps, actor: Actor, systemId: number, file: UploadDetails, commit: string, opts: RecordOptions = {}): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const system = await q.systemForRepository(trx, systemId);
    if (!system) throw new NotFound();
    await q.moveStatus(trx, systemId, ['repository_formed', 'accepted'], 'deposit_received', deps.clock().toISOString());
    await recordAudit(trx, deps.clock, actor, {
      action: 'deposit.file_uploaded',
      subjectType: 'system',
      subjectId: systemId,
      details: { code: system.code, ...file, commit, ...recovered(opts) },
    });
    await notices.pushReceived(trx, deps.clock, systemId, actor, [`refs/heads/${DEFAULT_BRANCH}`]); // notify/: operator staff (issue 7)
    if (opts.intentId !== undefined) await q.deleteRefIntent(trx, opts.intentId);
  });
}

const recovered = (opts: RecordOptions) => (opts.recovered ? { recovered: true } : {});
