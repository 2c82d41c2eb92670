import type { AppDeps } from '../deps.js';
import { commitWithLine } from '../git/browse.js';
import { gitEnv } from '../git/env.js';
import { DEFAULT_BRANCH } from '../git/form.js';
import { currentRefs } from '../git/inspect.js';
import { repoExists, repoPath, withRepoLock } from '../../storage/repos.js';
import { uploadLine, type RefIntent } from './intents.js';
import { deleteRefIntent, listRefIntents, refIntent } from './queries.js';
import { isZero } from './push-policy.js';
import { recordPush, recordUpload } from './service.js';

/**
 * Settles a journal row of a ref move (server/repositories/intents.ts) whose recording never
 * happened — the process died, or the database failed, between git and the transaction. What landed
 * in git is recorded now, as it would have been (its audit event carries `recovered: true`); what
 * did not land is forgotten. The caller holds the system's repository lock, which the push or upload
 * holds from before its row to after its record: a move still in progress is never settled.
 */
export async function settleRefIntent(deps: AppDeps, intent: RefIntent): Promise<void> {
  const { dataDir } = deps.config;
  if (!repoExists(dataDir, intent.systemId)) return deleteRefIntent(deps.db, intent.id);
  const repo = repoPath(dataDir, intent.systemId);
  if (intent.kind === 'push') {
    const { updates } = intent.details;
    const now = await currentRefs(gitEnv(dataDir, { GIT_DIR: repo }), updates.map((u) => u.ref));
    // receive-pack moves each ref on its own: record the ones that moved.
    const landed = updates.filter((u) => (now.get(u.ref) ?? '0'.repeat(40)) === u.new || (isZero(u.new) && !now.has(u.ref)));
    if (landed.length === 0) return deleteRefIntent(deps.db, intent.id);
    await recordPush(deps, intent.actor, intent.systemId, landed, { intentId: intent.id, recovered: true });
    deps.logger.warn({ systemId: intent.systemId, refs: landed.map((u) => u.ref) }, 'git: a push cut before its record was recorded now');
    return;
  }
  const commit = await commitWithLine(dataDir, repo, DEFAULT_BRANCH, uploadLine(intent.id));
  if (!commit) return deleteRefIntent(deps.db, intent.id);
  await recordUpload(deps, intent.actor, intent.systemId, intent.details, commit, { intentId: intent.id, recovered: true });
  deps.logger.warn({ systemId: intent.systemId, path: intent.details.path, commit }, 'uploads: a commit cut before its record was recorded now');
}

/** Settles the rows of one system left by others; the caller holds its repository lock. */
export async function settleRefIntentsOf(deps: AppDeps, systemId: number): Promise<void> {
  for (const intent of await listRefIntents(deps.db, systemId)) await settleRefIntent(deps, intent);
}

/** At start: every row a crash left, each under its repository's lock (another process may be pushing). */
export async function recoverInterruptedRefMoves(deps: AppDeps): Promise<number> {
  let settled = 0;
  for (const intent of await listRefIntents(deps.db)) {
    await withRepoLock(deps.config.dataDir, intent.systemId, async () => {
      const still = await refIntent(deps.db, intent.id); // else finished meanwhile
      if (still) {
        await settleRefIntent(deps, still);
        settled++;
      }
    });
  }
  return settled;
}
