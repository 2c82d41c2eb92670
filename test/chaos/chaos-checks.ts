/**
 * What `npm run chaos` checks after every restart (issue 12 §3), apart from `qoima fsck`: read-only
 * looks at the database and the data folder of the killed server, each returning the problems found.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { actPath } from '../../server/deposits/act.js';
import { centralDirectoryScratch } from '../../server/returns/archives.js';
import { packageDir, partFile } from '../../server/returns/read.js';
import { LocalBlobStore } from '../../storage/blobs.js';
import type { Db } from '../../storage/db.js';
import { repoPath } from '../../storage/repos.js';

export const SERVICE_COMMITTER = 'qoima@localhost';
const LFS_FOLDERS = /^(installers|additional|database)\//;

export function gitDir(dataDir: string, systemId: number, args: string[], input?: string): string {
  return gitBytes(dataDir, systemId, args, input).toString('utf8');
}

function gitBytes(dataDir: string, systemId: number, args: string[], input?: string): Buffer {
  const r = spawnSync('git', ['--git-dir', repoPath(dataDir, systemId), ...args], { input, maxBuffer: 64 << 20, env: { PATH: process.env.PATH!, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The LFS pointers of the tree of `rev`: path → {oid, size}. */
export function lfsPointersAt(dataDir: string, systemId: number, rev: string): Map<string, { oid: string; size: number }> {
  const entries = gitDir(dataDir, systemId, ['ls-tree', '-r', rev])
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [meta, path] = l.split('\t');
      return { blob: meta.split(' ')[2], path };
    })
    .filter((e) => LFS_FOLDERS.test(e.path));
  const out = new Map<string, { oid: string; size: number }>();
  if (!entries.length) return out;
  const batch = gitBytes(dataDir, systemId, ['cat-file', '--batch'], entries.map((e) => e.blob).join('\n') + '\n');
  // Each answer is `<oid> blob <size>\n<content>\n`, the size in bytes (READMEs are not ASCII).
  let at = 0;
  for (const e of entries) {
    const nl = batch.indexOf(0x0a, at);
    const size = Number(batch.subarray(at, nl).toString().split(' ')[2]);
    const content = batch.subarray(nl + 1, nl + 1 + size).toString('utf8');
    at = nl + 1 + size + 1;
    const oid = /oid sha256:([0-9a-f]{64})/.exec(content)?.[1];
    const bytes = /\nsize (\d+)/.exec(content)?.[1];
    if (oid && bytes) out.set(e.path, { oid, size: Number(bytes) });
  }
  return out;
}

/**
 * The repository of one system as the service left it: every commit on main made by the client or
 * by the service; every LFS pointer on main names an object the store has (with its size) and the
 * system holds (its row); every `deposit/vN` tag is a recorded version (a cut acceptance is undone
 * at start: server/deposits/recovery.ts) and every recorded version has its act file; no acceptance
 * is left in the journal; main's every move is recorded, none left in its journal.
 */
export async function checkRepository(db: Db, dataDir: string, system: { id: number; code: string }, clientCommits: Set<string> | null): Promise<{ problems: string[] }> {
  const problems: string[] = [];
  const blobs = new LocalBlobStore(`${dataDir}/blobs`);
  if (clientCommits) {
    for (const line of gitDir(dataDir, system.id, ['log', '--format=%H %ce', 'main']).split('\n').filter(Boolean)) {
      const [commit, committer] = line.split(' ');
      if (!clientCommits.has(commit) && committer !== SERVICE_COMMITTER) problems.push(`${system.code}: main holds ${commit}, made by neither the client nor the service`);
    }
  }
  const held = new Map<string, number>((await db('lfs_objects').where({ system_id: system.id }).select('oid', 'size')).map((r: { oid: string; size: number | string }) => [r.oid, Number(r.size)]));
  for (const [path, p] of lfsPointersAt(dataDir, system.id, 'main')) {
    const size = await blobs.size(p.oid);
    if (size !== p.size) problems.push(`${system.code}: main's ${path} points at LFS ${p.oid.slice(0, 12)} (${p.size} bytes); the store has ${size ?? 'nothing'}`);
    if (held.get(p.oid) !== p.size) problems.push(`${system.code}: main's ${path} points at LFS ${p.oid.slice(0, 12)}, which the system does not hold`);
  }
  const recorded = new Map<string, string>((await db('deposits').where({ system_id: system.id }).select('tag', 'tag_oid')).map((r: { tag: string; tag_oid: string }) => [r.tag, r.tag_oid]));
  for (const line of gitDir(dataDir, system.id, ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/tags/deposit/']).split('\n').filter(Boolean)) {
    const [tag, oid] = line.split(' ');
    if (recorded.get(tag) !== oid) problems.push(`${system.code}: tag ${tag} at ${oid} is not the recorded deposit (${recorded.get(tag) ?? 'none'})`);
  }
  for (const r of (await db('deposits').where({ system_id: system.id }).select('version', 'act_sha256')) as { version: number; act_sha256: string }[]) {
    const act = actPath(dataDir, system.id, Number(r.version));
    if (!existsSync(act) || createHash('sha256').update(readFileSync(act)).digest('hex') !== r.act_sha256) problems.push(`${system.code}: the act of v${r.version} is missing or not the recorded one`);
  }
  const journal = await db('deposit_intents').where({ system_id: system.id }).select('version');
  if (journal.length) problems.push(`${system.code}: acceptances still in the journal after the restart: ${journal.map((j: { version: number }) => `v${j.version}`).join(', ')}`);
  // Every move of main is recorded (server/repositories/recovery.ts records at start what a kill cut
  // between git and the database): its tip is the commit of a recorded push, upload or forming, and
  // every commit the service made on main is a recorded upload.
  const moves = new Set<string>();
  for (const r of (await db('audit_events').where({ subject_type: 'system', subject_id: String(system.id) }).whereIn('action', ['repository.pushed', 'deposit.file_uploaded', 'repository.formed']).select('action', 'details')) as { action: string; details: string }[]) {
    const d = JSON.parse(r.details) as { commit?: string; refs?: { ref: string; new: string }[] };
    if (d.commit) moves.add(d.commit);
    for (const u of d.refs ?? []) if (u.ref === 'refs/heads/main') moves.add(u.new);
  }
  const tip = gitDir(dataDir, system.id, ['rev-parse', 'refs/heads/main']).trim();
  if (!moves.has(tip)) problems.push(`${system.code}: main is at ${tip}, which no audit event records`);
  for (const line of gitDir(dataDir, system.id, ['log', '--format=%H %ce', 'main']).split('\n').filter(Boolean)) {
    const [commit, committer] = line.split(' ');
    if (committer === SERVICE_COMMITTER && !moves.has(commit) && gitDir(dataDir, system.id, ['log', '-1', '--format=%B', commit]).includes('Qoima-Upload:')) problems.push(`${system.code}: the service's upload commit ${commit} is not recorded`);
  }
  const refJournal = await db('ref_intents').where({ system_id: system.id }).select('kind');
  if (refJournal.length) problems.push(`${system.code}: pushes/uploads still in the journal after the restart: ${refJournal.map((j: { kind: string }) => j.kind).join(', ')}`);
  return { problems };
}

/**
 * Return packages: none left `generating`; a failed one leaves no file; a ready one has the archives
 * it records (the tar at once; the zip is made from the tar after the return — a zip not yet recorded,
 * or its `.part` and the `.part.cd` of its central directory, is that step cut by the kill: the zip is made
 * again at start and by the next download, which replace both).
 */
export async function checkPackages(db: Db, dataDir: string, system: { id: number; code: string }): Promise<string[]> {
  const problems: string[] = [];
  const rows = (await db('return_packages').where({ system_id: system.id }).select('id', 'status', 'bag_name', 'zip_sha256', 'tar_sha256')) as { id: number; status: string; bag_name: string; zip_sha256: string | null; tar_sha256: string | null }[];
  const dir = packageDir(dataDir, system.id);
  const files = existsSync(dir) ? readdirSync(dir) : [];
  for (const r of rows) if (r.status === 'generating') problems.push(`${system.code}: package ${r.id} still generating after the restart`);
  const expected = new Set<string>();
  const zipInMaking = new Set<string>();
  for (const r of rows.filter((r) => r.status === 'ready')) {
    if (r.tar_sha256) expected.add(`${r.bag_name}.tar`);
    else problems.push(`${system.code}: package ${r.id} is ready without a tar`);
    if (r.zip_sha256) expected.add(`${r.bag_name}.zip`);
    else {
      const part = basename(partFile(dataDir, system.id, r.bag_name, r.id, 'zip'));
      for (const f of [`${r.bag_name}.zip`, part, centralDirectoryScratch(part)]) zipInMaking.add(f);
    }
  }
  for (const f of files) if (!expected.has(f) && !zipInMaking.has(f)) problems.push(`${system.code}: ${f} left in the packages folder`);
  for (const f of expected) if (!files.includes(f)) problems.push(`${system.code}: ready package file ${f} is missing`);
  return problems;
}
