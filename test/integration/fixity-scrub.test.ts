import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../server/deps.js';
import { startScrubSchedule, type ScrubSchedule } from '../../server/integrity/scrub-schedule.js';
import { runScrubSlice, type SliceResult } from '../../server/integrity/scrub.js';
import { releaseLease, takeLease } from '../../server/integrity/scrub-queries.js';
import { TokenBucket } from '../../server/integrity/token-bucket.js';
import { startTestApp, testClock, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { formClient, launchBrowser } from '../helpers/browser.js';
import { cloneUrl, commitFiles, formedSystem, gitClient } from '../helpers/git.js';

/**
 * The background fixity scrubber (issue 12): real blob files, a real git push with LFS, the real
 * database (SQLite, or PostgreSQL with DATABASE_URL), the real schedule with its lease and budget.
 */
let t: TestApp;
const git = gitClient();
let s: Awaited<ReturnType<typeof formedSystem>>;
let installerOid: string;
let blobCount: number;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let admin2: Awaited<ReturnType<TestApp['addUser']>>;
const FAST: ScrubSchedule = { sliceMs: 250, idleMs: 50, leaseMs: 5_000, startDelayMs: 0 };
const checkDeps = () => ({ db: t.deps.db, clock: t.deps.clock, blobs: t.deps.blobs, dataDir: t.dataDir });
/** The app's deps with the scrubber switched on at `mbps` and a new cycle always due. */
const withBudget = (mbps: number): AppDeps => ({ ...t.deps, config: Object.freeze({ ...t.config, scrubMbPerSecond: mbps, scrubCycleMs: 0 }) });
const cursor = (kind: string) => t.deps.db('fixity_cursors').where({ object_kind: kind }).first();
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
/** Slices (unlimited budget) until every kind has finished a cycle. */
async function fullCycle(budget = new TokenBucket(null)): Promise<SliceResult['slices']> {
  const done = new Set<string>();
  const all: SliceResult['slices'] = [];
  for (let i = 0; i < 50 && done.size < 7; i++) {
    const r = await runScrubSlice(checkDeps(), { budget, sliceMs: 60_000, minCycleMs: 0 });
    for (const x of r.slices) {
      all.push(x);
      if (x.cycleDone) done.add(x.kind);
    }
  }
  expect([...done].sort()).toEqual(['audit', 'blob', 'deposit', 'lfs', 'package', 'repo', 'report']);
  return all;
}

beforeAll(async () => {
  t = await startTestApp({ clock: testClock('2026-03-10T10:00:00+05:00') });
  await git.ok(['lfs', 'install', '--skip-repo']);
  s = await formedSystem(t);
  const work = git.workdir('deposit');
  await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), work]);
  await commitFiles(git, work, { 'installers/setup.bin': randomBytes(256 * 1024), 'BUILD.md': '# Build\n\nmake\n' }, 'deposit v1');
  await git.ok(['push', '-q', 'origin', 'main'], { cwd: work });
  const accepted = await request(t.url).post(`/api/v1/systems/${s.code}/deposits`).set('Authorization', `Bearer ${t.adminToken}`).send({ ref: 'main', overrideReason: 'fixity test' });
  expect(accepted.status).toBe(201);
  installerOid = (await t.deps.db('deposit_files').where({ lfs: true }).first('sha256')).sha256;
  // More blobs, so a cycle of the blob store takes several reads: 8 × 256 KiB besides the installer.
  for (let i = 0; i < 8; i++) await t.deps.blobs.write(Readable.from([randomBytes(256 * 1024)]));
  blobCount = 0;
  for await (const _ of t.deps.blobs.list()) blobCount++;
  staff = await t.addUser({ role: 'operator_staff' });
  admin2 = await t.addUser({ role: 'operator_admin' });
}, 90_000);
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

describe('the fixity scrubber', { timeout: 120_000 }, () => {
  it('is off unless QOIMA_SCRUB_MB_S is set, and a clean store gives zero findings in a full cycle', async () => {
    expect(t.config.scrubMbPerSecond).toBe(0);
    expect(await t.deps.db('fixity_cursors').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
    expect(await cursor('blob')).toBeUndefined(); // serve() did not start it
    const slices = await fullCycle();
    expect(slices.flatMap((x) => x.findings)).toEqual([]);
    expect(slices.filter((x) => x.kind === 'blob').reduce((n, x) => n + x.objects, 0)).toBe(blobCount);
    const runs = await t.deps.db('fixity_runs').where({ trigger: 'scheduled' });
    expect(runs.length).toBeGreaterThanOrEqual(7);
    expect(runs.every((r: { finding_count: number }) => Number(r.finding_count) === 0)).toBe(true);
    const blob = await cursor('blob');
    expect(blob).toMatchObject({ position: null, cycle: 2 });
    expect(blob.last_full_cycle_finished_at).toBeTruthy();
    expect(await t.deps.db('notifications').where({ kind: 'fixity_finding' })).toEqual([]);
  });

  it('remembers where it stopped: a restarted job continues from its cursor and checks each blob once per cycle', async () => {
    const { cycle } = await cursor('blob');
    // Slow enough (0.5 MB/s) that the job is stopped half way through the blob store.
    let job = startScrubSchedule(withBudget(0.5), FAST);
    const stoppedAt = await until('a blob slice that stopped half way', async () => (await t.deps.db('fixity_runs').where({ object_kind: 'blob', cycle }).whereNotNull('cursor_to').orderBy('id', 'desc').first()) as { cursor_to: string } | undefined);
    await job.stop();
    const saved = await cursor('blob');
    expect(saved.cycle).toBe(cycle);
    expect(saved.position).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.position >= stoppedAt.cursor_to).toBe(true);
    const lastRun = await t.deps.db('fixity_runs').max({ id: 'id' }).first();

    job = startScrubSchedule(withBudget(4), FAST);
    await until('the blob cycle to finish', async () => Number((await cursor('blob')).cycle) > cycle);
    await job.stop();
    const after = await t.deps.db('fixity_runs').where({ object_kind: 'blob', cycle }).andWhere('id', '>', Number(lastRun?.id)).orderBy('id');
    expect(after[0].cursor_from).toBe(saved.position);
    const blobRuns = await t.deps.db('fixity_runs').where({ object_kind: 'blob', cycle });
    expect(blobRuns.reduce((n: number, r: { objects_checked: number }) => n + Number(r.objects_checked), 0)).toBe(blobCount);
    // The lease was given back on stop.
    expect(await t.deps.db('fixity_lease').first()).toMatchObject({ holder: null });
  });

  it('honours the read budget', async () => {
    const rate = 1024 * 1024; // 1 MB/s
    const bucket = new TokenBucket(rate);
    const t0 = performance.now();
    const slices = await fullCycle(bucket);
    const slow = (performance.now() - t0) / 1000;
    const bytes = slices.reduce((n, x) => n + x.bytes, 0);
    expect(bytes).toBeGreaterThan(2 * 1024 * 1024);
    // Never faster than the budget (less the one chunk the bucket starts with), and not much slower.
    expect(slow).toBeGreaterThanOrEqual(((bytes - bucket.chunk) / rate) * 0.95);
    expect(slow).toBeLessThan(bytes / rate + 5);
    const t1 = performance.now();
    await fullCycle();
    const fast = (performance.now() - t1) / 1000;
    expect(fast).toBeLessThan(slow / 2);
  });

  it('runs in one process at a time: the lease', async () => {
    expect(await takeLease(t.deps.db, 'process-a', 1_000, 10_000)).toBe(true);
    expect(await takeLease(t.deps.db, 'process-b', 2_000, 10_000)).toBe(false);
    expect(await takeLease(t.deps.db, 'process-a', 3_000, 10_000)).toBe(true); // renewed
    expect(await takeLease(t.deps.db, 'process-b', 13_001, 10_000)).toBe(true); // a expired (crashed)
    expect(await takeLease(t.deps.db, 'process-a', 14_000, 10_000)).toBe(false);
    await releaseLease(t.deps.db, 'process-b');
    expect(await takeLease(t.deps.db, 'process-a', 14_000, 10_000)).toBe(true);
    await releaseLease(t.deps.db, 'process-a');
  });

  it('finds a flipped byte in a blob, stores it, shows it, counts it and notifies admins once', async () => {
    const path = t.deps.blobs.pathOf(installerOid);
    const original = readFileSync(path);
    const flipped = Buffer.from(original);
    flipped[4242] ^= 0x10;
    writeFileSync(path, flipped);
    try {
      const { cycle } = await cursor('blob');
      const job = startScrubSchedule(withBudget(8), FAST);
      await until('the finding', () => t.deps.db('fixity_findings').where({ kind: 'blob_hash_mismatch', subject: `blob ${installerOid}` }).first());
      // …and found again on the next full pass, without a second notice.
      await until('two more blob cycles', async () => Number((await cursor('blob')).cycle) >= cycle + 2);
      await job.stop();

      const found = await t.deps.db('fixity_findings as f').join('fixity_runs as r', 'r.id', 'f.run_id').where({ 'f.kind': 'blob_hash_mismatch', 'r.trigger': 'scheduled' }).select('f.detail', 'r.id', 'r.object_kind');
      expect(found.length).toBeGreaterThanOrEqual(2);
      expect(found[0]).toMatchObject({ object_kind: 'blob', detail: expect.stringMatching(/^content hashes to [0-9a-f]{64}$/) });

      const notices = await t.deps.db('notifications').where({ kind: 'fixity_finding' }).select('user_id', 'link');
      const adminIds = (await t.deps.db('users').where({ role: 'operator_admin' }).select('id')).map((u: { id: number }) => u.id);
      expect(adminIds).toContain(admin2.userId);
      expect(notices.map((n: { user_id: number }) => n.user_id).sort()).toEqual([...adminIds].sort()); // once each, staff not
      expect(notices[0].link).toBe(`/fixity?run=${found[0].id}`);
      const mine = await request(t.url).get('/api/v1/notifications').set('Authorization', `Bearer ${admin2.token}`).set('Accept-Language', 'en');
      expect(mine.body.items[0]).toMatchObject({ kind: 'fixity_finding', title: `Fixity: 1 new finding(s) — blob ${installerOid}` });

      const staffUi = formClient(t.url, 'en');
      await staffUi.signIn(staff.login, staff.password);
      const page = await staffUi.agent.get('/fixity');
      expect(page.status).toBe(200);
      expect(page.text).toContain(`blob ${installerOid}`);
      expect(page.text).toContain('blob_hash_mismatch');
      expect(page.text).toMatch(/<tr data-kind="blob">[\s\S]*?<td class="last-full">2026-03-10T05:00:00.000Z → 2026-03-10T05:00:00.000Z<\/td>/);
      const ownerUi = formClient(t.url, 'en');
      await ownerUi.signIn(s.owner.login, s.owner.password);
      expect((await ownerUi.agent.get('/fixity')).status).toBe(403);

      const metrics = await request(t.url).get('/metrics').set('Authorization', `Bearer ${t.adminToken}`);
      expect(metrics.status).toBe(200);
      const findingsTotal = Number(/^qoima_fixity_findings_total\{kind="blob"\} (\d+)$/m.exec(metrics.text)?.[1]);
      expect(findingsTotal).toBe(found.length);
      expect(Number(/^qoima_fixity_objects_checked_total\{kind="blob"\} (\d+)$/m.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(blobCount * 4);
      expect(metrics.text).toMatch(/^qoima_fixity_bytes_checked_total\{kind="blob"\} \d+$/m);
      expect(metrics.text).toMatch(/^qoima_fixity_oldest_unchecked_seconds\{kind="blob"\} 0$/m); // the test's clock stands still
      expect(metrics.text).toMatch(/^qoima_fixity_last_full_cycle_timestamp_seconds\{kind="repo"\} \d+/m);

      // One real browser: the admin signs in, follows the nav to the page and sees the finding.
      const browser = await launchBrowser();
      try {
        const ctx = await browser.newContext({ locale: 'en' });
        const tab = await ctx.newPage();
        await tab.goto(t.url + '/login');
        await tab.fill('input[name=login]', 'admin');
        await tab.fill('input[name=password]', TEST_ADMIN_PASSWORD);
        await Promise.all([tab.waitForURL(t.url + '/'), tab.click('form[action="/login"] button[type=submit]')]);
        await Promise.all([tab.waitForURL(t.url + '/fixity'), tab.click('nav.main a[href="/fixity"]')]);
        expect(await tab.locator('h1').innerText()).toBe('Fixity checks');
        expect(await tab.locator('#fixity-findings tr.finding[data-finding="blob_hash_mismatch"]').first().innerText()).toContain(installerOid);
      } finally {
        await browser.close();
      }
    } finally {
      writeFileSync(path, original);
    }
  });
});
