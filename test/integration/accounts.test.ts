import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, makeBin, type TestApp } from '../helpers/app.js';
import { listAudit } from '../../server/audit/service.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const api = () => request(t.url);

describe('accounts API', () => {
  it('refuses a request without credentials with 401 and the JSON error shape in Russian by default', async () => {
    const res = await api().get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(res.body.error.message).toBe('Требуется аутентификация.');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers in the language of Accept-Language and falls back to ru for an unknown one', async () => {
    const kk = await api().get('/api/v1/me').set('Accept-Language', 'kk-KZ,kk;q=0.9');
    expect(kk.body.error.message).toBe('Кіру қажет.');
    const en = await api().get('/api/v1/me').set('Accept-Language', 'en');
    expect(en.body.error.message).toBe('Authentication is required.');
    const fr = await api().get('/api/v1/me').set('Accept-Language', 'fr-FR');
    expect(fr.body.error.message).toBe('Требуется аутентификация.');
  });

  it('lets the operator admin create an organisation and writes one audit event', async () => {
    const bin = makeBin(555001);
    const res = await api()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .send({ kind: 'government_body', bin, nameKk: 'Цифрлық даму министрлігі', nameRu: 'Министерство цифрового развития' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'government_body', bin });
    const events = await listAudit(t.deps, { action: 'organization.created', subjectId: String(res.body.id) });
    expect(events).toHaveLength(1);
    expect(events[0].actorLogin).toBe('admin');
  });

  it('rejects an invalid BIN naming the field, and changes nothing', async () => {
    const before = (await api().get('/api/v1/organizations').set('Authorization', `Bearer ${t.adminToken}`)).body.items.length;
    const res = await api()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${t.adminToken}`)
      .set('Accept-Language', 'en')
      .send({ kind: 'government_body', bin: '123456789012', nameKk: 'A', nameRu: 'Б' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.fields.bin).toBe('A BIN is 12 digits with a valid check digit.');
    const after = (await api().get('/api/v1/organizations').set('Authorization', `Bearer ${t.adminToken}`)).body.items.length;
    expect(after).toBe(before);
  });

  it('rejects malformed JSON with 400 in the JSON error shape', async () => {
    const res = await api().post('/api/v1/organizations').set('Authorization', `Bearer ${t.adminToken}`).set('Content-Type', 'application/json').send('{"kind":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('rejects an unknown role, a duplicate login and a weak password', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const auth = { Authorization: `Bearer ${t.adminToken}` };
    const role = await api().post('/api/v1/users').set(auth).send({ organization: u.bin, login: 'x-role', fullName: 'X', role: 'superuser' });
    expect(role.status).toBe(400);
    expect(Object.keys(role.body.error.fields)).toEqual(['role']);
    const dup = await api().post('/api/v1/users').set(auth).send({ organization: u.bin, login: u.login, fullName: 'X', role: 'body_user' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('login_taken');
    const weak = await api().post('/api/v1/users').set(auth).send({ organization: u.bin, login: 'weakling', fullName: 'X', role: 'body_user', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.fields.password).toBeTruthy();
    const empty = await api().post('/api/v1/users').set(auth).send({ organization: u.bin, login: 'emptypass', fullName: 'X', role: 'body_user', password: '' });
    expect(empty.status).toBe(400);
    const mismatched = await api().post('/api/v1/users').set(auth).send({ organization: u.bin, login: 'wrongkind', fullName: 'X', role: 'archivist' });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.error.fields.role).toBeTruthy();
  });

  it('keeps roles apart: a body user may not create organisations or list users', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const res = await api().post('/api/v1/organizations').set('Authorization', `Bearer ${u.token}`).send({ kind: 'developer', bin: makeBin(777), nameKk: 'a', nameRu: 'b' });
    expect(res.status).toBe(403);
    expect((await api().get('/api/v1/users').set('Authorization', `Bearer ${u.token}`)).status).toBe(403);
    const me = await api().get('/api/v1/me').set('Authorization', `Bearer ${u.token}`);
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(['body_user']);
  });

  it('creates a token shown once, stores only its hash, and refuses it once revoked', async () => {
    const u = await t.addUser({ role: 'body_user' });
    const created = await api().post('/api/v1/tokens').set('Authorization', `Bearer ${u.token}`).send({ name: 'ci', scopes: ['api'], expiresInDays: 30 });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^qoima_/);
    const stored = await t.deps.db('tokens').where({ id: created.body.id }).first();
    expect(stored.token_hash).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token);
    const list = await api().get('/api/v1/tokens').set('Authorization', `Bearer ${token}`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await api().delete(`/api/v1/tokens/${created.body.id}`).set('Authorization', `Bearer ${u.token}`)).status).toBe(204);
    const after = await api().get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('token_revoked');
    expect((await api().delete(`/api/v1/tokens/${created.body.id}`).set('Authorization', `Bearer ${u.token}`)).status).toBe(409);
    const events = await listAudit(t.deps, { subjectType: 'token', subjectId: String(created.body.id) });
    expect(events.map((e) => e.action).sort()).toEqual(['token.created', 'token.revoked']);
  });

  it('refuses a token without the api scope with 403', async () => {
    const u = await t.addUser({ role: 'body_user', scopes: ['git:read'] });
    const res = await api().get('/api/v1/me').set('Authorization', `Bearer ${u.token}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('token_scope_missing');
  });

  it('serves an OpenAPI 3.1 document generated from the route table', async () => {
    const res = await api().get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.paths['/api/v1/organizations'].post.requestBody.content['application/json'].schema.properties.bin).toBeTruthy();
  });

  it('reports liveness', async () => {
    expect((await api().get('/healthz')).body).toEqual({ status: 'ok' });
  });
});
