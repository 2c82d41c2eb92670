import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { basic, cloneUrl, commitFile, formedSystem, gitClient } from '../helpers/git.js';

/**
 * Disk full (issue 12 §3): the data folder is a real small filesystem — a 64 MiB tmpfs, mounted here
 * (CI runs as root: .ci/run) — nearly filled, then an API upload, a Git LFS upload and a git push each
 * need more than is left. The service answers 507 / git rejects the push, stores nothing partial
 * (no blob, no temp file, no row, no audit event, no moved ref, no quarantine), stays up, and takes the
 * same deposits once space is freed. Nothing in the code under test is faked: ENOSPC comes from the kernel.
 * Without the mount the test fails: it cannot be honest otherwise.
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'qoima-diskfull-'));
let t: TestApp;
const git = gitClient();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

beforeAll(async () => {
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`disk-full test: cannot mount a 64 MiB tmpfs at ${mountPoint} (${m.stderr.trim() || m.error?.message}); it needs root and mount(2), as .ci/run has`);
  const dataDir = join(mountPoint, 'data');
  mkdirSync(dataDir);
  t = await startTestApp({ env: { QOIMA_DATA_DIR: dataDir } });
  await git.ok(['lfs', 'install', '--skip-repo']);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  git.cleanup();
  spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Fills the filesystem until only `leaveMb` MiB are free; returns the filler's path (delete it to free the space). */
function fillLeaving(leaveMb: number): string {
  const path = join(mountPoint, `filler-${randomBytes(3).toString('hex')}`);
  const free = () => statfsSync(mountPoint).bavail * statfsSync(mountPoint).bsize;
  writeFileSync(path, Buffer.alloc(Math.max(0, free() - leaveMb * MB)));
  expect(free()).toBeLessThan((leaveMb + 1) * MB);
  return path;
}

/** A PUT that reports the status even when the server answers before reading the whole body. */
function put(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(body.length), 'accept-language': 'en' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => void (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const blobsOf = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name) : []);
const headOf = async (id: number) => (await git.ok(['--git-dir', join(t.config.dataDir, 'repos', `${id}.git`), 'rev-parse', 'main'])).trim();
const healthy = async () => (await fetch(`${t.url}/healthz`)).status === 200;

describe('a full disk under the data folder', () => {
  it('runs on a real small filesystem', () => {
    expect(t.config.dataDir.startsWith(mountPoint)).toBe(true);
    expect(statfsSync(t.config.dataDir).blocks * statfsSync(t.config.dataDir).bsize).toBeLessThanOrEqual(64 * MB);
  });

  it('an API upload that does not fit: 507, nothing stored, the service stays up; it fits once space is freed', async () => {
    const s = await formedSystem(t);
    const before = await headOf(s.id);
    const audit = await t.deps.db('audit_events').count({ n: '*' }).first();
    const filler = fillLeaving(12);
    const big = randomBytes(20 * MB);
    const url = `${t.url}/api/v1/systems/${s.code}/files/installers/setup.bin`;
    const r = await put(url, big, { authorization: `Bearer ${s.owner.token}`, 'content-type': 'application/octet-stream' });
    expect(r.status, r.body).toBe(507);
    expect(JSON.parse(r.body).error.code).toBe('insufficient_storage');
    expect(blobsOf(join(t.config.dataDir, 'blobs'))).toEqual([]); // no object, no temp file
    expect(await headOf(s.id)).toBe(before);
    expect(await t.deps.db('lfs_objects').where({ system_id: s.id })).toEqual([]);
    expect((await t.deps.db('audit_events').count({ n: '*' }).first())!.n).toEqual(audit!.n);
    expect(await healthy()).toBe(true);

    rmSync(filler);
    const again = await put(url, big, { authorization: `Bearer ${s.owner.token}`, 'content-type': 'application/octet-stream' });
    expect(again.status, again.body).toBe(201);
    expect(JSON.parse(again.body).sha256).toBe(sha(big));
    rmSync(join(t.config.dataDir, 'blobs', sha(big).slice(0, 2)), { recursive: true }); // give the space back to the next test
    await t.deps.db('lfs_objects').where({ system_id: s.id }).delete();
  });

  it('a Git LFS object that does not fit: 507, nothing stored or held', async () => {
    const s = await formedSystem(t);
    const filler = fillLeaving(12);
    const big = randomBytes(20 * MB);
    const oid = sha(big);
    const r = await put(`${t.url}/git/${s.code}.git/info/lfs/objects/${oid}`, big, { authorization: basic(s.owner.token), 'content-type': 'application/octet-stream' });
    expect(r.status, r.body).toBe(507);
    expect(blobsOf(join(t.config.dataDir, 'blobs'))).toEqual([]);
    expect(await t.deps.db('lfs_objects').where({ system_id: s.id, oid })).toEqual([]);
    expect(await healthy()).toBe(true);
    rmSync(filler);
  });

  it('a git push that does not fit is rejected cleanly: no ref moved, no quarantine left, fsck clean; it lands once space is freed', async () => {
    const s = await formedSystem(t);
    const dir = git.workdir('push');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    // Outside LFS (source/), incompressible: git has to write all of it into the quarantine.
    const commit = await commitFile(git, dir, 'source/vendor.tar', randomBytes(20 * MB));
    const repo = join(t.config.dataDir, 'repos', `${s.id}.git`);
    const before = await headOf(s.id);
    const filler = fillLeaving(12);
    const pushed = await git.run(['push', 'origin', 'HEAD:main'], { cwd: dir });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/unpack|No space left|rejected|failed/i);
    expect(await headOf(s.id)).toBe(before);
    expect(readdirSync(join(repo, 'objects')).filter((n) => n.startsWith('incoming-') || n.startsWith('tmp_objdir'))).toEqual([]);
    expect(readdirSync(join(repo, 'objects', 'pack')).filter((n) => n.startsWith('tmp_'))).toEqual([]);
    expect(await t.deps.db('audit_events').where({ action: 'repository.pushed', subject_id: String(s.id) })).toEqual([]);
    expect(await healthy()).toBe(true);

    rmSync(filler);
    await git.ok(['push', '-q', 'origin', 'HEAD:main'], { cwd: dir });
    expect(await headOf(s.id)).toBe(commit);
    await git.ok(['--git-dir', repo, 'fsck', '--full', '--no-dangling']);
  });
});
