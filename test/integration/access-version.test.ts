import { createHash } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { basic } from '../helpers/git.js';
import { acceptedSystem, api, returnsApp, type People, type User } from './returns-fixtures.js';

/**
 * Issue 7 §1 / issue 13: a grant limited to one deposit version opens that version everywhere the
 * system can be read — git (access-git.test.ts), the repository browser and its API, the deposits
 * API and pages, the inventory, Git LFS — and nothing after it: a later version, a branch or a later
 * commit is answered exactly as a missing one.
 */
let t: TestApp;
let p: People;
const { git } = returnsApp((app, people) => ((t = app), (p = people)));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const lfsBatch = (code: string, user: User, oids: { oid: string; size: number }[]) =>
  request(t.url)
    .post(`/git/${code}.git/info/lfs/objects/batch`)
    .set('Authorization', basic(user.token, user.login))
    .set('Accept', 'application/vnd.git-lfs+json')
    .set('Content-Type', 'application/vnd.git-lfs+json')
    .send(JSON.stringify({ operation: 'download', transfers: ['basic'], objects: oids }));
/** Same status and body, but for the request id each answer carries. */
const same = (a: request.Response, b: request.Response) => {
  const body = (r: request.Response) => ({ ...(r.body as object), request_id: undefined });
  expect(a.status).toBe(b.status);
  expect(body(a)).toEqual(body(b));
};
/** The answer for a hidden version is the one for a missing version of that number (v3 does not exist). */
const likeMissing = (hidden: request.Response, missingV3: request.Response) => {
  expect(hidden.status).toBe(404);
  expect(JSON.stringify(hidden.body)).toBe(JSON.stringify(missingV3.body).replaceAll('3', '2'));
};

describe('a grant of one deposit version (issue 7 §1)', () => {
  it('shows v1 and what it reaches, and answers for v2, main and later commits as for missing ones', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-VERSION', { versions: 2 });
    const [v1, v2] = s.commits;
    const oldInstaller = (await api(t, 'get', `/systems/${s.code}/deposits/1`, p.staff.token)).body.files.find((f: { path: string }) => f.path === 'installers/setup.bin') as { sha256: string; size: number };
    const newOid = sha(s.installer);
    expect(oldInstaller.sha256).not.toBe(newOid);

    const one = p.grantee;
    const whole = await t.addUser({ role: 'body_user' });
    for (const [user, version] of [[one, 1], [whole, undefined]] as const) {
      const g = await api(t, 'post', `/systems/${s.code}/grants`, p.staff.token).send({ organization: user.bin, purpose: 'reuse', basis: 'письмо № 15', ...(version ? { version } : {}) });
      expect(g.status, JSON.stringify(g.body)).toBe(201);
    }

    // The repository API: the tag of v1 only; the whole-system grantee sees main and both tags.
    const repo = await api(t, 'get', `/systems/${s.code}/repository`, one.token);
    expect(repo.status).toBe(200);
    expect(repo.body).toMatchObject({ defaultBranch: null, branches: [] });
    expect(repo.body.tags.map((x: { name: string }) => x.name)).toEqual(['deposit/v1']);
    const full = await api(t, 'get', `/systems/${s.code}/repository`, whole.token);
    expect(full.body.branches.map((x: { name: string }) => x.name)).toEqual(['main']);
    expect(full.body.tags.map((x: { name: string }) => x.name).sort()).toEqual(['deposit/v1', 'deposit/v2']);

    // The deposits API: v1 listed and readable; v2, its act and a diff to it are missing.
    expect((await api(t, 'get', `/systems/${s.code}/deposits`, one.token)).body.items.map((d: { version: number }) => d.version)).toEqual([1]);
    expect((await api(t, 'get', `/systems/${s.code}/deposits`, whole.token)).body.items.map((d: { version: number }) => d.version)).toEqual([2, 1]);
    expect((await api(t, 'get', `/systems/${s.code}/deposits/1`, one.token)).status).toBe(200);
    likeMissing(await api(t, 'get', `/systems/${s.code}/deposits/2`, one.token), await api(t, 'get', `/systems/${s.code}/deposits/3`, whole.token));
    expect((await api(t, 'get', `/systems/${s.code}/deposits/2`, whole.token)).status).toBe(200);
    expect((await api(t, 'get', `/systems/${s.code}/deposits/1/act.pdf`, one.token)).status).toBe(200);
    likeMissing(await api(t, 'get', `/systems/${s.code}/deposits/2/act.pdf`, one.token), await api(t, 'get', `/systems/${s.code}/deposits/3/act.pdf`, whole.token));
    likeMissing(await api(t, 'get', `/systems/${s.code}/deposits/diff?from=1&to=2`, one.token), await api(t, 'get', `/systems/${s.code}/deposits/diff?from=1&to=3`, whole.token));
    expect((await api(t, 'get', `/systems/${s.code}/deposits/diff?from=1&to=2`, whole.token)).status).toBe(200);

    // The inventory: of v1 by default; main and v2's commit are as unknown as a ref that does not exist.
    const inv = await api(t, 'get', `/systems/${s.code}/inventory`, one.token);
    expect(inv.status).toBe(200);
    expect(inv.body.ref).toBe('deposit/v1');
    const missingRef = await api(t, 'get', `/systems/${s.code}/inventory?ref=no-such-branch`, one.token);
    expect(missingRef.status).toBe(404);
    for (const ref of ['main', v2, 'deposit/v2']) {
      const r = await api(t, 'get', `/systems/${s.code}/inventory?ref=${encodeURIComponent(ref)}`, one.token);
      expect(r.status, ref).toBe(404);
      expect(r.body.error.code).toBe(missingRef.body.error.code);
    }
    expect((await api(t, 'get', `/systems/${s.code}/inventory?ref=${v1}`, one.token)).status).toBe(200);

    // Git LFS: v1's installer is downloadable, v2's is missing (per object, as an unknown oid); the
    // whole-system grantee gets both.
    const asked = [{ oid: oldInstaller.sha256, size: oldInstaller.size }, { oid: newOid, size: s.installer.length }];
    const batch = await lfsBatch(s.code, one, asked);
    expect(batch.status).toBe(200);
    const objects = JSON.parse(batch.text).objects as { oid: string; actions?: unknown; error?: { code: number } }[];
    expect(objects[0].actions).toBeDefined();
    expect(objects[1]).toMatchObject({ error: { code: 404 } });
    const wholeBatch = JSON.parse((await lfsBatch(s.code, whole, asked)).text).objects as { actions?: unknown }[];
    expect(wholeBatch.every((o) => o.actions)).toBe(true);
    const direct = (user: User, oid: string) => request(t.url).get(`/git/${s.code}.git/info/lfs/objects/${oid}`).set('Authorization', basic(user.token, user.login));
    expect((await direct(one, oldInstaller.sha256)).status).toBe(200);
    const refused = await direct(one, newOid);
    same(refused, await direct(one, '0'.repeat(64)));
    expect((await direct(whole, newOid)).status).toBe(200);

    // The repository browser: v1 and its files; v2's commit, main and the raw file of v2 are 404 pages.
    const ui = formClient(t.url);
    await ui.signIn(one.login, one.password);
    const page = await ui.agent.get(`/systems/${s.code}/repository`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('deposit/v1');
    expect(page.text).not.toContain('deposit/v2');
    expect(page.text).not.toContain(v2);
    for (const ref of ['main', v2, 'deposit/v2']) {
      expect((await ui.agent.get(`/systems/${s.code}/repository`).query({ ref })).status, ref).toBe(404);
      expect((await ui.agent.get(`/systems/${s.code}/repository/commits`).query({ ref })).status, ref).toBe(404);
      expect((await ui.agent.get(`/systems/${s.code}/repository/raw`).query({ ref, path: 'source/Main.java' })).status, ref).toBe(404);
    }
    const raw = await ui.agent.get(`/systems/${s.code}/repository/raw`).query({ path: 'source/Main.java' }).buffer(true);
    expect(raw.status).toBe(200);
    expect(raw.body.toString()).not.toContain('v2');
    expect((await ui.agent.get(`/systems/${s.code}/repository/raw`).query({ ref: v1, path: 'source/Main.java' })).status).toBe(200);
    expect((await ui.agent.get(`/systems/${s.code}/deposits/2/act`)).status).toBe(404);
    expect((await ui.agent.get(`/systems/${s.code}/deposits/1/act`)).status).toBe(200);
  });
});
