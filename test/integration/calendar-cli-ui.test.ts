import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, testClock, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { listAudit } from '../../server/audit/service.js';
import { projectRoot } from '../../server/paths.js';

let t: TestApp;
const TSX = join(projectRoot, 'node_modules', '.bin', 'tsx');
beforeAll(async () => {
  t = await startTestApp({ clock: testClock('2026-03-19T10:00:00+05:00') });
});
afterAll(async () => {
  await t?.stop();
});

/**
 * The real command line (`npx tsx server/cli.ts …`, run through the local tsx binary to spare npx's
 * start-up), in its own process, on the test server's data folder and database.
 */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, QOIMA_DATA_DIR: t.dataDir, QOIMA_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, QOIMA_LOG_LEVEL: 'silent' };
  if (t.config.dbSchema) env.QOIMA_DB_SCHEMA = t.config.dbSchema;
  return new Promise((resolve) => {
    execFile(TSX, ['server/cli.ts', ...args], { env, cwd: projectRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('qoima calendar (CLI)', () => {
  it('prints exactly the Nth working day, and one line on stderr with a non-zero exit for a bad date', async () => {
    const [ok, bad] = await Promise.all([cli('calendar', 'add', '--from', '2026-03-19', '--days', '3'), cli('calendar', 'add', '--from', '2026-02-30', '--days', '3')]);
    expect(ok).toEqual({ code: 0, stdout: '2026-03-27\n', stderr: '' });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^qoima: .*from/);
  });

  it('enters a decree that the running server counts at once, shows the year, and removes the decree', async () => {
    const set = await cli('calendar', 'override', '--date', '2026-03-26', '--off', '--basis', 'Decree No. 7');
    expect(set.code).toBe(0);
    const admin = { Authorization: `Bearer ${t.adminToken}` };
    expect((await request(t.url).get('/api/v1/calendar/working-days?from=2026-03-19&add=3').set(admin)).body.date).toBe('2026-03-30');
    expect(await listAudit(t.deps, { action: 'calendar.override_set', subjectId: '2026-03-26' })).toEqual([expect.objectContaining({ actorLogin: 'cli' })]);

    // Refused before the database is opened, so it may run alongside.
    const [shown, both] = await Promise.all([cli('calendar', 'show', '2026', '--lang', 'en'), cli('calendar', 'override', '--date', '2026-03-26', '--off', '--working', '--basis', 'x')]);
    expect(both.code).not.toBe(0);
    expect(both.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('2026: 246 working days');
    expect(lines).toContain('2026-03-24 Tue substitute Nauryz (substitute)');
    expect(lines).toContain('2026-03-26 Thu override   Day off (Government decree) — Decree No. 7');
    const removed = await cli('calendar', 'override', '--date', '2026-03-26', '--remove');
    expect(removed.code).toBe(0);
    expect((await request(t.url).get('/api/v1/calendar/working-days?from=2026-03-19&add=3').set(admin)).body.date).toBe('2026-03-27');
  });
});

/** Signs in through the login form, as a browser does. */
async function signIn(login: string, password: string) {
  const agent = request.agent(t.url);
  const form = await agent.get('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
  const res = await agent.post('/login').type('form').send({ login, password, _csrf: csrf, next: '/calendar' });
  expect(res.status).toBe(303);
  return agent;
}
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

describe('GET /calendar (UI)', () => {
  it('sends an anonymous visitor to the login form', async () => {
    const res = await request(t.url).get('/calendar');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fcalendar');
  });

  it('shows a signed-in user the year in Kazakh: twelve months, Nauryz named, no decree form', async () => {
    const user = await t.addUser({ role: 'body_user' });
    const agent = await signIn(user.login, user.password);
    const first = await agent.get('/calendar');
    expect(first.status).toBe(200);
    const lang = await agent.post('/lang').type('form').send({ lang: 'kk', next: '/calendar?year=2026', _csrf: csrfOf(first.text) });
    expect(lang.status).toBe(303);
    const page = await agent.get('/calendar?year=2026');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="kk">');
    expect(page.text).toContain('Жылдағы жұмыс күндері: 247');
    for (const month of ['Қаңтар', 'Наурыз', 'Желтоқсан']) expect(page.text).toContain(`<caption>${month}`);
    expect(page.text.match(/<table class="month"/g)).toHaveLength(12);
    expect(page.text).toContain('<th scope="col" class="" abbr="дүйсенбі">Дс</th>');
    expect(page.text).toMatch(/<td class="day off kind-holiday weekend" title="Наурыз мейрамы — Мереке күні" data-date="2026-03-21">21<\/td>/);
    expect(page.text).toMatch(/<td class="day off kind-substitute" title="Наурыз мейрамы \(ауыстырылған демалыс\) — Ауыстырылған демалыс күні" data-date="2026-03-25">25<\/td>/);
    expect(page.text).toContain('href="/calendar?year=2027"');
    expect(page.text).not.toContain('action="/calendar/overrides"');
    const forbidden = await agent.post('/calendar/overrides').type('form').send({ date: '2026-03-26', working: 'off', basis: 'x', _csrf: csrfOf(page.text) });
    expect(forbidden.status).toBe(403);
    expect((await agent.get('/calendar?year=1999')).status).toBe(400);
  });

  it('lets an operator admin enter and remove a decree with the form, and shows a wrong one back with its field', async () => {
    const agent = await signIn('admin', TEST_ADMIN_PASSWORD);
    const page = await agent.get('/calendar?year=2027');
    expect(page.text).toContain('action="/calendar/overrides"');
    const csrf = csrfOf(page.text);
    const noCsrf = await agent.post('/calendar/overrides').type('form').send({ date: '2027-01-08', working: 'off', basis: 'Decree No. 9' });
    expect(noCsrf.status).toBe(403);

    const bad = await agent.post('/calendar/overrides').type('form').set('Accept-Language', 'en').send({ date: '2027-02-30', working: 'off', basis: 'Decree No. 9', _csrf: csrf });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/class="field-error">[^<]+</);
    expect(bad.text).toContain('value="Decree No. 9"');

    const set = await agent.post('/calendar/overrides').type('form').send({ date: '2027-01-08', working: 'off', basis: 'Decree No. 9', _csrf: csrf });
    expect(set.status).toBe(303);
    expect(set.headers.location).toBe('/calendar?year=2027&done=set#overrides');
    const shown = await agent.get('/calendar?year=2027');
    expect(shown.text).toMatch(/<td class="day off kind-override" title="[^"]+" data-date="2027-01-08">8<\/td>/);
    expect(shown.text).toMatch(/<td>Decree No. 9<\/td>\s*<td>admin<\/td>/);

    const removed = await agent.post('/calendar/overrides/2027-01-08/remove').type('form').send({ _csrf: csrf });
    expect(removed.status).toBe(303);
    expect((await agent.get('/calendar?year=2027')).text).toContain('<td class="day" data-date="2027-01-08">8</td>');
    expect(await listAudit(t.deps, { subjectType: 'calendar_day', subjectId: '2027-01-08' })).toHaveLength(2);
  });
});
