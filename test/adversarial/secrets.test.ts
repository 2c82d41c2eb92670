import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { serve, type Running } from '../../server/main.js';
import * as accounts from '../../server/accounts/service.js';
import { basic } from '../helpers/git.js';
import { formClient, setCookie } from '../helpers/browser.js';
import { makeBin } from '../helpers/app.js';

// Secrets stay secret (issue 13 §3): tokens and passwords never appear in what the run wrote — the
// log at debug level, error bodies, audit details, metrics — and a login rotates the session cookie.
const ADMIN_PASSWORD = `Adm1n-${randomBytes(8).toString('hex')}`;
const SYS = { userId: null, orgId: null, login: 'test', ip: null };
let running: Running;
let dataDir: string;
let schema: string | undefined;
let log = '';
let adminToken: string;
const secrets: string[] = [ADMIN_PASSWORD];
const bodies: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'qoima-secrets-'));
  schema = process.env.DATABASE_URL ? `t_secrets_${process.pid}_${randomBytes(3).toString('hex')}` : undefined;
  const config = loadConfig({ QOIMA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QOIMA_ADMIN_PASSWORD: ADMIN_PASSWORD, QOIMA_SCRUB_MB_S: '0', ...(schema ? { DATABASE_URL: process.env.DATABASE_URL!, QOIMA_DB_SCHEMA: schema } : {}) });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log += chunk.toString();
      done();
    },
  });
  running = await serve(config, { logger: pino({ level: 'debug' }, sink) });
  const adminId = await accounts.userIdByLogin(running.app.deps, 'admin');
  adminToken = (await accounts.createToken(running.app.deps, SYS, adminId, { scopes: ['api', 'git:read', 'git:write'] })).token;
  secrets.push(adminToken);
});
afterAll(async () => {
  await running?.stop();
  if (schema) {
    const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });
    await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.destroy();
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const api = () => request(running.url);
const keep = <T extends { text: string }>(r: T) => (bodies.push(r.text), r);

describe('secrets', () => {
  it('tokens and passwords sent every way appear in no log line, error body, audit detail or metric', async () => {
    const userPassword = `User-Pw-${randomBytes(8).toString('hex')}`;
    const wrongPassword = `Wrong-Pw-${randomBytes(8).toString('hex')}`;
    const fakeToken = `qoima_${randomBytes(20).toString('hex')}`;
    secrets.push(userPassword, wrongPassword, fakeToken);
    const bin = makeBin(7_000_001);
    keep(await api().post('/api/v1/organizations').auth(adminToken, { type: 'bearer' }).send({ kind: 'government_body', bin, nameKk: 'Ұйым', nameRu: 'Организация' }));
    const created = keep(await api().post('/api/v1/users').auth(adminToken, { type: 'bearer' }).send({ organization: bin, login: 'secret-user', fullName: 'Secret User', role: 'body_user', password: userPassword }));
    expect(created.status).toBe(201);
    // a bad request carrying a password: the field is named, the value never echoed
    keep(await api().post('/api/v1/users').auth(adminToken, { type: 'bearer' }).send({ organization: bin, login: 'x', fullName: '', role: 'nobody', password: userPassword + 'x'.repeat(300) }));
    // the token a user creates is shown once, in that response only
    const ui = formClient(running.url);
    await ui.signIn('secret-user', userPassword);
    const failed = formClient(running.url);
    keep(await failed.post('/login', { login: 'secret-user', password: wrongPassword }, '/login'));
    keep(await failed.post('/login', { login: 'no-such-user', password: wrongPassword }, '/login'));
    const own = await api().post('/api/v1/tokens').auth(adminToken, { type: 'bearer' }).send({ name: 'ci', scopes: ['api', 'git:read'] });
    expect(own.status).toBe(201);
    const newToken = (own.body as { token: string }).token;
    secrets.push(newToken);
    keep(await api().get('/api/v1/me').auth(newToken, { type: 'bearer' }));
    keep(await api().get('/api/v1/me').auth(fakeToken, { type: 'bearer' }));
    keep(await api().get(`/api/v1/me?token=${newToken}&password=${userPassword}`));
    keep(await api().get('/git/NO-SUCH.git/info/refs?service=git-upload-pack').set('Authorization', basic(newToken)));
    keep(await api().get('/git/NO-SUCH.git/info/refs?service=git-upload-pack').set('Authorization', basic(fakeToken)));
    keep(await api().post('/git/NO-SUCH.git/info/lfs/objects/batch').set('Authorization', basic(newToken)).set('Content-Type', 'application/vnd.git-lfs+json').send('{"operation":"download","objects":[]}'));
    const sessionId = setCookie(await (await formClient(running.url)).post('/login', { login: 'admin', password: ADMIN_PASSWORD }, '/login'), 'qoima_session');
    expect(sessionId).toBeTruthy();
    secrets.push(sessionId!);
    const metrics = keep(await api().get('/metrics').auth(adminToken, { type: 'bearer' }));
    expect(metrics.status).toBe(200);

    const audit = JSON.stringify(await running.app.deps.db('audit_events').select('*'));
    const tokensTable = JSON.stringify(await running.app.deps.db('tokens').select('*'));
    const written = { log, audit, tokensTable, bodies: bodies.join('\n') };
    const leaks = Object.entries(written).flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${where} holds ${s.slice(0, 8)}…`));
    console.log(`secrets: ${secrets.length} secrets sought in ${log.split('\n').length} log lines, ${audit.length} bytes of audit, ${bodies.length} responses`);
    expect(log.length).toBeGreaterThan(1000); // the log did record the run
    expect(leaks).toEqual([]);
  });

  it('a login issues a new session: a cookie planted before it (session fixation) is neither kept nor honoured', async () => {
    const planted = 'planted-by-an-attacker-0123456789abcdef';
    const ui = formClient(running.url);
    ui.agent.jar.setCookie(`qoima_session=${planted}; Path=/`, running.url);
    const issued = setCookie(await ui.post('/login', { login: 'admin', password: ADMIN_PASSWORD }, '/login'), 'qoima_session');
    expect(issued).toBeTruthy();
    expect(issued).not.toBe(planted);
    expect((await api().get('/').set('Cookie', `qoima_session=${planted}`).redirects(0)).status).toBe(303);
    expect((await api().get('/').set('Cookie', `qoima_session=${issued}`).redirects(0)).status).toBe(200);
    const again = setCookie(await formClient(running.url).post('/login', { login: 'admin', password: ADMIN_PASSWORD }, '/login'), 'qoima_session');
    expect(again).not.toBe(issued);
  });
});
