import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { makeBin, startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { listAudit } from '../../server/audit/service.js';
import { OPERATOR_ORG } from '../../server/accounts/service.js';

let t: TestApp;
let admin: ReturnType<typeof formClient>;
beforeAll(async () => {
  t = await startTestApp();
  admin = formClient(t.url);
  await admin.signIn('admin', TEST_ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.stop();
});

/** The error shown right under a form field (`admin/field.eta`), or null. */
function fieldError(html: string, field: string): string | null {
  const m = new RegExp(`id="f-${field}-err">([^<]*)</p>`).exec(html);
  return m ? m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'") : null;
}
const countOrgs = async () => Number((await t.deps.db('organizations').count({ n: '*' }).first())!.n);
const countUsers = async () => Number((await t.deps.db('users').count({ n: '*' }).first())!.n);

/** A second operator admin of the operator organisation, signed in with a chosen language. */
async function adminIn(lang: 'kk' | 'ru' | 'en') {
  const a = await t.addUser({ role: 'operator_admin', bin: OPERATOR_ORG.bin, lang });
  const c = formClient(t.url);
  await c.signIn(a.login, a.password);
  return { ...a, c };
}

const goodOrg = (seed: number) => ({ kind: 'government_body', bin: makeBin(seed), nameKk: 'Цифрлық даму министрлігі', nameRu: 'Министерство цифрового развития', nameEn: '', shortName: 'МЦРИАП', address: '', email: 'info@mdai.gov.kz', phone: '+7 7172 55 00 00' });

describe('organisations page', () => {
  let englishAdmin: Awaited<ReturnType<typeof adminIn>> | undefined;
  it('shows an invalid BIN next to the field in the chosen language, keeps the values, creates nothing', async () => {
    const a = await adminIn('kk');
    const before = await countOrgs();
    const res = await a.c.post('/admin/organizations', { ...goodOrg(1), bin: '123456789012', nameRu: 'Министерство <тест>' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<html lang="kk">');
    expect(fieldError(res.text, 'bin')).toBe('БСН 12 цифрдан тұрады және бақылау разряды дұрыс болуы керек.');
    expect(res.text).toContain('value="123456789012"');
    expect(res.text).toContain('value="Министерство &lt;тест&gt;"');
    expect(res.text).toContain('Форма сақталмады');
    expect(await countOrgs()).toBe(before);
    expect(await listAudit(t.deps, { action: 'organization.created', limit: 1000 })).toHaveLength(before);
  });

  it.each([
    ['an empty Kazakh name', { nameKk: '' }, 'nameKk', 'Required.'],
    ['a BIN with letters', { bin: '12345678901a' }, 'bin', 'A BIN is 12 digits with a valid check digit.'],
    ['a short BIN', { bin: '123' }, 'bin', 'A BIN is 12 digits with a valid check digit.'],
    ['a broken e-mail', { email: 'not-an-address' }, 'email', 'Not a valid e-mail address.'],
    ['a phone with letters', { phone: 'call me' }, 'phone', 'Not a valid phone number.'],
    ['a forged kind', { kind: 'superorg' }, 'kind', 'Allowed values: operator, government_body, developer, authorized_body, archive.'],
    ['an overlong name', { nameRu: 'я'.repeat(501) }, 'nameRu', 'At most 500 characters.'],
  ])('refuses %s naming the field', async (_what, patch, field, message) => {
    const a = (englishAdmin ??= await adminIn('en'));
    const before = await countOrgs();
    const res = await a.c.post('/admin/organizations', { ...goodOrg(2), ...patch });
    expect(res.status).toBe(400);
    expect(fieldError(res.text, field)).toBe(message);
    expect(await countOrgs()).toBe(before);
  });

  it('registers an organisation, lists it under its kind, and refuses the same BIN again at the BIN field', async () => {
    const a = await adminIn('ru');
    const org = goodOrg(3);
    const res = await a.c.post('/admin/organizations', org);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/organizations?done=org_created&kind=government_body');
    const list = await a.c.agent.get(res.headers.location);
    expect(list.text).toContain('Организация зарегистрирована.');
    expect(list.text).toContain(org.bin);
    expect(list.text).toContain('Министерство цифрового развития');
    const developers = await a.c.agent.get('/admin/organizations?kind=developer');
    expect(developers.text).not.toContain(org.bin);
    const created = await listAudit(t.deps, { action: 'organization.created' });
    expect(created[0].details).toMatchObject({ bin: org.bin });
    expect(created[0].actorLogin).toBe(a.login);

    const again = await a.c.post('/admin/organizations', org);
    expect(again.status).toBe(409);
    expect(fieldError(again.text, 'bin')).toBe(`Организация с БИН ${org.bin} уже зарегистрирована.`);
  });
});

describe('users page', () => {
  let someBody: Awaited<ReturnType<TestApp['addUser']>> | undefined;
  const newUser = (bin: string, login: string) => ({ organization: bin, login, fullName: 'Айгерим Сейтқали', role: 'body_user', email: '', lang: 'kk', password: 'Strong-Pass-2026-x' });

  it('adds a user who can then sign in, in the language chosen for them', async () => {
    const body = await t.addUser({ role: 'body_user' });
    const res = await admin.post('/admin/users', newUser(body.bin, 'aigerim.s'));
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/admin\/users\/\d+\?done=user_created$/);
    const page = await admin.agent.get(res.headers.location);
    expect(page.text).toContain('aigerim.s');
    expect(page.text).toContain('Айгерим Сейтқали');
    const list = await admin.agent.get('/admin/users?org=' + body.bin);
    expect(list.text).toContain('aigerim.s');
    expect(list.text).toContain(body.login);
    expect(list.text).not.toContain('>admin<');
    const user = formClient(t.url);
    await user.signIn('aigerim.s', 'Strong-Pass-2026-x');
    expect((await user.agent.get('/')).text).toContain('<html lang="kk">');
  });

  it.each([
    ['a login with spaces', { login: 'a b' }, 'login', 'Логин: 2–64 символа — латинские буквы, цифры, «.», «_», «-».'],
    ['a role of another kind of organisation', { role: 'archivist' }, 'role', 'Эта роль не подходит для организации вида «government_body».'],
    ['an unknown organisation', { organization: makeBin(999_001) }, 'organization', 'Организация с таким БИН не зарегистрирована.'],
    ['a weak password', { password: 'short' }, 'password', 'Пароль должен быть не короче 12 символов.'],
    ['an empty name', { fullName: '  ' }, 'fullName', 'Обязательное поле.'],
    ['a forged role', { role: 'root' }, 'role', 'Допустимые значения: operator_admin, operator_staff, body_user, developer_user, authority_viewer, archivist.'],
    ['a forged language', { lang: 'de' }, 'lang', 'Допустимые значения: kk, ru, en.'],
  ])('refuses %s next to the field and keeps the other values', async (_what, patch, field, message) => {
    const body = (someBody ??= await t.addUser({ role: 'body_user' }));
    const before = await countUsers();
    const res = await admin.post('/admin/users', { ...newUser(body.bin, 'will-not-exist'), ...patch });
    expect(res.status).toBe(400);
    expect(fieldError(res.text, field)).toBe(message);
    if (field !== 'fullName') expect(res.text).toContain('value="Айгерим Сейтқали"');
    expect(res.text).not.toContain('Strong-Pass-2026-x'); // a password is never sent back
    expect(await countUsers()).toBe(before);
  });

  it('refuses a taken login at the login field', async () => {
    const body = await t.addUser({ role: 'body_user' });
    const res = await admin.post('/admin/users', newUser(body.bin, body.login));
    expect(res.status).toBe(409);
    expect(fieldError(res.text, 'login')).toBe(`Логин «${body.login}» уже занят.`);
  });

  it('gives a body user the 403 error page on every admin page and changes nothing', async () => {
    const body = await t.addUser({ role: 'body_user', lang: 'en' });
    const c = formClient(t.url);
    await c.signIn(body.login, body.password);
    for (const path of ['/admin/users', '/admin/organizations', `/admin/users/${body.userId}`]) {
      const res = await c.agent.get(path);
      expect(res.status, path).toBe(403);
      expect(res.text).toContain('Your role does not allow this action.');
    }
    const csrf = (await c.agent.get('/tokens')).text.match(/name="_csrf" value="([^"]+)"/)![1];
    const before = await countOrgs();
    const post = await c.agent.post('/admin/organizations').type('form').send({ ...goodOrg(4), _csrf: csrf });
    expect(post.status).toBe(403);
    expect(await countOrgs()).toBe(before);
    expect((await c.agent.post(`/admin/users/${body.userId}/disable`).type('form').send({ _csrf: csrf })).status).toBe(403);
    // Signed-out visitors are sent to the login form instead.
    const anon = await request(t.url).get('/admin/users');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/login?next=%2Fadmin%2Fusers');
  });

  it('disables and enables a user, who cannot sign in while disabled; an admin cannot disable themself', async () => {
    const body = await t.addUser({ role: 'body_user' });
    const off = await admin.post(`/admin/users/${body.userId}/disable`, {}, `/admin/users/${body.userId}`);
    expect(off.status).toBe(303);
    expect((await formClient(t.url).post('/login', { login: body.login, password: body.password })).status).toBe(401);
    expect((await request(t.url).get('/api/v1/me').set('Authorization', `Bearer ${body.token}`)).status).toBe(401);
    await admin.post(`/admin/users/${body.userId}/enable`, {}, `/admin/users/${body.userId}`);
    expect((await formClient(t.url).post('/login', { login: body.login, password: body.password })).status).toBe(303);
    const actions = (await listAudit(t.deps, { subjectType: 'user', subjectId: String(body.userId) })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.disabled', 'user.enabled']));

    const adminId = (await t.deps.db('users').where({ login: 'admin' }).first()).id;
    const self = await admin.post(`/admin/users/${adminId}/disable`, {}, `/admin/users/${adminId}`);
    expect(self.status).toBe(409);
    expect((await admin.agent.get('/')).status).toBe(200);
  });

  it('sets a password after checking the repetition', async () => {
    const body = await t.addUser({ role: 'body_user' });
    const page = `/admin/users/${body.userId}`;
    const mismatch = await admin.post(`${page}/password`, { password: 'New-Secret-Pass-1', confirm: 'New-Secret-Pass-2' }, page);
    expect(mismatch.status).toBe(400);
    expect(fieldError(mismatch.text, 'confirm')).toBe('Пароли не совпадают.');
    const weak = await admin.post(`${page}/password`, { password: 'aaaaaaaaaaaa', confirm: 'aaaaaaaaaaaa' }, page);
    expect(weak.status).toBe(400);
    expect(fieldError(weak.text, 'password')).toBeTruthy();
    const ok = await admin.post(`${page}/password`, { password: 'New-Secret-Pass-1', confirm: 'New-Secret-Pass-1' }, page);
    expect(ok.status).toBe(303);
    expect((await formClient(t.url).post('/login', { login: body.login, password: body.password })).status).toBe(401);
    expect((await formClient(t.url).post('/login', { login: body.login, password: 'New-Secret-Pass-1' })).status).toBe(303);
  });

  it("creates a user's token shown once to the admin, and revokes it", async () => {
    const body = await t.addUser({ role: 'developer_user' });
    const page = `/admin/users/${body.userId}`;
    const res = await admin.post(`${page}/tokens`, { name: 'ci-push', scopes: ['git:read', 'git:write', 'api'], expiresInDays: '7' }, page);
    expect(res.status).toBe(201);
    const token = /id="new-token">([^<]+)</.exec(res.text)![1];
    expect((await admin.agent.get(page)).text).not.toContain(token);
    const me = await request(t.url).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect(me.body.user.login).toBe(body.login);
    const row = await t.deps.db('tokens').where({ user_id: body.userId, name: 'ci-push' }).first();
    expect((await admin.post(`${page}/tokens/${row.id}/revoke`, {}, page)).status).toBe(303);
    expect((await request(t.url).get('/api/v1/me').set('Authorization', `Bearer ${token}`)).body.error.code).toBe('token_revoked');
    // A token is revoked through its own user's page only; ids in the URL that do not fit are 404.
    const other = await t.addUser({ role: 'body_user' });
    const otherRow = await t.deps.db('tokens').where({ user_id: other.userId }).first();
    expect((await admin.post(`${page}/tokens/${otherRow.id}/revoke`, {}, page)).status).toBe(404);
    expect((await admin.agent.get('/admin/users/abc')).status).toBe(404);
    expect((await admin.agent.get('/admin/users/99999999')).status).toBe(404);
  });
});
