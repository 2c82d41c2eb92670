import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import { fsckRepository, mirrorRepository } from '../git/fsck.js';
import { OID } from '../../storage/blobs.js';
import { hashFile } from './fsck.js';

const run = promisify(execFile);

/**
 * Backup and restore (issue 12). The order is what makes a copy taken while the service runs
 * consistent: the database first (SQLite's online backup API, or pg_dump's snapshot), then every
 * repository, then the blobs, then the other files. Everything the copied database names was written
 * before it — refs only move forward and blobs are only removed when no row holds them — so it is all
 * in the copy. The manifest, written last and atomically, lists every file with its size and SHA-256;
 * a folder without it is not a backup.
 */
export interface BackupManifest {
  format: 'qoima-backup/1';
  createdAt: string;
  database: 'sqlite' | 'postgresql';
  /** PostgreSQL: the schema the dump holds (restored under the same name). */
  schema: string | null;
  repositories: number;
  blobsCopied: number;
  blobsKept: number;
  files: { path: string; size: number; sha256: string }[];
}

const MANIFEST = 'manifest.json';
/** What is not copied from the data folder as plain files: the database, repositories and blobs have their own ways; the rest is scratch. */
const OWN_WAY = new Set(['qoima.sqlite', 'qoima.sqlite-wal', 'qoima.sqlite-shm', 'qoima.sqlite-journal', 'repos', 'blobs', 'git']);
const SCRATCH = /(^|\/)(\.work-[^/]*|\.staging|tmp)(\/|$)|\.tmp$/;

export async function takeBackup(config: Config, out: string): Promise<BackupManifest> {
  await mkdir(out, { recursive: true });
  await rm(join(out, MANIFEST), { force: true }); // an interrupted run leaves no manifest: not a backup
  const files: BackupManifest['files'] = [];
  const rel = (p: string) => relative(out, p).split(sep).join('/');

  // 1. The database.
  await rm(join(out, 'db'), { recursive: true, force: true });
  await mkdir(join(out, 'db'));
  let schema: string | null = null;
  if (config.databaseUrl) {
    schema = config.dbSchema ?? 'public';
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--schema=${schema}`, `--file=${join(out, 'db', 'qoima.pgdump')}`, `--dbname=${config.databaseUrl}`], { maxBuffer: 1 << 24 });
  } else {
    const src = new Database(join(config.dataDir, 'qoima.sqlite'), { fileMustExist: true, readonly: true });
    try {
      await src.backup(join(out, 'db', 'qoima.sqlite'));
    } finally {
      src.close();
    }
  }

  // 2. Repositories: a mirror through upload-pack (refs read first, then the objects they reach), checked.
  await rm(join(out, 'repos'), { recursive: true, force: true });
  await mkdir(join(out, 'repos'));
  let repositories = 0;
  for (const name of (await readdirOrEmpty(join(config.dataDir, 'repos'))).filter((n) => /^\d+\.git$/.test(n)).sort()) {
    const src = join(config.dataDir, 'repos', name);
    const dst = join(out, 'repos', name);
    await mirrorRepository(config.dataDir, src, dst);
    await copyFile(join(src, 'config'), join(dst, 'config'));
    const problems = await fsckRepository(config.dataDir, dst);
    if (problems.length) throw new Error(`backup: the copy of ${name} is not sound: ${problems[0]}`);
    repositories++;
  }

  // 3. Blobs, incrementally: an object already in the backup with its size is not copied again.
  let blobsCopied = 0;
  let blobsKept = 0;
  const blobRoot = join(config.dataDir, 'blobs');
  for (const a of await readdirOrEmpty(blobRoot)) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of await readdirOrEmpty(join(blobRoot, a))) {
      for (const oid of await readdirOrEmpty(join(blobRoot, a, b))) {
        if (!OID.test(oid)) continue;
        const src = join(blobRoot, a, b, oid);
        const dst = join(out, 'blobs', a, b, oid);
        const size = (await stat(src)).size;
        const there = await stat(dst).catch(() => null);
        if (there?.size === size) {
          blobsKept++;
          files.push({ path: rel(dst), size, sha256: oid });
          continue;
        }
        await mkdir(dirname(dst), { recursive: true });
        files.push({ path: rel(dst), ...(await copyHashing(src, dst)) });
        blobsCopied++;
      }
    }
  }
  for (const p of await walk(join(out, 'blobs'))) if (!files.some((f) => f.path === rel(p))) await rm(p); // removed since the last run

  // 4. The other files (acts, return packages, the secret key, …).
  await rm(join(out, 'files'), { recursive: true, force: true });
  for (const name of await readdirOrEmpty(config.dataDir)) {
    if (OWN_WAY.has(name)) continue;
    for (const p of await walk(join(config.dataDir, name))) {
      const r = relative(config.dataDir, p).split(sep).join('/');
      if (SCRATCH.test(r)) continue;
      const dst = join(out, 'files', r);
      await mkdir(dirname(dst), { recursive: true });
      await copyFile(p, dst);
    }
  }

  // 5. The manifest: every file but the blobs (already listed) hashed as copied.
  for (const top of ['db', 'repos', 'files']) {
    for (const p of await walk(join(out, top))) {
      const h = (await hashFile(p))!;
      files.push({ path: rel(p), ...h });
    }
  }
  files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const manifest: BackupManifest = { format: 'qoima-backup/1', createdAt: new Date().toISOString(), database: config.databaseUrl ? 'postgresql' : 'sqlite', schema, repositories, blobsCopied, blobsKept, files };
  await writeFile(join(out, `${MANIFEST}.tmp`), JSON.stringify(manifest, null, 1) + '\n');
  await rename(join(out, `${MANIFEST}.tmp`), join(out, MANIFEST));
  return manifest;
}

/** Checks a backup against its manifest: every file there with its size and hash, nothing else. Returns the problems. */
export async function backupVerify(dir: string): Promise<string[]> {
  const manifest = await readManifest(dir);
  if (typeof manifest === 'string') return [manifest];
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const got = await hashFile(join(dir, f.path));
    if (!got) problems.push(`${f.path}: missing`);
    else if (got.size !== f.size || got.sha256 !== f.sha256) problems.push(`${f.path}: ${got.size} bytes, sha256 ${got.sha256}; manifest says ${f.size} bytes, sha256 ${f.sha256}`);
  }
  for (const p of await walk(dir)) {
    const r = relative(dir, p).split(sep).join('/');
    if (r !== MANIFEST && !listed.has(r)) problems.push(`${r}: not in the manifest`);
  }
  return problems;
}

/** Restores a verified backup into the data folder, which must be empty (a fresh secret key aside). */
export async function restoreBackup(config: Config, from: string): Promise<{ files: number }> {
  const present = (await readdirOrEmpty(config.dataDir)).filter((n) => n !== 'secret.key');
  if (present.length) throw new RestoreRefused(`the data folder ${config.dataDir} is not empty (${present.slice(0, 3).join(', ')}); restore only into an empty one`);
  const problems = await backupVerify(from);
  if (problems.length) throw new RestoreRefused(`the backup ${from} fails verification: ${problems[0]}`);
  const manifest = (await readManifest(from)) as BackupManifest;
  if (manifest.database === 'postgresql') {
    if (!config.databaseUrl) throw new RestoreRefused('the backup holds a PostgreSQL dump; set DATABASE_URL');
    if ((config.dbSchema ?? 'public') !== manifest.schema) throw new RestoreRefused(`the dump holds schema "${manifest.schema}"; set QOIMA_DB_SCHEMA to it`);
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${config.databaseUrl}`, join(from, 'db', 'qoima.pgdump')], { maxBuffer: 1 << 24 });
  } else {
    if (config.databaseUrl) throw new RestoreRefused('the backup holds an SQLite database; unset DATABASE_URL');
    await copyFile(join(from, 'db', 'qoima.sqlite'), join(config.dataDir, 'qoima.sqlite'));
  }
  await cp(join(from, 'repos'), join(config.dataDir, 'repos'), { recursive: true });
  await cp(join(from, 'blobs'), join(config.dataDir, 'blobs'), { recursive: true }).catch(ignoreMissing);
  await cp(join(from, 'files'), config.dataDir, { recursive: true, force: true }).catch(ignoreMissing);
  return { files: manifest.files.length };
}

export class RestoreRefused extends Error {}

async function readManifest(dir: string): Promise<BackupManifest | string> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as BackupManifest;
    return m.format === 'qoima-backup/1' && Array.isArray(m.files) ? m : `${MANIFEST}: not a Qoima backup manifest`;
  } catch {
    return `${MANIFEST}: missing or unreadable (an interrupted backup, or not a backup)`;
  }
}

async function copyHashing(src: string, dst: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const tmp = `${dst}.tmp`;
  await pipeline(
    createReadStream(src, { highWaterMark: 1 << 20 }),
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }),
    createWriteStream(tmp),
  );
  await rename(tmp, dst);
  return { size, sha256: hash.digest('hex') };
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Every file under `dir` (or `dir` itself when it is a file). */
async function walk(dir: string): Promise<string[]> {
  const s = await stat(dir).catch(() => null);
  if (!s) return [];
  if (!s.isDirectory()) return [dir];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const ignoreMissing = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ENOENT') throw err;
};
