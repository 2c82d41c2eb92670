import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, formedSystem, gitClient, type TestSystem, type TestUser } from '../helpers/git.js';
import { repoPath } from '../../storage/repos.js';

// Rules p.10 through the real git client: a grantee clones (git + LFS) while its grant is active,
// gets the same 404 as for a missing repository the moment it is revoked or expired, never pushes.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
const git = gitClient();
let a: TestSystem & { commit: string };
let b: TestSystem & { commit: string };
let grantee: TestUser;
const installer = randomBytes(300_000);
const oid = createHash('sha256').update(installer).digest('hex');

const api = () => request(t.url);
const admin = () => ({ Authorization: `Bearer ${t.adminToken}` });
const grant = (code: string, body: Record<string, unknown>) => api().post(`/api/v1/systems/${code}/grants`).set(admin()).send(body);
const usesOf = async (login: string) => (await t.deps.db('audit_events').where({ action: 'access.used', actor_login: login }).orderBy('id')).map((r) => JSON.parse(r.details) as Record<string, unknown>);

beforeAll(async () => {
  t = await startTestApp({ clock });
  await git.ok(['lfs', 'install', '--skip-repo']);
  [a, b] = [await formedSystem(t), await formedSystem(t)];
  grantee = await t.addUser({ role: 'body_user' });
  // The owner deposits an installer (an LFS object) through the upload API.
  const up = await api().put(`/api/v1/systems/${a.code}/files/installers/setup.bin`).set('Authorization', `Bearer ${a.owner.token}`).set('Content-Type', 'application/octet-stream').send(installer);
  expect(up.status).toBe(201);
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

describe('a grantee and the real git client', () => {
  let grantId: number;

  it('clones the granted system while the grant is active, LFS files included; each use is audited', async () => {
    const g = await grant(a.code, { organization: grantee.bin, purpose: 'recovery', basis: 'письмо № 12 от 18.03.2026', expiresAt: '2026-03-20' });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ purpose: 'recovery', state: 'active', expiresAt: '2026-03-20T19:00:00.000Z', organization: { bin: grantee.bin } });
    grantId = g.body.id;

    const dir = git.workdir('grantee-clone');
    await git.ok(['clone', '-q', cloneUrl(t, a.code, grantee.token), dir]);
    expect(createHash('sha256').update(readFileSync(join(dir, 'installers', 'setup.bin'))).digest('hex')).toBe(oid);

    const uses = await usesOf(grantee.login);
    expect(uses).toContainEqual(expect.objectContaining({ grantId, via: 'git-fetch', purpose: 'recovery' }));
    expect(uses).toContainEqual(expect.objectContaining({ grantId, via: 'lfs-download', oid }));
    const row = await t.deps.db('audit_events').where({ action: 'access.used', actor_login: grantee.login }).first();
    expect(row).toMatchObject({ subject_type: 'system', subject_id: String(a.id), actor_org_id: grantee.orgId, at: clock().toISOString() });
    // the owner's own clone is not a grant's use
    await git.ok(['ls-remote', cloneUrl(t, a.code, a.owner.token)]);
    expect(await usesOf(a.owner.login)).toEqual([]);
  });

  it('sees the granted system in the API, and nothing it was not granted', async () => {
    const list = await api().get('/api/v1/systems').set('Authorization', `Bearer ${grantee.token}`);
    expect(list.body.items.map((s: { code: string }) => s.code)).toEqual([a.code]);
    expect((await api().get(`/api/v1/systems/${b.code}`).set('Authorization', `Bearer ${grantee.token}`)).status).toBe(404);
  });

  it('may not push to the granted system (403), and gets 404 for system B it holds no grant on', async () => {
    const dir = git.workdir('grantee-push');
    await git.ok(['clone', '-q', cloneUrl(t, a.code, grantee.token), dir]);
    await git.ok(['-c', 'user.name=G', '-c', 'user.email=g@x', 'commit', '-q', '--allow-empty', '-m', 'not mine'], { cwd: dir });
    const push = await git.run(['push', 'origin', 'main'], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/403/);
    expect(await git.ok(['ls-remote', cloneUrl(t, a.code, a.owner.token), 'refs/heads/main'])).not.toContain((await git.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim());

    const other = await git.run(['ls-remote', cloneUrl(t, b.code, grantee.token)]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/not found/);
  });

  it('gets 404 the moment the grant is revoked: git, LFS and the API alike', async () => {
    const revoke = await api().delete(`/api/v1/systems/${a.code}/grants/${grantId}`).set(admin()).send({ reason: 'восстановление завершено' });
    expect(revoke.status).toBe(200);
    expect(revoke.body).toMatchObject({ state: 'revoked', revokeReason: 'восстановление завершено' });

    const after = await git.run(['ls-remote', cloneUrl(t, a.code, grantee.token)]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/not found/);
    const lfs = await api().get(`/git/${a.code}.git/info/lfs/objects/${oid}`).set('Authorization', 'Basic ' + Buffer.from(`x:${grantee.token}`).toString('base64'));
    expect(lfs.status).toBe(404);
    expect((await api().get(`/api/v1/systems/${a.code}`).set('Authorization', `Bearer ${grantee.token}`)).status).toBe(404);
    expect((await t.deps.db('audit_events').where({ action: 'access.revoked' })).map((r) => JSON.parse(r.details).grantId)).toEqual([grantId]);
  });

  it('gets 404 the moment the grant expires (fixed clock): valid through its last day in Kazakhstan time', async () => {
    const g = await grant(a.code, { organization: grantee.bin, purpose: 'reuse', basis: 'письмо № 13', expiresAt: '2026-03-20' });
    expect(g.status).toBe(201);
    clock.set('2026-03-20T23:59:00+05:00');
    await git.ok(['ls-remote', cloneUrl(t, a.code, grantee.token)]);
    clock.set('2026-03-21T00:00:00+05:00');
    const expired = await git.run(['ls-remote', cloneUrl(t, a.code, grantee.token)]);
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toMatch(/not found/);
    const list = await api().get(`/api/v1/systems/${a.code}/grants`).set(admin());
    expect(list.body.items.map((x: { id: number; state: string }) => [x.id, x.state])).toEqual([
      [g.body.id, 'expired'],
      [grantId, 'revoked'],
    ]);
    clock.set('2026-03-19T10:00:00+05:00');
  });
});

describe('a grant restricted to one deposit version (tag deposit/vN)', () => {
  it('advertises only that tag and refuses later commits asked for by id, on protocol v0 and v2', async () => {
    const repo = repoPath(t.config.dataDir, a.id);
    // What acceptance does (server/deposits): tag the accepted commit deposit/v1.
    const v1 = (await git.ok(['--git-dir', repo, 'rev-parse', 'main'])).trim();
    await git.ok(['--git-dir', repo, '-c', 'user.name=Q', '-c', 'user.email=q@x', 'tag', '-a', '-m', 'deposit v1', 'deposit/v1', v1]);
    const up = await api().put(`/api/v1/systems/${a.code}/files/docs/later.txt`).set('Authorization', `Bearer ${a.owner.token}`).set('Content-Type', 'application/octet-stream').send('after v1');
    expect(up.status).toBe(201);
    const later = up.body.commit as string;

    const reader = await t.addUser({ role: 'body_user' });
    expect((await grant(a.code, { organization: reader.bin, purpose: 'reuse', basis: 'письмо № 14', version: 7 })).status).toBe(400);
    const g = await grant(a.code, { organization: reader.bin, purpose: 'reuse', basis: 'письмо № 14', version: 1 });
    expect(g.status).toBe(201);
    expect(g.body.version).toBe(1);

    for (const version of ['0', '2']) {
      const refs = await git.ok(['-c', `protocol.version=${version}`, 'ls-remote', cloneUrl(t, a.code, reader.token)]);
      expect(refs.trim().split('\n').map((l) => l.split('\t')[1])).toEqual(['refs/tags/deposit/v1', 'refs/tags/deposit/v1^{}']);
      expect(refs).not.toContain(later);
    }
    const dir = git.workdir('version-clone');
    await git.ok(['init', '-q', dir]);
    await git.ok(['fetch', '-q', cloneUrl(t, a.code, reader.token), 'refs/tags/deposit/v1:refs/tags/deposit/v1'], { cwd: dir });
    expect((await git.ok(['rev-parse', 'deposit/v1^{commit}'], { cwd: dir })).trim()).toBe(v1);
    for (const version of ['0', '2']) {
      const sneak = await git.run(['-c', `protocol.version=${version}`, 'fetch', cloneUrl(t, a.code, reader.token), later], { cwd: dir });
      expect(sneak.code).not.toBe(0);
    }
    expect((await git.run(['cat-file', '-e', later], { cwd: dir })).code).not.toBe(0);
    // the whole-repository grantee still sees main
    expect(await git.ok(['ls-remote', cloneUrl(t, a.code, a.owner.token), 'refs/heads/main'])).toContain(later);
  });
});
