import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyAuditChain } from '../audit/service.js';
import { actPath } from '../deposits/act.js';
import { fsckRepository, listRefs, peelToCommit, vanishedRefs } from '../git/fsck.js';
import { packageFile } from '../returns/read.js';
import { sha256Hex } from '../util/canonical-json.js';
import type { ServiceDeps } from '../deps.js';
import type { BlobStore } from '../../storage/blobs.js';
import { repoExists, repoPath } from '../../storage/repos.js';
import type { DepositRef, LfsRow, PackageRef, SystemRef } from './queries.js';
import * as q from './queries.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * One check per kind of stored object (issue 12), shared by `qoima fsck` (fsck.ts, everything at once)
 * and the scheduled scrubber (scrub.ts, a slice at a time from a cursor, within a read budget).
 * Each reads only and adds what it counted and found to a tally.
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

export interface Tally {
  objects: number;
  bytes: number;
  findings: Finding[];
}

export const newTally = (): Tally => ({ objects: 0, bytes: 0, findings: [] });

export interface CheckDeps extends ServiceDeps {
  dataDir: string;
  blobs: BlobStore;
}

const add = (t: Tally, kind: FindingKind, subject: string, detail: string) => void t.findings.push({ kind, subject, detail });

/** SHA-256 and size of a file; null when it is not there. Reads within `budget` when one is given. */
export async function hashFile(path: string, budget?: TokenBucket): Promise<{ sha256: string; size: number } | null> {
  try {
    await stat(path);
  } catch {
    return null;
  }
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: budget?.chunk ?? 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      await budget?.take(chunk.length);
    }
  } finally {
    stream.destroy();
  }
  return { sha256: hash.digest('hex'), size };
}

/** A blob re-hashed against its name: 'missing' (gone since it was listed), 'bad' or 'ok'. */
export async function checkBlob(deps: CheckDeps, oid: string, t: Tally, budget?: TokenBucket): Promise<'ok' | 'missing' | 'bad'> {
  const got = await hashFile(deps.blobs.pathOf(oid), budget);
  if (!got) return 'missing';
  t.objects++;
  t.bytes += got.size;
  if (got.sha256 === oid) return 'ok';
  add(t, 'blob_hash_mismatch', `blob ${oid}`, `content hashes to ${got.sha256}`);
  return 'bad';
}

/** A blob a system holds (lfs_objects): there, with the recorded size. True when it is not. */
export async function checkHeldBlob(deps: CheckDeps, h: LfsRow, code: string, t: Tally): Promise<boolean> {
  const size = await deps.blobs.size(h.oid);
  if (size === null) {
    add(t, 'blob_missing', `blob ${h.oid}`, `held by system ${code} but not in the blob store`);
    return true;
  }
  if (size !== h.size) add(t, 'blob_size_mismatch', `blob ${h.oid}`, `${size} bytes on disk, ${h.size} recorded for system ${code}`);
  return false;
}

/** Bytes of the files under a folder (what `git fsck` of a repository will read, for the budget). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(path);
    else if (e.isFile()) total += (await stat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** `git fsck --full` of a system's repository and its vanished refs; its refs, or null when it is not there. */
export async function checkRepository(deps: CheckDeps, s: SystemRef, t: Tally, budget?: TokenBucket): Promise<Map<string, string> | null> {
  if (!repoExists(deps.dataDir, s.id)) return null;
  const repo = repoPath(deps.dataDir, s.id);
  // The scrubber (which passes a budget) counts what git will read and paces it; `qoima fsck` does not walk the folder.
  if (budget) {
    const size = await folderBytes(join(repo, 'objects'));
    await budget.take(size);
    t.bytes += size;
  }
  t.objects++;
  for (const line of await fsckRepository(deps.dataDir, repo)) add(t, 'repo_corrupt', `system ${s.code} repository`, line);
  const refs = await listRefs(deps.dataDir, repo).catch(() => new Map<string, string>());
  for (const v of await vanishedRefs(repo, refs)) add(t, 'ref_missing', `system ${s.code} ${v.ref}`, `the reflog last names ${v.lastOid}; the ref is gone`);
  return refs;
}

/** The refs of a system's repository, or null when it is not there (the scrubber's deposit check). */
export async function refsOf(deps: CheckDeps, systemId: number): Promise<Map<string, string> | null> {
  if (!repoExists(deps.dataDir, systemId)) return null;
  return listRefs(deps.dataDir, repoPath(deps.dataDir, systemId)).catch(() => new Map<string, string>());
}

/** An accepted deposit: its tag where it was put, its commit, its LFS objects, its act. */
export async function checkDeposit(deps: CheckDeps, d: DepositRef, code: string, refs: Map<string, string> | null, badBlobs: ReadonlySet<string>, t: Tally, budget?: TokenBucket): Promise<void> {
  const name = `system ${code} ${d.tag}`;
  t.objects++;
  if (!refs) add(t, 'repo_missing', `system ${code} repository`, `deposit v${d.version} is recorded but the repository is not there`);
  else {
    const at = refs.get(`refs/tags/${d.tag}`);
    if (!at) add(t, 'deposit_tag_missing', name, `recorded at ${d.tag_oid}; the tag is gone`);
    else if (at !== d.tag_oid) add(t, 'deposit_tag_moved', name, `points at ${at}, recorded ${d.tag_oid}`);
    else {
      const commit = await peelToCommit(deps.dataDir, repoPath(deps.dataDir, d.system_id), at);
      if (commit !== d.commit_id) add(t, 'deposit_commit_mismatch', name, `peels to ${commit ?? 'nothing'}, recorded commit ${d.commit_id}`);
    }
  }
  for (const f of await q.lfsFilesOf(deps.db, d.id)) {
    const size = await deps.blobs.size(f.sha256);
    if (size === null) add(t, 'deposit_lfs_missing', `${name} ${f.path}`, `LFS object ${f.sha256} is not in the blob store`);
    else if (size !== f.size || badBlobs.has(f.sha256)) add(t, 'deposit_lfs_corrupt', `${name} ${f.path}`, `LFS object ${f.sha256}: ${size} bytes (recorded ${f.size})${badBlobs.has(f.sha256) ? ', content does not match its hash' : ''}`);
  }
  const act = await hashFile(actPath(deps.dataDir, d.system_id, d.version), budget);
  if (!act) add(t, 'act_missing', `system ${code} act v${d.version}`, `recorded SHA-256 ${d.act_sha256}; the file is gone`);
  else {
    t.objects++;
    t.bytes += act.size;
    if (act.sha256 !== d.act_sha256) add(t, 'act_hash_mismatch', `system ${code} act v${d.version}`, `file hashes to ${act.sha256}, recorded ${d.act_sha256}`);
  }
}

/** A stored report: its canonical JSON against its recorded SHA-256. */
export function checkReport(r: { period: string; revision: number; data: string; sha256: string }, t: Tally): void {
  t.objects++;
  t.bytes += Buffer.byteLength(r.data);
  const got = sha256Hex(r.data);
  if (got !== r.sha256) add(t, 'report_hash_mismatch', `report ${r.period} r${r.revision}`, `stored data hashes to ${got}, recorded ${r.sha256}`);
}

/** A ready return package: its zip and tar against their recorded SHA-256 and size. */
export async function checkPackage(deps: CheckDeps, p: PackageRef, code: string, t: Tally, budget?: TokenBucket): Promise<void> {
  for (const [format, sha, size] of [['zip', p.zip_sha256, p.zip_size], ['tar', p.tar_sha256, p.tar_size]] as const) {
    if (!sha) continue;
    const subject = `system ${code} package ${p.bag_name}.${format}`;
    const got = await hashFile(packageFile(deps.dataDir, p.system_id, p.bag_name, format), budget);
    if (!got) add(t, 'package_missing', subject, `recorded SHA-256 ${sha}; the file is gone`);
    else {
      t.objects++;
      t.bytes += got.size;
      if (got.sha256 !== sha || (size !== null && Number(size) !== got.size)) add(t, 'package_hash_mismatch', subject, `file hashes to ${got.sha256} (${got.size} bytes), recorded ${sha}`);
    }
  }
}

/** The audit hash chain, end to end. */
export async function checkAuditChain(deps: ServiceDeps, t: Tally): Promise<void> {
  const chain = await verifyAuditChain(deps);
  t.objects += chain.checked;
  if (!chain.ok) add(t, 'audit_chain_broken', `audit event ${chain.firstBad!.id}`, chain.firstBad!.reason);
}
