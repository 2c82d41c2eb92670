import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';

const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.stop();
});

const newTokenOf = (html: string) => /id="new-token">([^<]+)</.exec(html)?.[1];
const fieldError = (html: string, id: string) => new RegExp(`id="${id}-err">([^<]*)</p>`).exec(html)?.[1] ?? null;
const me = (token: string) => request(t.url).get('/api/v1/me').set('Authorization', `Bearer ${token}`);

async function signedIn(lang: 'kk' | 'ru' | 'en' = 'en') {
  const u = await t.addUser({ role: 'body_user', lang });
  const c = formClient(t.url);
  await c.signIn(u.login, u.password);
  return { ...u, c };
}

describe('own access tokens page', () => {
  let formUser: Awaited<ReturnType<typeof signedIn>> | undefined;
  it('shows a new token once; it works as a Bearer token until it is revoked in the UI', async () => {
    const u = await signedIn();
    const res = await u.c.post('/tokens', { name: 'deploy script', scopes: ['api', 'git:read'], expiresInDays: '30' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const token = newTokenOf(res.text)!;
    expect(token).toMatch(/^qoima_/);
    expect(res.text).toContain('it is shown only once');
    expect(res.text.split(token)).toHaveLength(2); // exactly once on the page

    const ok = await me(token);
    expect(ok.status).toBe(200);
    expect(ok.body.user.login).toBe(u.login);
    expect(ok.body.scopes).toEqual(['api', 'git:read']);

    const list = await u.c.agent.get('/tokens');
    expect(list.text).not.toContain(token);
    expect(list.text).toContain('deploy script');
    expect(list.text).toContain(token.slice(0, 10));
    expect(list.text).toContain('2026-04-18 10:00'); // expiry in Almaty time: 30 days on

    const row = await t.deps.db('tokens').where({ user_id: u.userId, name: 'deploy script' }).first();
    const revoke = await u.c.post(`/tokens/${row.id}/revoke`, {}, '/tokens');
    expect(revoke.status).toBe(303);
    expect(revoke.headers.location).toBe('/tokens?done=token_revoked');
    const after = await me(token);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('token_revoked');
    const page = await u.c.agent.get(revoke.headers.location);
    expect(page.text).toContain('The token is revoked.');
    expect(page.text).toContain('badge-revoked');
    // Revoking again is refused; the page does not offer it any more.
    expect((await u.c.post(`/tokens/${row.id}/revoke`, {}, '/tokens')).status).toBe(409);
  });

  it.each([
    ['no scope', { scopes: [] }, 'tk-scopes', 'Choose at least one scope.'],
    ['a forged scope', { scopes: ['admin'] }, 'tk-scopes', 'Choose at least one scope.'],
    ['days that are not a number', { expiresInDays: 'forever' }, 'tk-days', 'A whole number of days from 1 to 3650.'],
    ['zero days', { expiresInDays: '0' }, 'tk-days', 'A whole number of days from 1 to 3650.'],
    ['ten years and a day', { expiresInDays: '3651' }, 'tk-days', 'A whole number of days from 1 to 3650.'],
    ['an empty name', { name: '' }, 'tk-name', 'Required.'],
  ])('refuses %s next to the field and creates nothing', async (_what, patch, id, message) => {
    const u = (formUser ??= await signedIn());
    const res = await u.c.post('/tokens', { name: 'x', scopes: ['api'], expiresInDays: '30', ...patch });
    expect(res.status).toBe(400);
    expect(fieldError(res.text, id)).toBe(message);
    expect(newTokenOf(res.text)).toBeUndefined();
    // The initial token of addUser is the only one.
    expect(await t.deps.db('tokens').where({ user_id: u.userId })).toHaveLength(1);
  });

  it("does not let a user revoke another user's token, nor post without the CSRF token", async () => {
    const u = await signedIn('ru');
    const other = await t.addUser({ role: 'body_user' });
    const theirs = await t.deps.db('tokens').where({ user_id: other.userId }).first();
    const res = await u.c.post(`/tokens/${theirs.id}/revoke`, {}, '/tokens');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Токен не найден.');
    expect((await me(other.token)).status).toBe(200);
    const noCsrf = await u.c.agent.post('/tokens').type('form').send('name=x&scopes=api&expiresInDays=5');
    expect(noCsrf.status).toBe(403);
    expect(await t.deps.db('tokens').where({ user_id: u.userId })).toHaveLength(1);
  });

  it('refuses a token past its expiry with 401 token_expired, and lists it as expired', async () => {
    const u = await signedIn();
    const res = await u.c.post('/tokens', { name: 'short', scopes: ['api'], expiresInDays: '1' });
    const token = newTokenOf(res.text)!;
    expect((await me(token)).status).toBe(200);
    clock.advance(86_400_000 - 1000);
    expect((await me(token)).status).toBe(200);
    clock.advance(2000);
    try {
      const expired = await me(token);
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('token_expired');
      // A day on, the 12-hour session has ended too: sign in again to see the list.
      expect((await u.c.agent.get('/tokens')).status).toBe(303);
      await u.c.signIn(u.login, u.password);
      const list = await u.c.agent.get('/tokens');
      expect(list.text).toMatch(/<tr class="state-expired">\s*<td>short<\/td>/);
    } finally {
      clock.set('2026-03-19T10:00:00+05:00');
    }
  });
});
