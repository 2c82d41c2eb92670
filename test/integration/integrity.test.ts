import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actPath } from '../../server/deposits/act.js';
import { projectRoot } from '../../server/paths.js';
import { repoPath } from '../../storage/repos.js';
import { startTestApp, testClock, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { cloneUrl, commitFiles, formedSystem, gitClient } from '../helpers/git.js';

let t: TestApp;
const git = gitClient();
const scratch = mkdtempSync(join(tmpdir(), 'qoima-integrity-'));
let s: Awaited<ReturnType<typeof formedSystem>>;
let installerOid: string;
let work: string;

/** The real CLI against the running app's data folder and database (asynchronous: the server keeps answering). */
function qoima(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base: Record<string, string> = { PATH: process.env.PATH!, QOIMA_DATA_DIR: t.dataDir, QOIMA_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, QOIMA_DEFAULT_LANG: 'en' };
  if (process.env.DATABASE_URL) Object.assign(base, { DATABASE_URL: process.env.DATABASE_URL, QOIMA_DB_SCHEMA: t.config.dbSchema! });
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), ...args], { cwd: projectRoot, env: { ...base, ...env }, timeout: 60_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}
const fsck = async (...extra: string[]) => {
  const r = await qoima(['fsck', '--json', ...extra]);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: { kind: string; subject: string }[] }).findings.map((f) => `${f.kind} ${f.subject}`) };
};

beforeAll(async () => {
  t = await startTestApp({ clock: testClock('2026-03-10T10:00:00+05:00') });
  await git.ok(['lfs', 'install', '--skip-repo']);
  s = await formedSystem(t);
  work = git.workdir('deposit');
  await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), work]);
  await commitFiles(git, work, { 'installers/setup.bin': randomBytes(64 * 1024), 'source/main.go': 'package main\n\nfunc main() {}\n' }, 'deposit v1');
  await git.ok(['push', '-q', 'origin', 'main'], { cwd: work });
  const accepted = await request(t.url).post(`/api/v1/systems/${s.code}/deposits`).set('Authorization', `Bearer ${t.adminToken}`).send({ ref: 'main', overrideReason: 'integrity test' });
  expect(accepted.status).toBe(201);
  const lfs = await t.deps.db('deposit_files').where({ lfs: true }).first('sha256');
  installerOid = lfs.sha256;
}, 60_000);
afterAll(async () => {
  await t?.stop();
  git.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('qoima fsck: every planted fault found and named, a clean store has none', { timeout: 180_000 }, () => {
  it('is clean on a clean store and stores the run', async () => {
    const clean = await fsck();
    expect(clean).toEqual({ code: 0, findings: [] });
    const run = await t.deps.db('fixity_runs').orderBy('id', 'desc').first();
    expect(run).toMatchObject({ finding_count: 0 });
    expect(Number(run.objects_checked)).toBeGreaterThan(3);
  });

  it('finds a flipped byte and a deleted blob', async () => {
    const blob = t.deps.blobs.pathOf(installerOid);
    const original = readFileSync(blob);
    const flipped = Buffer.from(original);
    flipped[1000] ^= 0x01;
    writeFileSync(blob, flipped);
    const f1 = await fsck();
    expect(f1.code).not.toBe(0);
    expect(f1.findings).toContain(`blob_hash_mismatch blob ${installerOid}`);
    expect(f1.findings).toContain(`deposit_lfs_corrupt system ${s.code} deposit/v1 installers/setup.bin`);
    unlinkSync(blob);
    const f2 = await fsck();
    expect(f2.findings).toContain(`blob_missing blob ${installerOid}`);
    expect(f2.findings).toContain(`deposit_lfs_missing system ${s.code} deposit/v1 installers/setup.bin`);
    writeFileSync(blob, original);
  });

  it('finds a truncated pack file, a deleted ref and a moved deposit/v1 tag', async () => {
    const repo = repoPath(t.dataDir, s.id);
    await git.ok(['repack', '-adq'], { cwd: repo });
    const saved = join(scratch, 'repo-copy.git');
    cpSync(repo, saved, { recursive: true });
    const pack = readdirSync(join(repo, 'objects/pack')).find((n) => n.endsWith('.pack'))!;
    truncateSync(join(repo, 'objects/pack', pack), 200);
    expect((await fsck('--system', s.code)).findings.some((f) => f.startsWith(`repo_corrupt system ${s.code} repository`))).toBe(true);
    rmSync(repo, { recursive: true });
    cpSync(saved, repo, { recursive: true });

    unlinkSync(join(repo, 'refs/heads/main'));
    expect((await fsck('--system', s.code)).findings).toContain(`ref_missing system ${s.code} refs/heads/main`);
    rmSync(repo, { recursive: true });
    cpSync(saved, repo, { recursive: true });

    const parent = (await git.ok(['rev-parse', 'HEAD~1'], { cwd: work })).trim();
    await git.ok(['update-ref', 'refs/tags/deposit/v1', parent], { cwd: repo });
    expect((await fsck()).findings).toEqual([`deposit_tag_moved system ${s.code} deposit/v1`]);
    rmSync(repo, { recursive: true });
    cpSync(saved, repo, { recursive: true });
  });

  it('finds an edited audit row and an act PDF changed on disk', async () => {
    const row = await t.deps.db('audit_events').where({ action: 'deposit.accepted' }).first();
    await t.deps.db('audit_events').where({ id: row.id }).update({ actor_login: 'mallory' });
    expect((await fsck()).findings).toEqual([`audit_chain_broken audit event ${row.id}`]);
    await t.deps.db('audit_events').where({ id: row.id }).update({ actor_login: row.actor_login });

    const act = actPath(t.dataDir, s.id, 1);
    const original = readFileSync(act);
    writeFileSync(act, Buffer.concat([original, Buffer.from('%% appended\n')]));
    const f = await fsck();
    expect(f.findings).toEqual([`act_hash_mismatch system ${s.code} act v1`]);
    writeFileSync(act, original);
    expect(await fsck()).toEqual({ code: 0, findings: [] });
  });
});

describe('qoima backup and restore', () => {
  it('takes a backup while a push lands, verifies it, refuses a changed one and a non-empty target, restores into an empty one', async () => {
    const out = join(scratch, 'backup');
    // A push lands during the backup: the copy must be a valid repository either way.
    writeFileSync(join(work, 'source/big.txt'), randomBytes(2 * 1024 * 1024).toString('base64'));
    await git.ok(['add', '-A'], { cwd: work });
    await git.ok(['commit', '-q', '-m', 'during backup'], { cwd: work });
    const [pushed, backup] = await Promise.all([git.ok(['push', '-q', 'origin', 'main'], { cwd: work }), qoima(['backup', '--out', out])]);
    expect(pushed).toBeDefined();
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect((await qoima(['backup', '--verify', out])).code).toBe(0);
    // Incremental: a second run copies no blob again.
    expect((await qoima(['backup', '--out', out])).stdout).toContain('0 blob(s) copied, 1 already there');

    const actCopy = join(out, 'files/acts', String(s.id), 'v1.pdf');
    const original = readFileSync(actCopy);
    writeFileSync(actCopy, Buffer.concat([original.subarray(0, 100), Buffer.from('X'), original.subarray(101)]));
    const bad = await qoima(['backup', '--verify', out]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain(`files/acts/${s.id}/v1.pdf:`);
    writeFileSync(actCopy, original);

    const refused = await qoima(['restore', '--from', out]); // the running app's own, non-empty folder
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not empty/);
    expect(existsSync(join(t.dataDir, 'qoima.sqlite')) || !!process.env.DATABASE_URL).toBe(true);

    // PostgreSQL: the dump restores into the schema it holds, which must not exist — the app's own is dropped first.
    if (process.env.DATABASE_URL) await t.deps.db.raw(`DROP SCHEMA "${t.config.dbSchema}" CASCADE`);
    const target = join(scratch, 'restored');
    const restored = await qoima(['restore', '--from', out], { QOIMA_DATA_DIR: target });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const check = await qoima(['fsck', '--json'], { QOIMA_DATA_DIR: target });
    expect(JSON.parse(check.stdout).findings).toEqual([]);
    expect(existsSync(actPath(target, s.id, 1))).toBe(true);
    const remote = await git.ok(['ls-remote', repoPath(target, s.id)]);
    expect(remote).toContain('refs/tags/deposit/v1');
  }, 300_000);
});
