import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import * as notices from '../notify/notices.js';
import { meetDeadline } from '../deadlines/service.js';
import type { Actor, AppDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { commitOf } from '../git/inventory.js';
import { createAnnotatedTag, removeTag, tagRefOid } from '../git/tag.js';
import { applicationsOfSystem } from '../intake/read.js';
import { moveStatus } from '../repositories/queries.js';
import type { SystemStatus } from '../systems/policy.js';
import { findSystemFor, systemRowFor } from '../systems/queries.js';
import { parseInput } from '../util/validate.js';
import { repoExists, repoPath, withRepoLock } from '../../storage/repos.js';
import { byPath, manifestSha256, stageAct, type ActFacts, type ActModel } from './act.js';
import { DepositConflict, DepositInvalidState, DepositNotFound } from './errors.js';
import { buildInventory, type InventoryFile } from './inventory.js';
import * as q from './queries.js';
import { AcceptInput } from './schemas.js';
import { settleIntentsOf } from './recovery.js';

/**
 * Rules p.9: the operator accepts the deposit (≤ 3 working days after the repository is formed) — and
 * accepts only what it has checked. A system may be accepted from the repository's forming on; a
 * later acceptance is a new version of the system (a development, rules 000).
 */
export const ACCEPTABLE: readonly SystemStatus[] = ['repository_formed', 'deposit_received', 'accepted'];

export interface Accepted {
  version: number;
  tag: string;
  commit: string;
  actSha256: string;
  errorCount: number;
  warningCount: number;
  overridden: boolean;
}

/**
 * Accepts the deposit at `ref` as the system's next version: inventories the commit, refuses while
 * there are error findings unless the operator gives a reason to override, tags `deposit/vN` (an
 * annotated tag by the operator), renders the acceptance act, then in one transaction stores the
 * version with its inventory and findings, moves the system to `accepted`, meets the p.9 deadline and
 * writes the audit event. Git and the act are written first and undone if the transaction fails; the
 * repository's lock makes the version number and the tag one step.
 */
export async function acceptDeposit(deps: AppDeps, actor: Actor, principal: Principal, code: string, input: unknown): Promise<Accepted> {
  const body = parseInput(AcceptInput, input);
  const system = await findSystemFor(deps.db, principal, code, 'operate');
  if (!system || !repoExists(deps.config.dataDir, system.id)) throw new NotFound();
  if (!ACCEPTABLE.includes(system.status)) throw new DepositInvalidState('deposit_not_acceptable', { status: system.status });
  const { dataDir } = deps.config;
  const repo = repoPath(dataDir, system.id);

  return withRepoLock(dataDir, system.id, async () => {
    const commit = await commitOf(dataDir, repo, body.ref);
    if (!commit) throw new DepositNotFound('ref_not_found', { ref: body.ref });
    const already = await q.depositByCommit(deps.db, system.id, commit);
    if (already) throw new DepositConflict('deposit_already_accepted', { version: already.version, commit });

    const files: InventoryFile[] = [];
    const inventory = await buildInventory(deps, system.id, commit, (f) => void files.push(f));
    if (inventory.errorCount > 0 && !body.overrideReason) throw new DepositInvalidState('deposit_has_errors', { errors: inventory.errorCount });
    files.sort(byPath);

    await settleIntentsOf(deps, system.id); // a crashed process's acceptance of this system, if any
    const version = (await q.lastVersion(deps.db, system.id)) + 1;
    const tagName = `deposit/v${version}`;
    const when = deps.clock();
    const facts = await factsOf(deps, principal, code);
    const model: ActModel = {
      facts,
      version,
      tag: tagName,
      commit,
      acceptedAt: when.toISOString(),
      overrideReason: inventory.errorCount > 0 ? body.overrideReason : null,
      categories: inventory.categories,
      findings: inventory.findings,
      errorCount: inventory.errorCount,
      warningCount: inventory.warningCount,
      manifestSha256: manifestSha256(files),
      files,
    };

    // The journal row comes first: a crash from here on is finished or undone at the next start
    // (recovery.ts). A tag of this name the database does not know (left before the journal
    // existed, or made by hand) is replaced: the database is the record.
    const intentId = await q.insertIntent(deps.db, { system_id: system.id, version, tag: tagName, started_at: when.toISOString() });
    const stale = await tagRefOid(dataDir, repo, tagName);
    const tagOid = await createAnnotatedTag(dataDir, repo, { name: tagName, commit, tagger: { name: facts.operator.fullName, email: principal.user.email ?? `${principal.user.login}@qoima.local` }, when, message: tagMessage(model, principal) }, stale).catch(async (err: unknown) => {
      await q.deleteIntent(deps.db, intentId);
      throw err;
    });
    const act = await stageAct(dataDir, system.id, model).catch(async (err: unknown) => {
      await removeTag(dataDir, repo, tagName, tagOid);
      await q.deleteIntent(deps.db, intentId);
      throw err;
    });
    try {
      await deps.db.transaction(async (trx) => {
        const at = when.toISOString();
        if (!(await moveStatus(trx, system.id, ACCEPTABLE, 'accepted', at))) throw new DepositInvalidState('deposit_not_acceptable', { status: system.status });
        // Rules p.9: the acceptance meets the deadline counted from the repository's forming.
        const deadline = await meetDeadline(trx, deps, { systemId: system.id, rule: 'acceptance' });
        const depositId = await q.insertDeposit(trx, {
          system_id: system.id,
          version,
          commit_id: commit,
          tag: tagName,
          tag_oid: tagOid,
          accepted_at: at,
          accepted_by: actor.userId,
          accepted_by_login: actor.login,
          override_reason: model.overrideReason,
          file_count: inventory.files,
          total_size: inventory.bytes,
          error_count: inventory.errorCount,
          warning_count: inventory.warningCount,
          categories: JSON.stringify(inventory.categories),
          third_party: JSON.stringify(inventory.thirdParty),
          facts: JSON.stringify(facts),
          manifest_sha256: model.manifestSha256,
          act_sha256: act.sha256,
          deadline_state: deadline?.state ?? null,
        });
        await q.insertFiles(trx, files.map((f) => ({ deposit_id: depositId, path: f.path, category: f.category, size: f.size, sha256: f.sha256, git_oid: f.gitOid, mode: f.mode, file_type: f.type, lfs: f.lfs, lfs_present: f.lfsPresent })));
        await q.insertFindings(trx, inventory.findings.map((f) => ({ deposit_id: depositId, code: f.code, severity: f.severity, path: f.path, params: JSON.stringify(f.params) })));
        await recordAudit(trx, deps.clock, actor, {
          action: 'deposit.accepted',
          subjectType: 'system',
          subjectId: system.id,
          details: {
            code: system.code, version, tag: tagName, tagOid, commit, statusFrom: system.status, statusTo: 'accepted',
            files: inventory.files, bytes: inventory.bytes, errors: inventory.errorCount, warnings: inventory.warningCount,
            overrideReason: model.overrideReason, manifestSha256: model.manifestSha256, actSha256: act.sha256,
            deadline: deadline ? { clause: deadline.clause, dueDate: deadline.dueDate, state: deadline.state } : null,
            ...(stale ? { replacedStaleTag: stale } : {}),
          },
        });
        // notify/: the body learns its deposit was accepted, with the act (issue 7).
        await notices.depositAccepted(trx, deps.clock, { systemId: system.id, version, tag: tagName, commit, actLink: `/systems/${encodeURIComponent(system.code)}/deposits/${version}/act` });
      });
    } catch (err) {
      await act.discard();
      await removeTag(dataDir, repo, tagName, tagOid);
      await q.deleteIntent(deps.db, intentId);
      if (isUniqueViolation(err)) throw new DepositConflict('deposit_busy');
      throw err;
    }
    await act.publish();
    await q.deleteIntent(deps.db, intentId);
    return { version, tag: tagName, commit, actSha256: act.sha256, errorCount: inventory.errorCount, warningCount: inventory.warningCount, overridden: model.overrideReason !== null };
  });
}

/** The parties as the act prints them, as they stand at acceptance. */
async function factsOf(deps: AppDeps, principal: Principal, code: string): Promise<ActFacts> {
  const row = await systemRowFor(deps.db, principal, code);
  if (!row) throw new NotFound();
  const registered = (await applicationsOfSystem(deps, principal, row.id)).filter((a) => a.register).sort((a, b) => (b.registeredAt ?? '').localeCompare(a.registeredAt ?? ''))[0];
  return {
    system: { code: row.code, nameKk: row.name_kk, nameRu: row.name_ru },
    owner: { bin: row.owner_bin, nameKk: row.owner_name_kk, nameRu: row.owner_name_ru },
    developer: { bin: row.developer_bin, name: row.developer_name_ru ?? row.developer_name },
    application: registered ? { number: registered.number, registerNo: registered.register?.registerNo ?? null, registerYear: registered.register?.year ?? null } : null,
    operator: { fullName: principal.user.fullName, login: principal.user.login, orgNameKk: principal.org.nameKk, orgNameRu: principal.org.nameRu },
  };
}

function tagMessage(m: ActModel, principal: Principal): string {
  return [
    `Депозит қабылданды / Депозит принят / Deposit accepted: ${m.facts.system.code} v${m.version}`,
    '',
    'Rules p.9 (order No. 146/НҚ as worded by No. 347/НҚ)',
    `Files: ${m.files.length}; errors: ${m.errorCount}; warnings: ${m.warningCount}`,
    `Manifest-SHA256: ${m.manifestSha256}`,
    ...(m.overrideReason ? [`Override: ${m.overrideReason.replace(/\s+/g, ' ')}`] : []),
    '',
    `Signed-off-by: ${principal.user.fullName} <${principal.user.email ?? `${principal.user.login}@qoima.local`}>`,
    '',
  ].join('\n');
}

const isUniqueViolation = (err: unknown) => /unique|duplicate key/i.test((err as Error)?.message ?? '');
