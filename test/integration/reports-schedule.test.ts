import { spawn } from 'node:child_process';
import { join } from 'node:path';
import cron from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { projectRoot } from '../../server/paths.js';
import { REPORT_CRON } from '../../server/reports/schedule.js';
import { runScheduledReport } from '../../server/reports/service.js';

// Rules p.13 on a schedule: the job stores the report of the half-year just ended from the first
// working day of January or July (Asia/Almaty) — 5 January in 2027, after the New Year holidays and
// their substitute day — and exactly once, even when two server processes run it at the same moment
// against one database (PostgreSQL: an advisory lock; SQLite: the single writer).
const clock = testClock('2026-12-20T10:00:00+05:00');
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.stop();
});

/** Runs the job in a child process at `at`; resolves when it is ready, then `go()` starts it. */
function child(at: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test/integration/reports-child.ts'), at], {
    cwd: projectRoot,
    env: { ...process.env, QOIMA_TEST_SQLITE: join(t.dataDir, 'qoima.sqlite'), ...(t.config.dbSchema ? { QOIMA_DB_SCHEMA: t.config.dbSchema } : {}) },
  });
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${err}`)));
  });
  const done = new Promise<{ stored: number | null; skipped: string | null }>((resolve, reject) =>
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n').filter(Boolean).pop()!)) : reject(new Error(`child failed (${code}): ${err}`)))),
  );
  return { ready, done, go: () => proc.stdin.end('go\n') };
}

describe('the scheduled half-yearly report', () => {
  it('fires hourly during the working day in January and July (node-cron, Asia/Almaty)', () => {
    expect(cron.validate(REPORT_CRON)).toBe(true);
    expect(cron.parse(REPORT_CRON)).toMatchObject({ minute: [5], month: [1, 7], hour: [9, 10, 11, 12, 13, 14, 15, 16, 17, 18] });
  });

  it('does nothing outside January and July, nor before the first working day', async () => {
    expect(await runScheduledReport(t.deps, new Date('2026-12-31T10:00:00+05:00'))).toMatchObject({ period: '2026-H1', skipped: 'not_report_month' });
    // 1 and 2 January are holidays; 2 January is a Saturday, so Monday 4 January is its day off.
    for (const day of ['2027-01-01', '2027-01-02', '2027-01-03', '2027-01-04']) {
      expect(await runScheduledReport(t.deps, new Date(`${day}T09:05:00+05:00`)), day).toMatchObject({ period: '2026-H2', stored: null, skipped: 'before_first_working_day' });
    }
    expect(Number((await t.deps.db('reports').count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('stores the report exactly once when two processes run it at the same moment', async () => {
    const at = '2027-01-05T09:05:00+05:00';
    const [a, b] = [child(at), child(at)];
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const results = await Promise.all([a.done, b.done]);
    expect(results.filter((r) => r.stored !== null)).toHaveLength(1);
    expect(results.filter((r) => r.skipped === 'already_stored')).toHaveLength(1);
    const rows = await t.deps.db('reports').select('id', 'period', 'revision', 'origin', 'created_at', 'sha256');
    expect(rows).toEqual([{ id: results.find((r) => r.stored)!.stored, period: '2026-H2', revision: 1, origin: 'schedule', created_at: '2027-01-05T04:05:00.000Z', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(await t.deps.db('audit_events').where({ action: 'report.stored' }).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(1);
    // Later runs in January (a restart, the next hour) find it stored.
    expect((await runScheduledReport(t.deps, new Date('2027-01-05T10:05:00+05:00'))).skipped).toBe('already_stored');
    expect((await runScheduledReport(t.deps, new Date('2027-01-20T10:05:00+05:00'))).skipped).toBe('already_stored');
  });
});
