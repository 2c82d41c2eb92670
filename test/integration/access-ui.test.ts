import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import type { TestUser } from '../helpers/git.js';
import { acceptedSystem } from './access-fixtures.js';

// The pages of access (Rules p.10), as a browser posts them: the operator's grant screen on the
// system page, a body's catalogue and request form, requests decided from the operator's dashboard.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let staff: TestUser;
let body: TestUser;
let sys: { id: number; code: string; owner: TestUser };

beforeAll(async () => {
  t = await startTestApp({ clock });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307', lang: 'ru' });
  body = await t.addUser({ role: 'body_user', lang: 'en' });
  sys = await acceptedSystem(t, staff.token, 'IS-UI', { annotation: 'Regional registry of permits', programmingLanguage: 'C#', version: '1.0', releaseYear: 2023 });
});
afterAll(async () => {
  await t?.stop();
});

describe("the operator's grant screen", () => {
  it('is linked from the system page; a refused form keeps its values and says what is wrong; a grant and a revocation redirect', async () => {
    const op = formClient(t.url);
    await op.signIn(staff.login, staff.password);
    expect((await op.agent.get(`/systems/${sys.code}`)).text).toContain(`href="/systems/${sys.code}/access" id="access-link"`);
    const page = await op.agent.get(`/systems/${sys.code}/access`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Доступ к этой системе никому не предоставлялся.');
    expect(page.text).toContain(`<option value="${body.bin}">`);
    expect(page.text).not.toContain(`<option value="${sys.owner.bin}">`);

    const bad = await op.post(`/systems/${sys.code}/access`, { organization: body.bin, purpose: 'reuse', basis: 'письмо № 9', expiresAt: '2026-03-01', version: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Срок действия должен быть в будущем.');
    expect(bad.text).toContain('value="письмо № 9"');

    const ok = await op.post(`/systems/${sys.code}/access`, { organization: body.bin, purpose: 'recovery', basis: 'письмо № 9', expiresAt: '2026-06-30', version: '' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/systems/${sys.code}/access?done=granted`);
    const listed = await op.agent.get(ok.headers.location);
    expect(listed.text).toContain('Доступ предоставлен; уполномоченный орган уведомлён.');
    expect(listed.text).toMatch(/badge badge-active">действует</);
    expect((await op.post(`/systems/${sys.code}/access`, { organization: body.bin, purpose: 'reuse', basis: 'x', expiresAt: '', version: '' })).status).toBe(409);

    const id = (await t.deps.db('access_grants').where({ system_id: sys.id }).first()).id;
    const revoked = await op.post(`/systems/${sys.code}/access/${id}/revoke`, { reason: 'копия восстановлена' }, `/systems/${sys.code}/access`);
    expect(revoked.status).toBe(303);
    const after = await op.agent.get(revoked.headers.location);
    expect(after.text).toMatch(/badge badge-revoked">отозван</);
    expect(after.text).toContain('копия восстановлена');
  });

  it('is not there for a body user (403 for the screen, no link on the system page)', async () => {
    const b = formClient(t.url);
    await b.signIn(body.login, body.password);
    expect((await b.agent.get(`/systems/${sys.code}/access`)).status).toBe(403);
    expect((await b.agent.get(`/systems/${sys.code}`)).text).not.toContain('id="access-link"');
  });
});

describe('a body asks for access from the catalogue; the operator decides from the dashboard', () => {
  it('catalogue → request form → pending on the dashboard → refused without reason (400) → granted', async () => {
    const b = formClient(t.url);
    await b.signIn(body.login, body.password);
    const catalogue = await b.agent.get('/catalogue?q=permits');
    expect(catalogue.status).toBe(200);
    expect(catalogue.text).toContain('Regional registry of permits');
    expect(catalogue.text).toContain(`href="/access-requests/new?system=${sys.code}"`);
    expect((await b.agent.get('/catalogue?q=nothing-like-it')).text).toContain('No systems found.');

    const form = await b.agent.get(`/access-requests/new?system=${sys.code}`);
    expect(form.text).toContain(`<option value="${sys.code}" selected>`);
    const empty = await b.post('/access-requests/new', { system: sys.code, purpose: 'reuse', basis: '' });
    expect(empty.status).toBe(400);
    const sent = await b.post('/access-requests/new', { system: sys.code, purpose: 'reuse', basis: 'letter No. 5 of 19.03.2026' });
    expect(sent.status).toBe(303);
    expect((await b.agent.get(sent.headers.location)).text).toContain('The request has been sent to the operator.');
    const again = await b.post('/access-requests/new', { system: sys.code, purpose: 'reuse', basis: 'again' }, `/access-requests/new?system=${sys.code}`);
    expect(again.status).toBe(409);
    expect(again.text).toContain('A request for access to system IS-UI is already pending.');

    const op = formClient(t.url);
    await op.signIn(staff.login, staff.password);
    const home = await op.agent.get('/');
    expect(home.text).toContain('Запросы доступа на рассмотрении: 1');
    expect(home.text).toMatch(/id="nav-notifications">Уведомления <span class="badge"/);
    const id = (await t.deps.db('access_requests').first()).id;
    const noReason = await op.post(`/access-requests/${id}/refuse`, { reason: '' }, '/access-requests');
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('id="request-' + id + '"');
    const granted = await op.post(`/access-requests/${id}/grant`, { expiresAt: '', version: '' }, '/access-requests');
    expect(granted.status).toBe(303);
    expect((await op.agent.get('/')).text).toContain('Новых запросов доступа нет.');

    const bodyHome = await b.agent.get('/');
    expect(bodyHome.text).toContain(`href="/systems/${sys.code}/repository"`);
    expect((await b.agent.get(`/systems/${sys.code}/repository`)).status).toBe(200);
    const notes = await b.agent.get('/notifications');
    expect(notes.text).toContain('Access to system IS-UI granted');
    const note = await t.deps.db('notifications').where({ user_id: body.userId, kind: 'grant_given' }).orderBy('id', 'desc').first();
    const open = await b.post(`/notifications/${note.id}/read`, { open: '1' }, '/notifications');
    expect(open.status).toBe(303);
    expect(open.headers.location).toBe(`/systems/${sys.code}`); // the notice's own link, now read
    expect((await t.deps.db('notifications').where({ id: note.id }).first()).read_at).not.toBeNull();
  });
});
