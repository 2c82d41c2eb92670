import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { projectRoot } from '../../server/paths.js';
import { sha256Hex } from '../../server/util/canonical-json.js';
import { buildCli, type CliContext } from '../../server/cli.js';
import { runScheduledReport } from '../../server/reports/service.js';
import { deliverReportMail, createReportMailer } from '../../server/reports/mail.js';
import { parseMail, startSmtpSink } from './notify-sink.js';
import { validForm } from './intake-fixtures.js';
import { adminOf, at, longLived } from './reports-fixtures.js';

// Rules p.13 end to end: the schedule stores the half-year's report on the first working day of July
// and operator admins are told; the dashboard shows the due date (the 10th) and, unsent after it,
// the report as overdue; an operator admin sends it — once — and the authorized body's users get the
// PDF by e-mail (a real SMTP conversation) and see it, and only sent reports; `qoima report` writes it.
const clock = testClock(at('2026-03-10'));
let t: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let viewer: Awaited<ReturnType<TestApp['addUser']>>;
let quiet: Awaited<ReturnType<TestApp['addUser']>>;
const api = () => request(t.url);
const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
let storedId = 0;
let admin: { token: string };

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ clock, env: { SMTP_URL: sink.url, QOIMA_PUBLIC_URL: 'https://qoima.example.kz' } });
  admin = await adminOf(t);
  staff = await longLived(t, await t.addUser({ role: 'operator_staff' }));
  const body = await t.addUser({ role: 'body_user' });
  viewer = await longLived(t, await t.addUser({ role: 'authority_viewer', lang: 'kk' }));
  quiet = await t.addUser({ role: 'authority_viewer', bin: viewer.bin, lang: 'ru' });
  await t.deps.db('users').where({ id: viewer.userId }).update({ email: 'minister@mdai.example.kz' });
  const sub = await api().post('/api/v1/applications').set(as(body)).send(validForm({ systemCode: 'SEND-S1', applicationDate: '2026-03-10', commissioning: { kind: 'industrial_operation', date: '2026-03-02' } }));
  expect(sub.status).toBe(201);
  expect((await api().post(`/api/v1/applications/${sub.body.id}/register`).set(as(staff)).send({})).status).toBe(200);
});
afterAll(async () => {
  await t?.stop();
  await sink?.close();
});

async function homeOf(login: string, password: string) {
  const client = formClient(t.url, 'en');
  await client.signIn(login, password);
  return { client, home: (await client.agent.get('/')).text };
}

describe('the schedule, the dashboard and sending', () => {
  it('stores 2026-H1 on 1 July (the first working day), tells operator admins, and shows the due date', async () => {
    clock.set('2026-06-30T12:00:00+05:00');
    expect((await runScheduledReport(t.deps)).skipped).toBe('not_report_month');
    clock.set('2026-07-01T09:05:00+05:00');
    const run = await runScheduledReport(t.deps);
    expect(run.skipped).toBeNull();
    expect(run.stored).toMatchObject({ period: '2026-H1', revision: 1, origin: 'schedule', createdBy: 'system', sentAt: null, intact: true });
    storedId = run.stored!.id;
    expect((await runScheduledReport(t.deps)).skipped).toBe('already_stored');
    const notes = await api().get('/api/v1/notifications').set(as(admin)).set('Accept-Language', 'en');
    expect(notes.body.items[0]).toMatchObject({ kind: 'report_ready', title: 'Half-yearly report 2026-H1 is ready for review', link: `/reports/stored/${storedId}` });
    expect(notes.body.items[0].text).toContain('by 10.07.2026');
    const { home } = await homeOf('admin', TEST_ADMIN_PASSWORD);
    expect(home).toContain('Half-yearly report 2026-H1 (Rules p.13)');
    expect(home).toContain('Due by 10.07.2026: 9 days left.');
    expect(home).toContain('Stored on 01.07.2026 09:05, waiting to be sent.');
  });

  it('refuses to store a half-year not yet ended, and lets only operator admins store and send', async () => {
    const running = await api().post('/api/v1/reports').set(as(admin)).send({ period: '2026-H2' });
    expect(running.status).toBe(400);
    expect(running.body.error.code).toBe('report_period_not_ended');
    expect((await api().post('/api/v1/reports').set(as(staff)).send({ period: '2026-H1' })).status).toBe(403);
    expect((await api().post(`/api/v1/reports/stored/${storedId}/send`).set(as(staff))).status).toBe(403);
    expect((await api().post(`/api/v1/reports/stored/${storedId}/send`).set(as(viewer))).status).toBe(403);
    expect((await api().post('/api/v1/reports/stored/999999/send').set(as(admin))).status).toBe(404);
  });

  it('the authorized body sees nothing before the report is sent', async () => {
    expect((await api().get('/api/v1/reports').set(as(viewer))).body).toEqual({ items: [], due: null });
    const h1 = await api().get('/api/v1/reports/2026-H1').set(as(viewer));
    expect(h1.status).toBe(404);
    expect(h1.body.error.code).toBe('report_not_found');
    expect((await api().get(`/api/v1/reports/stored/${storedId}`).set(as(viewer))).status).toBe(404);
    expect((await api().get('/api/v1/reports/range?from=2026-01-01&to=2026-02-01').set(as(viewer))).status).toBe(400);
  });

  it('an operator admin sends it from its page: recorded, e-mailed with the PDF in kk and ru, once', async () => {
    clock.set('2026-07-03T11:00:00+05:00');
    const { client } = await homeOf('admin', TEST_ADMIN_PASSWORD);
    const page = await client.agent.get(`/reports/stored/${storedId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="send-form"');
    expect(page.text.match(/<svg [^>]*role="img"/g)).toHaveLength(2);
    const sent = await client.post(`/reports/stored/${storedId}/send`, {}, `/reports/stored/${storedId}`);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe(`/reports/stored/${storedId}?done=sent`);

    const list = await api().get('/api/v1/reports').set(as(admin));
    const row = list.body.items.find((r: { id: number }) => r.id === storedId);
    expect(row).toMatchObject({ sentAt: '2026-07-03T06:00:00.000Z', sentBy: 'admin' });
    expect(row.sentTo.map((r: { login: string }) => r.login).sort()).toEqual([quiet.login, viewer.login].sort());
    expect(list.body.due).toMatchObject({ period: '2026-H1', state: 'sent' });

    const [mail] = await sink.waitFor(1);
    expect(mail.to).toEqual(['minister@mdai.example.kz']);
    expect(mail.subject).toBe('Qoima: 2026 жылдың бірінші жартыжылдығы бойынша атқарылған жұмыс туралы есеп (Қағидалардың 13-тармағы)');
    const boundary = /boundary="?([^";]+)"?/.exec(mail.headers.get('content-type') ?? '')![1];
    const parts = mail.text.split(`--${boundary}`).slice(1, -1).map((part) => parseMail(part.replace(/^\r?\n/, '')));
    expect(parts.map((p) => p.headers.get('content-type')?.split(';')[0])).toEqual(['text/plain', 'application/pdf', 'application/pdf']);
    expect(parts[0].text).toContain('2026 жылдың бірінші жартыжылдығы бойынша атқарылған жұмыс туралы есепті жібереді');
    expect(parts[0].text).toContain(`Есеп деректерінің SHA-256: ${row.sha256}`);
    expect(parts[0].text).toContain(`https://qoima.example.kz/reports/stored/${storedId}`);
    expect(parts.slice(1).map((p) => /filename="?([^";]+)/.exec(p.headers.get('content-disposition') ?? '')?.[1])).toEqual(['report-2026-H1-kk.pdf', 'report-2026-H1-ru.pdf']);
    const stored = await api().get(`/api/v1/reports/stored/${storedId}`).set(as(admin));
    expect(stored.headers['x-report-sha256']).toBe(row.sha256);
    // Nothing is left to send: the row is sent, a second delivery run finds nothing due.
    expect(await deliverReportMail(t.deps, createReportMailer(t.config))).toEqual({ sent: 0, retried: 0, failed: 0, skipped: 0 });
    const again = await api().post(`/api/v1/reports/stored/${storedId}/send`).set(as(admin));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('report_already_sent');
    const notes = await api().get('/api/v1/notifications').set(as(admin)).set('Accept-Language', 'ru');
    expect(notes.body.items[0]).toMatchObject({ kind: 'report_sent', title: 'Полугодовой отчёт 2026-H1 направлен' });
  });

  it('the authorized body then reads the sent report, in every format', async () => {
    const list = await api().get('/api/v1/reports').set(as(viewer));
    expect(list.body.items.map((r: { id: number }) => r.id)).toEqual([storedId]);
    expect(list.body.items[0].mail).toBeUndefined();
    const h1 = await api().get('/api/v1/reports/2026-H1').set(as(viewer));
    expect(h1.status).toBe(200);
    expect(h1.body).toMatchObject({ draft: false, stored: { revision: 1 }, totals: { applications: { received: 1, registered: 1 } } });
    // The stored report's PDF is made from its stored data with its own date: the same bytes every time.
    const pdfOf = () => api().get(`/api/v1/reports/stored/${storedId}?format=pdf&lang=ru`).set(as(viewer)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    const [pdf, again] = [await pdfOf(), await pdfOf()];
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(sha256Hex(pdf.body as Buffer)).toBe(sha256Hex(again.body as Buffer));
    const client = formClient(t.url, 'kk');
    await client.signIn(viewer.login, viewer.password);
    const ui = await client.agent.get('/reports');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain(`/reports/stored/${storedId}`);
    expect(ui.text).not.toContain('id="store-form"');
    expect((await client.agent.get(`/reports/stored/${storedId}`)).text).not.toContain('id="send-form"');
  });

  it('operator screens: the list with its forms, a half-year in Kazakh with charts, storing from the form', async () => {
    const { client } = await homeOf('admin', TEST_ADMIN_PASSWORD);
    const list = await client.agent.get('/reports');
    expect(list.status).toBe(200);
    for (const id of ['id="report-live"', 'id="store-form"', 'id="report-due"', `id="stored-${storedId}"`]) expect(list.text).toContain(id);
    const go = await client.agent.get('/reports?period=2026-H1&lang=kk');
    expect(go.status).toBe(303);
    expect(go.headers.location).toBe('/reports/2026-H1?lang=kk');
    const view = await client.agent.get('/reports/2026-H1?lang=kk');
    expect(view.status).toBe(200);
    expect(view.text).toContain('<article class="report" lang="kk" id="report">');
    expect(view.text).toContain('2026 жылдың бірінші жартыжылдығы');
    expect(view.text.match(/<svg [^>]*role="img"/g)).toHaveLength(2);
    expect(view.text).toContain('href="/api/v1/reports/2026-H1?format=pdf&amp;lang=kk"');
    const draft = await client.agent.get('/reports/2026-H2');
    expect(draft.text).toContain('id="draft-banner"');
    const refused = await client.post('/reports', { period: '2026-H2' }, '/reports');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('The half-year has not ended: only a draft can be shown, not stored.');
  });

  it('a correction is a new revision; only the latest unsent one can be sent', async () => {
    const r2 = await api().post('/api/v1/reports').set(as(admin)).send({ period: '2026-H1' });
    expect(r2.body).toMatchObject({ revision: 2, origin: 'operator' });
    const r3 = await api().post('/api/v1/reports').set(as(admin)).send({ period: '2026-H1' });
    expect(r3.body.revision).toBe(3);
    const superseded = await api().post(`/api/v1/reports/stored/${r2.body.id}/send`).set(as(admin));
    expect(superseded.status).toBe(409);
    expect(superseded.body.error.code).toBe('report_superseded');
  });

  it('shows the next report as overdue once its 10th has passed unsent', async () => {
    clock.set('2027-01-12T10:00:00+05:00');
    const { home } = await homeOf('admin', TEST_ADMIN_PASSWORD);
    expect(home).toContain('Half-yearly report 2026-H2 (Rules p.13)');
    expect(home).toContain('Overdue: it was due on 10.01.2027.');
    expect(home).toContain('Not stored yet.');
  });
});

describe('qoima report (the CLI)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), 'report', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, QOIMA_DATA_DIR: t.dataDir, QOIMA_DEFAULT_LANG: 'en', QOIMA_LOG_LEVEL: 'silent', ...(t.config.dbSchema ? { QOIMA_DB_SCHEMA: t.config.dbSchema } : {}) },
    });

  it('writes the PDF of a half-year with its Kazakh headings', () => {
    const out = join(t.dataDir, 'report.pdf');
    const r = cli(['--period', '2026-H1', '--format', 'pdf', '--lang', 'kk', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/report\.pdf: \d+ байт \(pdf, kk\)/);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', out, '-'], { encoding: 'utf8' });
    expect(text).toContain('Атқарылған жұмыс туралы есеп');
    expect(text).toContain('2026 жылдың бірінші жартыжылдығы');
    expect(text).toContain('Мерзімдердің сақталуы');
  });

  it('prints one line and fails on bad input', () => {
    const period = cli(['--period', '2026-H3']);
    expect(period.status).toBe(1);
    expect(period.stderr).toBe('qoima: Unknown period “2026-H3”: write a half-year as 2026-H1 or 2026-H2.\n');
  });

  it('refuses an unsupported format, a bad language and a future period before opening the database', async () => {
    const lines: string[] = [];
    const ctx: CliContext = { config: t.config, lang: 'en', out: (l) => void lines.push(l), open: () => Promise.reject(new Error('the database must not be opened')) };
    const run = (args: string[]) => buildCli(ctx).parseAsync(['report', ...args], { from: 'user' }).then(() => null, (err: { code?: string }) => err.code);
    expect(await run(['--period', '2026-H1', '--format', 'docx'])).toBe('report_format_invalid');
    expect(await run(['--period', '2026-H1', '--lang', 'de'])).toBe('report_format_invalid');
    expect(await run(['--period', '2099-H1'])).toBe('report_period_future');
    expect(await run(['--from', '2026-02-01'])).toBe('report_date_invalid');
    expect(lines).toEqual([]);
  });
});
