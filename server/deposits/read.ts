import type { Principal } from '../accounts/service.js';
import type { AppDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { DEFAULT_BRANCH } from '../git/form.js';
import { isReachableFrom } from '../git/browse.js';
import { commitOf } from '../git/inventory.js';
import { grantedVersion } from '../access/use.js';
import { hasRepository } from '../repositories/service.js';
import { findSystemFor, type SystemRow } from '../systems/queries.js';
import { repoExists, repoPath } from '../../storage/repos.js';
import { byPath, stageAct, storedAct, type ActFacts, type ActModel } from './act.js';
import { CATEGORY_KEYS } from './classify.js';
import { DepositNotFound } from './errors.js';
import type { Finding, FindingCode, Severity } from './findings.js';
import { buildInventory, type CategoryTotal, type Inventory, type InventoryFile, type ThirdParty } from './inventory.js';
import * as q from './queries.js';

/**
 * What the API and the pages read about deposits. Every entry point starts with the scoped lookup,
 * so a system the caller may not read is the same 404 as one that does not exist; accepted versions
 * are read from the database only (reports never walk repositories).
 */
export async function readableSystem(deps: AppDeps, principal: Principal, code: string, version?: number): Promise<SystemRow> {
  const { system, onlyVersion } = await readableScope(deps, principal, code);
  if (version !== undefined && onlyVersion !== null && version !== onlyVersion) throw new DepositNotFound('deposit_not_found', { version });
  return system;
}

/** The system, and the one version a grantee limited to it may read (null: every version). */
async function readableScope(deps: AppDeps, principal: Principal, code: string): Promise<{ system: SystemRow; onlyVersion: number | null }> {
  const system = await findSystemFor(deps.db, principal, code, 'read');
  if (!system) throw new NotFound();
  return { system, onlyVersion: await grantedVersion(deps, principal, system.id) };
}

/**
 * The inventory of a ref (default: the default branch; for a one-version grantee its tag, and only
 * commits that tag reaches) of a system the principal may read.
 */
export async function inventoryOf(deps: AppDeps, principal: Principal, code: string, ref: string | undefined, onFile?: (f: InventoryFile) => void | Promise<void>): Promise<{ system: SystemRow; ref: string; inventory: Inventory }> {
  const { system, onlyVersion } = await readableScope(deps, principal, code);
  if (!hasRepository(system.status) || !repoExists(deps.config.dataDir, system.id)) throw new NotFound();
  const repo = repoPath(deps.config.dataDir, system.id);
  const tag = onlyVersion === null ? null : `deposit/v${onlyVersion}`;
  const name = ref ?? tag ?? DEFAULT_BRANCH;
  const commit = await commitOf(deps.config.dataDir, repo, name);
  const tip = tag ? await commitOf(deps.config.dataDir, repo, tag) : commit;
  if (!commit || !tip || (tag && !(await isReachableFrom(deps.config.dataDir, repo, commit, tip)))) throw new DepositNotFound('ref_not_found', { ref: name });
  return { system, ref: name, inventory: await buildInventory(deps, system.id, commit, onFile) };
}

export interface DepositView {
  version: number;
  tag: string;
  commit: string;
  acceptedAt: string;
  acceptedBy: string | null;
  overrideReason: string | null;
  fileCount: number;
  bytes: number;
  errorCount: number;
  warningCount: number;
  manifestSha256: string;
  actSha256: string;
  deadlineState: string | null;
  categories: CategoryTotal[];
}

export function toDepositView(r: q.DepositRow): DepositView {
  return {
    version: r.version,
    tag: r.tag,
    commit: r.commit_id,
    acceptedAt: r.accepted_at,
    acceptedBy: r.accepted_by_login,
    overrideReason: r.override_reason,
    fileCount: r.file_count,
    bytes: r.total_size,
    errorCount: r.error_count,
    warningCount: r.warning_count,
    manifestSha256: r.manifest_sha256,
    actSha256: r.act_sha256,
    deadlineState: r.deadline_state,
    categories: JSON.parse(r.categories) as CategoryTotal[],
  };
}

/** Accepted versions, newest first (a one-version grantee: that version only). */
export async function listDeposits(deps: AppDeps, principal: Principal, code: string): Promise<{ system: SystemRow; items: DepositView[] }> {
  const { system, onlyVersion } = await readableScope(deps, principal, code);
  const rows = await q.depositsOfSystem(deps.db, system.id);
  return { system, items: rows.filter((r) => onlyVersion === null || r.version === onlyVersion).map(toDepositView) };
}

const toFinding = (r: q.FindingRow): Finding => ({ code: r.code as FindingCode, severity: r.severity as Severity, path: r.path, params: JSON.parse(r.params) as Finding['params'] });
const toFile = (r: q.FileRow): InventoryFile => ({ path: r.path, category: r.category as InventoryFile['category'], size: r.size, sha256: r.sha256, gitOid: r.git_oid, mode: r.mode, type: r.file_type as InventoryFile['type'], lfs: r.lfs, lfsPresent: r.lfs_present });

export interface DepositDetail extends DepositView {
  findings: Finding[];
  thirdParty: ThirdParty;
  facts: ActFacts;
  files: InventoryFile[];
}

/** One version with its findings and (a page of) its files. */
export async function getDeposit(deps: AppDeps, principal: Principal, code: string, version: number, page: { limit: number; offset: number; category?: string } = { limit: 1000, offset: 0 }) {
  const system = await readableSystem(deps, principal, code, version);
  const row = await q.depositByVersion(deps.db, system.id, version);
  if (!row) throw new DepositNotFound('deposit_not_found', { version });
  const [findings, files] = await Promise.all([q.findingsOf(deps.db, row.id), q.filesOf(deps.db, row.id, page)]);
  const detail: DepositDetail = { ...toDepositView(row), findings: findings.map(toFinding), thirdParty: JSON.parse(row.third_party) as ThirdParty, facts: JSON.parse(row.facts) as ActFacts, files: files.map(toFile) };
  return { system, deposit: detail };
}

export interface DepositDiff {
  from: number;
  to: number;
  categories: { category: string; added: number; removed: number; changed: number }[];
  added: { path: string; category: string; sha256: string | null; size: number | null }[];
  removed: { path: string; category: string; sha256: string | null; size: number | null }[];
  changed: { path: string; category: string; oldSha256: string | null; newSha256: string | null; oldSize: number | null; newSize: number | null }[];
}

/** What changed between two versions, per category (from the stored inventories). */
export async function diffDeposits(deps: AppDeps, system: SystemRow, from: number, to: number, limit = 500): Promise<DepositDiff> {
  const [a, b] = await Promise.all([q.depositByVersion(deps.db, system.id, from), q.depositByVersion(deps.db, system.id, to)]);
  if (!a) throw new DepositNotFound('deposit_not_found', { version: from });
  if (!b) throw new DepositNotFound('deposit_not_found', { version: to });
  const [added, removed, changed] = await Promise.all((['added', 'removed', 'changed'] as const).map((k) => q.diffFiles(deps.db, a.id, b.id, k, limit)));
  const cats = new Set([...CATEGORY_KEYS, ...Object.keys(added.counts), ...Object.keys(removed.counts), ...Object.keys(changed.counts)]);
  return {
    from,
    to,
    categories: [...cats].map((c) => ({ category: c, added: added.counts[c] ?? 0, removed: removed.counts[c] ?? 0, changed: changed.counts[c] ?? 0 })),
    added: added.rows.map((r) => ({ path: r.path, category: r.category, sha256: r.new_sha256, size: r.new_size })),
    removed: removed.rows.map((r) => ({ path: r.path, category: r.category, sha256: r.old_sha256, size: r.old_size })),
    changed: changed.rows.map((r) => ({ path: r.path, category: r.category, oldSha256: r.old_sha256, newSha256: r.new_sha256, oldSize: r.old_size, newSize: r.new_size })),
  };
}

/** The act's model, rebuilt from what the database stores for the version. */
export async function actModelOf(deps: AppDeps, system: SystemRow, version: number): Promise<{ model: ActModel; row: q.DepositRow }> {
  const row = await q.depositByVersion(deps.db, system.id, version);
  if (!row) throw new DepositNotFound('deposit_not_found', { version });
  const [findings, files] = await Promise.all([q.findingsOf(deps.db, row.id), q.filesOf(deps.db, row.id)]);
  const model: ActModel = {
    facts: JSON.parse(row.facts) as ActFacts,
    version: row.version,
    tag: row.tag,
    commit: row.commit_id,
    acceptedAt: row.accepted_at,
    overrideReason: row.override_reason,
    categories: JSON.parse(row.categories) as CategoryTotal[],
    findings: findings.map(toFinding),
    errorCount: row.error_count,
    warningCount: row.warning_count,
    manifestSha256: row.manifest_sha256,
    files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, lfs: f.lfs })).sort(byPath),
  };
  return { model, row };
}

/**
 * The act's PDF file. Made at acceptance; if the file is gone (a crash between the commit and the
 * rename, a lost disk), it is made again from the database and must hash to the stored SHA-256.
 */
export async function actPdf(deps: AppDeps, system: SystemRow, version: number): Promise<{ path: string; sha256: string; open: () => NodeJS.ReadableStream }> {
  const row = await q.depositByVersion(deps.db, system.id, version);
  if (!row) throw new DepositNotFound('deposit_not_found', { version });
  let stored = storedAct(deps.config.dataDir, system.id, version);
  if (!stored) {
    const { model } = await actModelOf(deps, system, version);
    const staged = await stageAct(deps.config.dataDir, system.id, model);
    if (staged.sha256 !== row.act_sha256) {
      await staged.discard();
      throw new Error(`acceptance act of ${system.code} v${version} does not reproduce (${staged.sha256} ≠ ${row.act_sha256})`);
    }
    await staged.publish();
    stored = storedAct(deps.config.dataDir, system.id, version)!;
  }
  return { path: stored.path, sha256: row.act_sha256, open: stored.open };
}
