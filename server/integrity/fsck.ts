import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { recordAudit, verifyAuditChain } from '../audit/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import { actPath } from '../deposits/act.js';
import { fsckRepository, listRefs, peelToCommit, vanishedRefs } from '../git/fsck.js';
import { packageFile } from '../returns/read.js';
import { sha256Hex } from '../util/canonical-json.js';
import type { BlobStore } from '../../storage/blobs.js';
import { repoExists, repoPath } from '../../storage/repos.js';
import * as q from './queries.js';

/**
 * The fixity check (issue 12; ISO 16363 §4.2.7 — fixity checked and the results recorded): every blob
 * re-hashed against its name, every repository `git fsck --full`-ed with its vanished refs named, every
 * accepted deposit's tag, commit and LFS objects, every stored act, report and return package against
 * its recorded SHA-256, and the audit chain. It reads only; the run and its findings are stored.
 */
export type FindingKind =
  | 'blob_hash_mismatch'
  | 'blob_missing'
  | 'blob_size_mismatch'
  | 'repo_missing'
  | 'repo_corrupt'
  | 'ref_missing'
  | 'deposit_tag_missing'
  | 'deposit_tag_moved'
  | 'deposit_commit_mismatch'
  | 'deposit_lfs_missing'
  | 'deposit_lfs_corrupt'
  | 'act_missing'
  | 'act_hash_mismatch'
  | 'report_hash_mismatch'
  | 'package_missing'
  | 'package_hash_mismatch'
  | 'audit_chain_broken';

export interface Finding {
  kind: FindingKind;
  /** What is wrong, by name: `blob <oid>`, `system <CODE> repository`, `system <CODE> deposit/v1`, `audit event <id>`. */
  subject: string;
  detail: string;
}

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

export interface FsckDeps extends ServiceDeps {
  dataDir: string;
  blobs: BlobStore;
}

/** SHA-256 and size of a file; null when it is not there. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number } | null> {
  try {
    await stat(path);
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function runFsck(deps: FsckDeps, actor: Actor, opts: { system?: string } = {}): Promise<FsckReport> {
  const startedAt = deps.clock().toISOString();
  const findings: Finding[] = [];
  const skipped: string[] = [];
  const add = (kind: FindingKind, subject: string, detail: string) => void findings.push({ kind, subject, detail });
  let objects = 0;
  let bytes = 0;

  let systems = await q.allSystems(deps.db);
  if (opts.system) {
    const one = await q.systemByCode(deps.db, opts.system);
    if (!one) throw new UnknownSystem(opts.system);
    systems = [one];
  }
  const codeOf = new Map(systems.map((s) => [s.id, s.code]));
  const sysId = opts.system ? systems[0].id : undefined;

  // 1. Blobs: each re-hashed against its name (all of them, or those the one system holds).
  const badBlobs = new Map<string, FindingKind>();
  const checkBlob = async (oid: string) => {
    const got = await hashFile(deps.blobs.pathOf(oid));
    if (!got) return badBlobs.set(oid, 'blob_missing');
    objects++;
    bytes += got.size;
    if (got.sha256 !== oid) {
      badBlobs.set(oid, 'blob_hash_mismatch');
      add('blob_hash_mismatch', `blob ${oid}`, `content hashes to ${got.sha256}`);
    }
  };
  const held = await q.lfsObjects(deps.db, sysId);
  if (sysId) for (const oid of new Set(held.map((h) => h.oid))) await checkBlob(oid);
  else for await (const b of deps.blobs.list()) await checkBlob(b.oid);
  for (const h of held) {
    const size = await deps.blobs.size(h.oid);
    if (size === null) {
      badBlobs.set(h.oid, 'blob_missing');
      add('blob_missing', `blob ${h.oid}`, `held by system ${codeOf.get(h.system_id) ?? h.system_id} but not in the blob store`);
    } else if (size !== h.size) add('blob_size_mismatch', `blob ${h.oid}`, `${size} bytes on disk, ${h.size} recorded for system ${codeOf.get(h.system_id) ?? h.system_id}`);
  }

  // 2. Repositories: git fsck --full, and refs that vanished.
  const refsOf = new Map<number, Map<string, string>>();
  for (const s of systems) {
    if (!repoExists(deps.dataDir, s.id)) continue;
    const repo = repoPath(deps.dataDir, s.id);
    objects++;
    for (const line of await fsckRepository(deps.dataDir, repo)) add('repo_corrupt', `system ${s.code} repository`, line);
    const refs = await listRefs(deps.dataDir, repo).catch(() => new Map<string, string>());
    refsOf.set(s.id, refs);
    for (const v of await vanishedRefs(repo, refs)) add('ref_missing', `system ${s.code} ${v.ref}`, `the reflog last names ${v.lastOid}; the ref is gone`);
  }

  // 3. Accepted deposits: the tag where it was put, its commit, its LFS objects, its act.
  for (const d of await q.deposits(deps.db, sysId)) {
    const code = codeOf.get(d.system_id) ?? String(d.system_id);
    const name = `system ${code} ${d.tag}`;
    const refs = refsOf.get(d.system_id);
    if (!refs) add('repo_missing', `system ${code} repository`, `deposit v${d.version} is recorded but the repository is not there`);
    else {
      const at = refs.get(`refs/tags/${d.tag}`);
      if (!at) add('deposit_tag_missing', name, `recorded at ${d.tag_oid}; the tag is gone`);
      else if (at !== d.tag_oid) add('deposit_tag_moved', name, `points at ${at}, recorded ${d.tag_oid}`);
      else {
        const commit = await peelToCommit(deps.dataDir, repoPath(deps.dataDir, d.system_id), at);
        if (commit !== d.commit_id) add('deposit_commit_mismatch', name, `peels to ${commit ?? 'nothing'}, recorded commit ${d.commit_id}`);
      }
    }
    for (const f of await q.lfsFilesOf(deps.db, d.id)) {
      const size = await deps.blobs.size(f.sha256);
      if (size === null) add('deposit_lfs_missing', `${name} ${f.path}`, `LFS object ${f.sha256} is not in the blob store`);
      else if (size !== f.size || badBlobs.has(f.sha256)) add('deposit_lfs_corrupt', `${name} ${f.path}`, `LFS object ${f.sha256}: ${size} bytes (recorded ${f.size})${badBlobs.has(f.sha256) ? ', content does not match its hash' : ''}`);
    }
    const act = await hashFile(actPath(deps.dataDir, d.system_id, d.version));
    if (!act) add('act_missing', `system ${code} act v${d.version}`, `recorded SHA-256 ${d.act_sha256}; the file is gone`);
    else {
      objects++;
      bytes += act.size;
      if (act.sha256 !== d.act_sha256) add('act_hash_mismatch', `system ${code} act v${d.version}`, `file hashes to ${act.sha256}, recorded ${d.act_sha256}`);
    }
  }

  // 4. Reports (their canonical JSON) and return packages, when those modules are in this build.
  if (await q.hasTable(deps.db, 'reports')) {
    if (!sysId) for (const r of await q.storedReports(deps.db)) {
      objects++;
      if (sha256Hex(r.data) !== r.sha256) add('report_hash_mismatch', `report ${r.period} r${r.revision}`, `stored data hashes to ${sha256Hex(r.data)}, recorded ${r.sha256}`);
    }
  } else skipped.push('reports');
  if (await q.hasTable(deps.db, 'return_packages')) {
    for (const p of await q.readyPackages(deps.db, sysId)) {
      for (const [format, sha, size] of [['zip', p.zip_sha256, p.zip_size], ['tar', p.tar_sha256, p.tar_size]] as const) {
        if (!sha) continue;
        const subject = `system ${codeOf.get(p.system_id) ?? p.system_id} package ${p.bag_name}.${format}`;
        const got = await hashFile(packageFile(deps.dataDir, p.system_id, p.bag_name, format));
        if (!got) add('package_missing', subject, `recorded SHA-256 ${sha}; the file is gone`);
        else {
          objects++;
          bytes += got.size;
          if (got.sha256 !== sha || (size !== null && Number(size) !== got.size)) add('package_hash_mismatch', subject, `file hashes to ${got.sha256} (${got.size} bytes), recorded ${sha}`);
        }
      }
    }
  } else skipped.push('return_packages');

  // 5. The audit chain.
  const chain = await verifyAuditChain(deps);
  objects += chain.checked;
  if (!chain.ok) add('audit_chain_broken', `audit event ${chain.firstBad!.id}`, chain.firstBad!.reason);

  const finishedAt = deps.clock().toISOString();
  const scope = opts.system ?? null;
  const runId = await deps.db.transaction(async (trx) => {
    const id = await q.insertRun(trx, { started_at: startedAt, finished_at: finishedAt, scope, objects_checked: objects, bytes_checked: bytes, finding_count: findings.length }, findings);
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
