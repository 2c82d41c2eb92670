import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { formedSystem } from '../helpers/git.js';

const clock = testClock('2026-03-10T10:00:00+05:00');
let t: TestApp;
let staffUi: ReturnType<typeof formClient>;
beforeAll(async () => {
  t = await startTestApp({ clock });
  const staff = await t.addUser({ role: 'operator_staff', bin: '000740001307', lang: 'ru' });
  staffUi = formClient(t.url);
  await staffUi.signIn(staff.login, staff.password);
});
afterAll(async () => {
  await t?.stop();
});

const upload = (code: string, token: string, path: string, body: string) =>
  request(t.url).put(`/api/v1/systems/${code}/files/${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/octet-stream').send(body);

describe('the inventory page and the acceptance form', () => {
  it('shows findings, refuses without a reason, accepts with one, and shows the version, its act and the diff', async () => {
    const s = await formedSystem(t);
    expect((await upload(s.code, s.owner.token, 'source/app.py', 'print(1)\n')).status).toBe(201);
    const bodyUi = formClient(t.url);
    await bodyUi.signIn(s.owner.login, s.owner.password);

    // The body sees its inventory but no acceptance form; posting it anyway is the 404 of a missing system.
    const seen = await bodyUi.agent.get(`/systems/${s.code}/inventory`);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain('source/app.py');
    expect(seen.text).toContain('docs_empty');
    expect(seen.text).not.toContain(`action="/systems/${s.code}/deposits"`);
    const bodyPost = await bodyUi.post(`/systems/${s.code}/deposits`, { ref: 'main' }, `/systems/${s.code}/inventory`);
    expect(bodyPost.status).toBe(404);

    const page = await staffUi.agent.get(`/systems/${s.code}/inventory`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`action="/systems/${s.code}/deposits"`);
    const commit = /name="ref" value="([0-9a-f]{40})"/.exec(page.text)?.[1];
    expect(commit).toBeTruthy();
    const refused = await staffUi.post(`/systems/${s.code}/deposits`, { ref: commit! }, `/systems/${s.code}/inventory`);
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Депозит нельзя принять: ошибок');
    const noReason = await staffUi.post(`/systems/${s.code}/deposits`, { ref: commit!, override: 'on' }, `/systems/${s.code}/inventory`);
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('Укажите основание для приёма несмотря на ошибки.');
    expect(noReason.text).toMatch(/name="override" checked/);
    const done = await staffUi.post(`/systems/${s.code}/deposits`, { ref: commit!, override: 'on', overrideReason: 'Документация передана на бумаге' }, `/systems/${s.code}/inventory`);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`/systems/${s.code}/deposits/v1?done=accepted`);

    const detail = await staffUi.agent.get(done.headers.location);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('Депозит принят как версия 1.');
    expect(detail.text).toContain('Документация передана на бумаге');
    const actSha = (await t.deps.db('deposits').where({ system_id: s.id }).first()).act_sha256 as string;
    expect(detail.text).toContain(actSha);

    // A second version, then the history page with the diff between them.
    clock.advance(3_600_000);
    expect((await upload(s.code, s.owner.token, 'docs/guide.md', '# Guide\n')).status).toBe(201);
    expect((await upload(s.code, s.owner.token, 'source/app.py', 'print(2)\n')).status).toBe(201);
    const page2 = await staffUi.agent.get(`/systems/${s.code}/inventory`);
    const commit2 = /name="ref" value="([0-9a-f]{40})"/.exec(page2.text)?.[1];
    const v2 = await staffUi.post(`/systems/${s.code}/deposits`, { ref: commit2!, override: 'on', overrideReason: 'BUILD.md будет дополнен' }, `/systems/${s.code}/inventory`);
    expect(v2.status).toBe(303);
    const history = await bodyUi.agent.get(`/systems/${s.code}/deposits`);
    expect(history.status).toBe(200);
    expect(history.text).toContain('Версия 1 → версия 2');
    expect(history.text).toMatch(/class="diff-added">\s*<li><code>docs\/guide.md<\/code>/);
    expect(history.text).toMatch(/class="diff-changed">\s*<li><code>source\/app.py<\/code>/);
    const act = await bodyUi.agent.get(`/systems/${s.code}/deposits/v2/act?lang=kk`);
    expect(act.status).toBe(200);
    expect(act.text).toContain('Депозитті қабылдау-беру актісі');
    expect(act.text).toContain('docs/guide.md');
    const overview = await bodyUi.agent.get('/deposits');
    expect(overview.text).toContain(`/systems/${s.code}/deposits/v2`);
  });
});
