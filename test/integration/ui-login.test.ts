import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { csrfOf, formBody, formClient, setCookie } from '../helpers/browser.js';
import { listAudit } from '../../server/audit/service.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../../server/paths.js';
import { messageKeys } from '../../server/http/i18n.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('UI sign-in, sessions and language', () => {
  it('refuses a login form posted without its CSRF token with 403, and one with a forged token too', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const agent = request.agent(t.url);
    await agent.get('/login');
    const none = await agent.post('/login').type('form').send(formBody({ login: u.login, password: u.password }));
    expect(none.status).toBe(403);
    expect(none.text).toContain('Форма устарела или подделана');
    expect(setCookie(none, 'qoima_session')).toBeUndefined();
    const forged = await agent.post('/login').type('form').send(formBody({ login: u.login, password: u.password, _csrf: 'x'.repeat(43) }));
    expect(forged.status).toBe(403);
    // A token taken from another browser's page is bound to that browser's cookie: refused here.
    const other = csrfOf((await request(t.url).get('/login')).text);
    expect((await agent.post('/login').type('form').send(formBody({ login: u.login, password: u.password, _csrf: other }))).status).toBe(403);
  });

  it('refuses the sixth wrong password in a row with 429, even when it is the right one', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const c = formClient(t.url, 'en');
    for (let i = 1; i <= 5; i++) {
      const res = await c.post('/login', { login: u.login, password: `wrong-${i}` });
      expect(res.status, `attempt ${i}`).toBe(401);
      expect(res.text).toContain('Wrong login or password.');
      expect(res.text).toContain(`value="${u.login}"`); // the login name is kept in the form
    }
    const sixth = await c.post('/login', { login: u.login, password: u.password });
    expect(sixth.status).toBe(429);
    expect(sixth.text).toContain('Too many failed logins');
    expect(setCookie(sixth, 'qoima_session')).toBeUndefined();
    const failures = await listAudit(t.deps, { action: 'user.login_failed' });
    expect(failures.filter((e) => e.actorLogin === u.login)).toHaveLength(5);
  });

  it('issues a new HttpOnly, SameSite=Lax session cookie at each login and audits user.login', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const c = formClient(t.url);
    const loginPage = await c.agent.get('/login');
    const pre = setCookie(loginPage, 'qoima_pre');
    expect(pre).toBeTruthy();
    const first = await c.post('/login', { login: u.login, password: u.password, next: '/tokens' });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/tokens');
    const s1 = setCookie(first, 'qoima_session')!;
    const cookieLine = (first.headers['set-cookie'] as unknown as string[]).find((l) => l.startsWith('qoima_session='))!;
    expect(cookieLine).toMatch(/HttpOnly/i);
    expect(cookieLine).toMatch(/SameSite=Lax/i);
    expect(s1).not.toBe(pre);
    expect((await c.agent.get('/')).status).toBe(200);

    await c.post('/logout', {}, '/');
    const second = await c.post('/login', { login: u.login, password: u.password });
    const s2 = setCookie(second, 'qoima_session')!;
    expect(s2).toBeTruthy();
    expect(new Set([pre, s1, s2]).size).toBe(3);
    const logins = await listAudit(t.deps, { action: 'user.login', subjectId: String(u.userId) });
    expect(logins).toHaveLength(2);
    expect(logins[0].actorLogin).toBe(u.login);
  });

  it('ends the session at logout: the old cookie no longer opens any page', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const c = formClient(t.url);
    const sid = setCookie(await c.signIn(u.login, u.password), 'qoima_session')!;
    const out = await c.post('/logout', {}, '/');
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login');
    const replay = await request(t.url).get('/tokens').set('Cookie', `qoima_session=${sid}`);
    expect(replay.status).toBe(303);
    expect(replay.headers.location).toBe('/login?next=%2Ftokens');
    expect(await listAudit(t.deps, { action: 'user.logout', subjectId: String(u.userId) })).toHaveLength(1);
  });

  it('never follows a login redirect to another site', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const c = formClient(t.url);
    const res = await c.post('/login', { login: u.login, password: u.password, next: '//evil.example/x' });
    expect(res.headers.location).toBe('/');
  });

  it('keeps the chosen language on the user and in a cookie, and the page follows it', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const c = formClient(t.url, 'en');
    await c.signIn(u.login, u.password);
    expect((await c.agent.get('/')).text).toContain('<html lang="en">');
    const res = await c.post('/lang', { lang: 'kk', next: '/tokens' }, '/');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/tokens');
    expect(setCookie(res, 'qoima_lang')).toBe('kk');
    expect((await t.deps.db('users').where({ id: u.userId }).first()).lang).toBe('kk');
    const page = await c.agent.get('/');
    expect(page.text).toContain('<html lang="kk">');
    expect(page.text).toContain('Мұнда не істеуге болады');
    // An unknown language changes nothing.
    await c.post('/lang', { lang: 'de' }, '/');
    expect((await t.deps.db('users').where({ id: u.userId }).first()).lang).toBe('kk');
  });

  it('shows each role what it can do on its home page', async () => {
    const body = await t.addUser({ role: 'body_user', lang: 'en' });
    const c = formClient(t.url);
    await c.signIn(body.login, body.password);
    const home = (await c.agent.get('/')).text;
    expect(home).toContain('Welcome, User ' + body.login);
    expect(home).toContain('Government body user');
    expect(home).toContain(body.bin);
    expect(home).toContain('href="/applications"');
    expect(home).not.toContain('href="/admin/users"');

    const admin = formClient(t.url, 'en');
    await admin.signIn('admin', TEST_ADMIN_PASSWORD);
    const adminHome = (await admin.agent.get('/')).text;
    expect(adminHome).toContain('Operator administrator');
    expect(adminHome).toContain('href="/admin/users"');
    expect(adminHome).toContain('href="/register"');
  });
});

describe('the UI shell speaks only through the locale files', () => {
  const views = join(templatesDir, 'views');
  const shell = ['layout.eta', 'home.eta', 'login.eta', 'error.eta', 'api-docs.eta', ...readdirSync(views).filter((f) => f.startsWith('tokens')), ...readdirSync(join(views, 'admin')).map((f) => 'admin/' + f)];

  it.each(shell)('%s has no hard-coded words', (file) => {
    const visible = readFileSync(join(views, file), 'utf8')
      .replace(/<%[\s\S]*?%>/g, ' ') // Eta code and output: messages come through it.t
      .replace(/<[^>]*>/g, ' ') // tags and their attributes
      .replace(/&[a-z]+;/g, ' ')
      .replace(/\b(OpenAPI|3\.1)\b/g, ' ') // a proper name and its version
      .replace(/\/[\w./-]+/g, ' '); // URL paths
    expect(visible.match(/\p{L}{2,}/gu) ?? []).toEqual([]);
  });

  it('has every admin and common message in Kazakh, Russian and English', () => {
    const keys = (lang: 'kk' | 'ru' | 'en') => messageKeys(lang).filter((k) => k.startsWith('admin.') || k.startsWith('common.')).sort();
    expect(keys('kk')).toEqual(keys('ru'));
    expect(keys('en')).toEqual(keys('ru'));
    expect(keys('ru').length).toBeGreaterThan(100);
  });
});
