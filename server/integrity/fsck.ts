import { recordAudit } from '../audit/service.js';
import type { Actor } from '../deps.js';
import { checkAuditChain, checkBlob, checkDeposit, checkHeldBlob, checkPackage, checkReport, checkRepository, newTally, type CheckDeps, type Finding } from './checks.js';
import * as q from './queries.js';

export { hashFile, type Finding, type FindingKind } from './checks.js';

/**
 * The fixity check (issue 12; ISO 16363 §4.2.7 — fixity checked and the results recorded): every blob
 * re-hashed against its name, every repository `git fsck --full`-ed with its vanished refs named, every
 * accepted deposit's tag, commit and LFS objects, every stored act, report and return package against
 * its recorded SHA-256, and the audit chain. It reads only; the run and its findings are stored.
 * This is `qoima fsck` — all at once; the scheduled scrubber (scrub.ts) does the same checks a slice at a time.
 */
export interface FsckReport {
  runId: number;
  scope: string | null;
  startedAt: string;
  finishedAt: string;
  objectsChecked: number;
  bytesChecked: number;
  /** What was not checked because its module's table does not exist in this build. */
  skipped: string[];
  findings: Finding[];
}

export type FsckDeps = CheckDeps;

export async function runFsck(deps: FsckDeps, actor: Actor, opts: { system?: string } = {}): Promise<FsckReport> {
  const startedAt = deps.clock().toISOString();
  const t = newTally();
  const skipped: string[] = [];

  let systems = await q.allSystems(deps.db);
  if (opts.system) {
    const one = await q.systemByCode(deps.db, opts.system);
    if (!one) throw new UnknownSystem(opts.system);
    systems = [one];
  }
  const codeOf = new Map(systems.map((s) => [s.id, s.code]));
  const code = (id: number) => codeOf.get(id) ?? String(id);
  const sysId = opts.system ? systems[0].id : undefined;

  // 1. Blobs: each re-hashed against its name (all of them, or those the one system holds).
  const badBlobs = new Set<string>();
  const blob = async (oid: string) => {
    if ((await checkBlob(deps, oid, t)) !== 'ok') badBlobs.add(oid);
  };
  const held = await q.lfsObjects(deps.db, sysId);
  if (sysId) for (const oid of new Set(held.map((h) => h.oid))) await blob(oid);
  else for await (const b of deps.blobs.list()) await blob(b.oid);
  for (const h of held) if (await checkHeldBlob(deps, h, code(h.system_id), t)) badBlobs.add(h.oid);

  // 2. Repositories: git fsck --full, and refs that vanished.
  const refsOf = new Map<number, Map<string, string>>();
  for (const s of systems) {
    const refs = await checkRepository(deps, s, t);
    if (refs) refsOf.set(s.id, refs);
  }

  // 3. Accepted deposits: the tag where it was put, its commit, its LFS objects, its act.
  for (const d of await q.deposits(deps.db, sysId)) await checkDeposit(deps, d, code(d.system_id), refsOf.get(d.system_id) ?? null, badBlobs, t);

  // 4. Reports (their canonical JSON) and return packages, when those modules are in this build.
  if (await q.hasTable(deps.db, 'reports')) {
    if (!sysId) for (const r of await q.storedReports(deps.db)) checkReport(r, t);
  } else skipped.push('reports');
  if (await q.hasTable(deps.db, 'return_packages')) {
    for (const p of await q.readyPackages(deps.db, sysId)) await checkPackage(deps, p, code(p.system_id), t);
  } else skipped.push('return_packages');

  // 5. The audit chain.
  await checkAuditChain(deps, t);

  const finishedAt = deps.clock().toISOString();
  const scope = opts.system ?? null;
  const { objects, bytes, findings } = t;
  const runId = await deps.db.transaction(async (trx) => {
    const id = await q.insertRun(trx, { started_at: startedAt, finished_at: finishedAt, scope, objects_checked: objects, bytes_checked: bytes, finding_count: findings.length, trigger: 'manual' }, findings);
    await recordAudit(trx, deps.clock, actor, { action: 'fixity.checked', subjectType: 'fixity_run', subjectId: id, details: { scope, objects, bytes, findings: findings.length, kinds: [...new Set(findings.map((f) => f.kind))] } });
    return id;
  });
  return { runId, scope, startedAt, finishedAt, objectsChecked: objects, bytesChecked: bytes, skipped, findings };
}

export class UnknownSystem extends Error {
  constructor(readonly code: string) {
    super(`no system with the code "${code}"`);
  }
}
