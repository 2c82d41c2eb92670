import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBin, startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { createSystem, formedSystem, type TestUser } from '../helpers/git.js';
import { acceptedSystem } from './access-fixtures.js';

// Rules p.10 over the API: grants and their bad inputs, requests, the catalogue, in-app notices.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let staff: TestUser;
let grantee: TestUser;
let authority: TestUser;
let sys: { id: number; code: string; owner: TestUser };

const api = () => request(t.url);
const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
const notices = async (u: TestUser, lang = 'ru') => (await api().get('/api/v1/notifications').set(as(u)).set('Accept-Language', lang)).body as { items: { id: number; kind: string; title: string; text: string; link: string | null; readAt: string | null }[]; unread: number };

beforeAll(async () => {
  t = await startTestApp({ clock });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
  authority = await t.addUser({ role: 'authority_viewer' });
  grantee = await t.addUser({ role: 'body_user' });
  sys = await acceptedSystem(t, staff.token, 'IS-REUSE', { annotation: 'Электронные закупки для повторного использования', programmingLanguage: 'Java 21', version: '4.2', releaseYear: 2024 });
});
afterAll(async () => {
  await t?.stop();
});

describe('grants: bad input', () => {
  const grant = (body: Record<string, unknown>, code = sys.code, who: { token: string } = staff) => api().post(`/api/v1/systems/${code}/grants`).set(as(who)).send(body);
  const ok = () => ({ organization: grantee.bin, purpose: 'reuse', basis: 'письмо № 1 от 18.03.2026' });

  it('refuses an organisation that is not a government body (400)', async () => {
    const dev = await t.addUser({ role: 'developer_user' });
    const r = await grant({ ...ok(), organization: dev.bin });
    expect(r.status).toBe(400);
    expect(r.body.error.fields.organization).toBe('Доступ предоставляется только государственному органу.');
    expect((await grant({ ...ok(), organization: authority.bin })).status).toBe(400);
    expect((await grant({ ...ok(), organization: makeBin(99_999_001) })).body.error.fields.organization).toBe('Организация с таким БИН не зарегистрирована.');
    expect((await grant({ ...ok(), organization: '123' })).status).toBe(400);
  });

  it('refuses the owner itself (400), an expiry in the past (400), a missing basis or an unknown purpose (400)', async () => {
    const owner = await grant({ ...ok(), organization: sys.owner.bin });
    expect(owner.status).toBe(400);
    expect(owner.body.error.fields.organization).toMatch(/владелец/);
    const past = await grant({ ...ok(), expiresAt: '2026-03-18' });
    expect(past.status).toBe(400);
    expect(past.body.error.fields).toEqual({ expiresAt: 'Срок действия должен быть в будущем.' });
    expect((await grant({ ...ok(), expiresAt: '2026-03-19T09:59:00+05:00' })).status).toBe(400);
    expect((await grant({ ...ok(), expiresAt: 'завтра' })).status).toBe(400);
    expect((await grant({ ...ok(), basis: ' ' })).body.error.fields).toHaveProperty('basis');
    expect((await grant({ ...ok(), purpose: 'resale' })).body.error.fields).toHaveProperty('purpose');
  });

  it('refuses callers who are not operator staff, unknown systems (404) and systems without a repository (409)', async () => {
    expect((await grant(ok(), sys.code, sys.owner)).status).toBe(403);
    expect((await grant(ok(), 'NO-SUCH')).status).toBe(404);
    const bare = await createSystem(t);
    const r = await grant(ok(), bare.code);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('system_without_repository');
  });

  it('refuses a second active grant to the same body (409); revoking twice is 409, an unknown or foreign grant 404', async () => {
    const first = await grant({ ...ok(), expiresAt: '2026-12-31' });
    expect(first.status).toBe(201);
    const dup = await grant({ ...ok(), purpose: 'recovery' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'grant_exists', message: `У органа с БИН ${grantee.bin} уже есть действующий доступ к системе IS-REUSE.` });

    const other = await formedSystem(t);
    expect((await api().delete(`/api/v1/systems/${other.code}/grants/${first.body.id}`).set(as(staff))).status).toBe(404);
    expect((await api().delete(`/api/v1/systems/${sys.code}/grants/999999`).set(as(staff))).status).toBe(404);
    expect((await api().delete(`/api/v1/systems/${sys.code}/grants/abc`).set(as(staff))).status).toBe(404);
    expect((await api().delete(`/api/v1/systems/${sys.code}/grants/${first.body.id}`).set(as(sys.owner))).status).toBe(403);
    expect((await api().delete(`/api/v1/systems/${sys.code}/grants/${first.body.id}`).set(as(staff))).status).toBe(200);
    const twice = await api().delete(`/api/v1/systems/${sys.code}/grants/${first.body.id}`).set(as(staff));
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('grant_already_revoked');
    const audit = await t.deps.db('audit_events').whereIn('action', ['access.granted', 'access.revoked']).orderBy('id');
    expect(audit.map((e) => e.action)).toEqual(['access.granted', 'access.revoked']);
    expect(JSON.parse(audit[0].details)).toMatchObject({ organization: grantee.bin, purpose: 'reuse', basis: 'письмо № 1 от 18.03.2026', expiresAt: '2026-12-31T19:00:00.000Z' });
  });
});

describe('the authorized body and the grantee are told of every grant (Rules p.10)', () => {
  it('in-app, in the language asked for; the grantee also of the revocation', async () => {
    const kk = await notices(authority, 'kk');
    const notice = kk.items.find((n) => n.kind === 'grant_notice')!;
    expect(notice.title).toBe('IS-REUSE жүйесіне қолжетімділік берілді (Қағидалар, 10-т.)');
    expect(notice.text).toContain(`(БСН ${grantee.bin})`);
    expect(notice.text).toContain('мақсаты — қайта пайдалану');
    const mine = await notices(grantee);
    expect(mine.items.map((n) => n.kind)).toEqual(['grant_revoked', 'grant_given']);
    expect(mine.items[1].text).toContain('цель — повторное использование; по 31.12.2026 включительно; весь репозиторий');
    // the owner learns nothing through the grantee's notices, and no one else is notified
    expect((await notices(sys.owner)).items.some((n) => n.kind.startsWith('grant'))).toBe(false);
  });

  it('marks read one by one or all; another user\'s notification is 404', async () => {
    const before = await notices(grantee);
    expect(before.unread).toBe(2);
    expect((await api().post(`/api/v1/notifications/${before.items[0].id}/read`).set(as(grantee))).status).toBe(204);
    expect((await notices(grantee)).unread).toBe(1);
    expect((await api().post(`/api/v1/notifications/${before.items[1].id}/read`).set(as(authority))).status).toBe(404);
    expect((await api().post('/api/v1/notifications/read-all').set(as(grantee))).body).toEqual({ marked: 1 });
    const unread = await api().get('/api/v1/notifications?unread=true').set(as(grantee));
    expect(unread.body).toEqual({ items: [], unread: 0 });
  });
});

describe('the catalogue of accepted systems', () => {
  it('shows what the application says — never contents — with the caller\'s access', async () => {
    await formedSystem(t); // not accepted: not in the catalogue
    const r = await api().get('/api/v1/catalogue').set(as(grantee));
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      {
        code: 'IS-REUSE',
        nameKk: 'Информационная система «Электронные закупки»',
        nameRu: 'Информационная система «Электронные закупки»',
        owner: { bin: sys.owner.bin, nameKk: expect.any(String), nameRu: expect.any(String) },
        annotation: 'Электронные закупки для повторного использования',
        programmingLanguage: 'Java 21',
        version: '4.2',
        releaseYear: 2024,
        access: 'none',
      },
    ]);
    expect((await api().get('/api/v1/catalogue?q=java').set(as(grantee))).body.items).toHaveLength(1);
    expect((await api().get('/api/v1/catalogue?q=cobol').set(as(grantee))).body.items).toHaveLength(0);
    expect((await api().get('/api/v1/catalogue').set(as(sys.owner))).body.items[0].access).toBe('owner');
    expect((await api().get('/api/v1/catalogue').set(as(authority))).status).toBe(403);
    // and no contents without a grant
    expect((await api().get(`/api/v1/systems/${sys.code}/repository`).set(as(grantee))).status).toBe(404);
  });
});

describe('access requests', () => {
  let requester: TestUser;
  const ask = (u: TestUser, body: Record<string, unknown>) => api().post('/api/v1/access-requests').set(as(u)).send(body);

  it('a body may not ask for its own system (400), nor for one outside the catalogue (404); others may not ask', async () => {
    requester = await t.addUser({ role: 'body_user' });
    const own = await ask(sys.owner, { system: sys.code, purpose: 'recovery', basis: 'утрата копии' });
    expect(own.status).toBe(400);
    expect(own.body.error.fields.system).toBe('Это система вашего органа: запрашивать доступ не нужно.');
    const formed = await formedSystem(t);
    expect((await ask(requester, { system: formed.code, purpose: 'reuse', basis: 'x' })).status).toBe(404);
    expect((await ask(requester, { system: 'NO-SUCH', purpose: 'reuse', basis: 'x' })).status).toBe(404);
    expect((await ask(requester, { system: sys.code, purpose: 'reuse' })).status).toBe(400);
    expect((await ask(authority as TestUser, { system: sys.code, purpose: 'reuse', basis: 'x' })).status).toBe(403);
  });

  it('a request reaches operator staff; the operator refuses it with a reason, and the body is told', async () => {
    const r = await ask(requester, { system: sys.code, purpose: 'reuse', basis: 'письмо № 7 от 19.03.2026' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'pending', purpose: 'reuse', system: { code: sys.code }, organization: { bin: requester.bin } });
    expect((await ask(requester, { system: sys.code, purpose: 'recovery', basis: 'ещё раз' })).body.error.code).toBe('request_exists');
    const staffNotices = await notices(staff);
    expect(staffNotices.items[0]).toMatchObject({ kind: 'access_requested', link: '/access-requests' });
    expect(staffNotices.items[0].text).toContain('письмо № 7 от 19.03.2026');

    expect((await api().get('/api/v1/access-requests?status=pending').set(as(staff))).body.items.map((x: { id: number }) => x.id)).toEqual([r.body.id]);
    expect((await api().get('/api/v1/access-requests').set(as(grantee))).body.items).toEqual([]);
    expect((await api().post(`/api/v1/access-requests/${r.body.id}/refuse`).set(as(staff)).send({})).status).toBe(400);
    expect((await api().post(`/api/v1/access-requests/${r.body.id}/refuse`).set(as(requester)).send({ reason: 'x' })).status).toBe(403);
    const refused = await api().post(`/api/v1/access-requests/${r.body.id}/refuse`).set(as(staff)).send({ reason: 'нет основания' });
    expect(refused.body).toMatchObject({ status: 'refused', refuseReason: 'нет основания' });
    expect((await api().post(`/api/v1/access-requests/${r.body.id}/refuse`).set(as(staff)).send({ reason: 'y' })).body.error.code).toBe('request_decided');
    expect((await notices(requester)).items[0]).toMatchObject({ kind: 'access_request_refused', text: expect.stringContaining('Причина: нет основания') });
  });

  it('granting a request gives the grant its purpose and basis; the authorized body is told; asking again is 409', async () => {
    const r = await ask(requester, { system: sys.code, purpose: 'recovery', basis: 'письмо № 8' });
    const before = (await notices(authority)).items.length;
    expect((await api().post(`/api/v1/access-requests/${r.body.id}/grant`).set(as(staff)).send({ expiresAt: '2026-03-01' })).status).toBe(400);
    const g = await api().post(`/api/v1/access-requests/${r.body.id}/grant`).set(as(staff)).send({ expiresAt: '2026-06-30' });
    expect(g.status).toBe(200);
    expect(g.body.request).toMatchObject({ status: 'granted', grantId: g.body.grant.id });
    expect(g.body.grant).toMatchObject({ purpose: 'recovery', basis: 'письмо № 8', requestId: r.body.id, state: 'active', organization: { bin: requester.bin } });
    expect((await notices(authority)).items.length).toBe(before + 1);
    expect((await api().get('/api/v1/access-grants').set(as(requester))).body.items.map((x: { system: { code: string } }) => x.system.code)).toEqual([sys.code]);
    expect((await api().get('/api/v1/catalogue').set(as(requester))).body.items[0].access).toBe('granted');
    expect((await ask(requester, { system: sys.code, purpose: 'reuse', basis: 'x' })).body.error.code).toBe('grant_exists');
    expect((await api().post(`/api/v1/access-requests/${r.body.id}/grant`).set(as(staff)).send({})).status).toBe(409);
    const audit = await t.deps.db('audit_events').where({ action: 'access.granted' }).orderBy('id', 'desc').first();
    expect(JSON.parse(audit.details)).toMatchObject({ requestId: r.body.id, organization: requester.bin });
  });
});

describe('intake notices', () => {
  it('operator staff hear of a new application; the body of its registration and of its repository, with the clone URL', async () => {
    const staffKinds = (await notices(staff)).items.map((n) => n.kind);
    expect(staffKinds).toContain('application_submitted');
    const own = await notices(sys.owner, 'en');
    expect(own.items.map((n) => n.kind)).toEqual(['repository_formed', 'application_registered']);
    expect(own.items[0].text).toContain(`Clone URL: ${t.url}/git/IS-REUSE.git`);
    expect(own.items[1].title).toMatch(/^Application Q2026-\d{5} registered$/);
  });
});
