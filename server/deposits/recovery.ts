import { createReadStream, existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { AppDeps } from '../deps.js';
import { removeTag, tagRefOid } from '../git/tag.js';
import { repoExists, repoPath, withRepoLock } from '../../storage/repos.js';
import { actPath, publishStagedAct, stagedActs } from './act.js';
import * as q from './queries.js';

/**
 * Finishes or undoes acceptances a crash cut (issue 12). An acceptance writes its journal row
 * (`deposit_intents`) before it tags `deposit/vN` and stages the act, records the deposit in one
 * transaction, publishes the act, then drops the row. A row found here therefore means:
 *  - no deposit row: the transaction never committed — the tag and the staged act are removed, so
 *    no client sees a `deposit/vN` the register does not hold;
 *  - a deposit row: it committed, but the act may still be a temp file — it is published if its
 *    SHA-256 is the recorded one.
 * Each row is handled under the repository's lock, which a running acceptance holds from before its
 * journal row to after its removal: another process's acceptance in progress is never touched.
 */
export async function recoverInterruptedAcceptances(deps: AppDeps): Promise<number> {
  let recovered = 0;
  for (const intent of await q.listIntents(deps.db)) {
    await withRepoLock(deps.config.dataDir, intent.system_id, async () => {
      if (await q.intentExists(deps.db, intent.id)) recovered += Number(await settle(deps, intent)); // else finished meanwhile
    });
  }
  return recovered;
}

/**
 * The same for one system, by a caller that holds its repository's lock (an acceptance about to
 * start: a journal row of a process that crashed while this one runs would take its version number).
 */
export async function settleIntentsOf(deps: AppDeps, systemId: number): Promise<void> {
  for (const intent of await q.listIntents(deps.db, systemId)) await settle(deps, intent);
}

async function settle(deps: AppDeps, intent: q.DepositIntent): Promise<boolean> {
  const { dataDir } = deps.config;
  const deposit = await q.depositByVersion(deps.db, intent.system_id, intent.version);
  const staged = await stagedActs(dataDir, intent.system_id, intent.version);
  if (deposit) {
    const target = actPath(dataDir, intent.system_id, intent.version);
    for (const tmp of staged) {
      if (!existsSync(target) && (await sha256Of(tmp)) === deposit.act_sha256) await publishStagedAct(tmp, target);
      else await unlink(tmp).catch(() => undefined);
    }
  } else {
    const repo = repoPath(dataDir, intent.system_id);
    const tagOid = repoExists(dataDir, intent.system_id) ? await tagRefOid(dataDir, repo, intent.tag) : null;
    if (tagOid) await removeTag(dataDir, repo, intent.tag, tagOid);
    for (const tmp of staged) await unlink(tmp).catch(() => undefined);
  }
  await q.deleteIntent(deps.db, intent.id);
  deps.logger.warn({ systemId: intent.system_id, version: intent.version, committed: Boolean(deposit) }, `deposits: an acceptance cut by a crash was ${deposit ? 'completed' : 'undone'}`);
  return true;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
