import { randomBytes, createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, commitFile, createSystem, formedSystem, gitClient, setStatus, statusOf, type TestUser } from '../helpers/git.js';
import { listAudit } from '../../server/audit/service.js';
import { formRepository } from '../../server/repositories/service.js';

const clock = testClock('2026-11-23T09:30:00+05:00');
let t: TestApp;
const git = gitClient();
const ADMIN = { userId: null, orgId: null, login: 'admin', ip: null };

beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

describe('forming a repository (Rules p.8)', () => {
  it('creates the bare repository from the id, commits the skeleton and moves the system to repository_formed', async () => {
    const sys = await createSystem(t, { code: 'EGOV-DOCS.v2' });
    const { commit, formedAt } = await formRepository(t.deps, ADMIN, sys.id);
    expect(formedAt).toBe('2026-11-23T04:30:00.000Z');
    expect(existsSync(join(t.dataDir, 'repos', `${sys.id}.git`, 'HEAD'))).toBe(true);
    expect(readdirSync(join(t.dataDir, 'repos')).filter((n) => !n.startsWith('.'))).toContain(`${sys.id}.git`);
    const row = await t.deps.db('systems').where({ id: sys.id }).first();
    expect(row.status).toBe('repository_formed');
    expect(row.repository_formed_at).toBe(formedAt);
    const events = await listAudit(t.deps, { action: 'repository.formed', subjectId: String(sys.id) });
    expect(events).toHaveLength(1);
    expect(events[0].details).toEqual({ code: 'EGOV-DOCS.v2', commit });

    const dir = git.workdir('skeleton');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), dir]);
    const files = (await git.ok(['ls-tree', '-r', '--name-only', 'HEAD'], { cwd: dir })).trim().split('\n');
    expect(files).toEqual([
      '.gitattributes', 'BUILD.md', 'DEPOSIT.md', 'additional/README.md', 'database/README.md', 'docs/README.md',
      'installers/README.md', 'licensed-config/README.md', 'source/README.md',
    ]);
    // The commit is dated by the (fixed) clock and made by the operator, without a work tree.
    const meta = (await git.ok(['log', '-1', '--format=%an|%cn|%at|%s'], { cwd: dir })).trim();
    expect(meta).toBe(`admin|Qoima|${Date.parse(formedAt) / 1000}|Репозиторий қалыптастырылды / Репозиторий сформирован / Repository formed: EGOV-DOCS.v2`);
    const deposit = await git.ok(['show', 'HEAD:DEPOSIT.md'], { cwd: dir });
    expect(deposit).toContain('## Қазақша');
    expect(deposit).toContain('## Русский');
    expect(deposit).toContain('## English');
    expect(deposit).toMatch(/«Жүйе \d+» ақпараттық жүйесінің/);
    expect(deposit).toMatch(/информационной системы «Система \d+»/);
    expect(deposit).not.toContain('{{');
    // LFS for the binary categories, but not for their README files.
    const attrs = await git.ok(['check-attr', 'filter', '--', 'installers/setup.msi', 'database/dump.bak', 'additional/x.zip', 'source/a.c', 'installers/README.md'], { cwd: dir });
    expect(attrs).toBe(
      'installers/setup.msi: filter: lfs\ndatabase/dump.bak: filter: lfs\nadditional/x.zip: filter: lfs\nsource/a.c: filter: unspecified\ninstallers/README.md: filter: unspecified\n',
    );
  });

  it('gives the same commit id for the same system and time (no randomness in the skeleton)', async () => {
    const sys = await createSystem(t, { code: 'SAME-1' });
    const first = await formRepository(t.deps, ADMIN, sys.id);
    // As if the transaction had failed after the files were written: the status is still `registered`.
    await setStatus(t, sys.id, 'registered');
    const again = await formRepository(t.deps, ADMIN, sys.id);
    expect(again.commit).toBe(first.commit);
  });

  it('refuses to form twice, also when two operators do it at once (409, one audit event)', async () => {
    const sys = await createSystem(t);
    const results = await Promise.allSettled([formRepository(t.deps, ADMIN, sys.id), formRepository(t.deps, ADMIN, sys.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 409, code: 'repository_not_formable' });
    expect(await listAudit(t.deps, { action: 'repository.formed', subjectId: String(sys.id) })).toHaveLength(1);
    expect(readdirSync(join(t.dataDir, 'repos', '.staging'))).toEqual([]);
  });

  it('forms by an explicit operator action over the API; others get 404', async () => {
    const sys = await createSystem(t);
    const owner = await request(t.url).post(`/api/v1/systems/${sys.code}/repository`).set('Authorization', `Bearer ${sys.owner.token}`);
    expect(owner.status).toBe(403);
    const res = await request(t.url).post(`/api/v1/systems/${sys.code}/repository`).set('Authorization', `Bearer ${t.adminToken}`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ code: sys.code, status: 'repository_formed', cloneUrl: `${t.url}/git/${sys.code}.git` });
    expect(await statusOf(t, sys.id)).toBe('repository_formed');
    const again = await request(t.url).post(`/api/v1/systems/${sys.code}/repository`).set('Authorization', `Bearer ${t.adminToken}`).set('Accept-Language', 'en');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`The repository of system ${sys.code} cannot be formed in status “repository_formed”.`);
    const missing = await request(t.url).post('/api/v1/systems/NOPE/repository').set('Authorization', `Bearer ${t.adminToken}`);
    expect(missing.status).toBe(404);

    const info = await request(t.url).get(`/api/v1/systems/${sys.code}/repository`).set('Authorization', `Bearer ${sys.owner.token}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ defaultBranch: 'main', branches: [{ name: 'main', commit: res.body.commit }], tags: [] });
    const stranger = await t.addUser({ role: 'body_user' });
    const hidden = await request(t.url).get(`/api/v1/systems/${sys.code}/repository`).set('Authorization', `Bearer ${stranger.token}`);
    expect(hidden.status).toBe(404);
  });
});

/** Signs a user in through the login form; returns a supertest agent holding the session. */
async function signIn(user: TestUser) {
  const agent = request.agent(t.url);
  const page = await agent.get('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  const res = await agent.post('/login').type('form').send({ login: user.login, password: user.password, _csrf: csrf ?? '' });
  expect(res.status).toBe(303);
  return agent;
}

describe('the repository browser', () => {
  it('shows branches, tags, the log, a tree, text files, binaries and LFS pointers with size and sha256', async () => {
    const sys = await formedSystem(t);
    const dir = git.workdir('browse');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), dir]);
    await commitFile(git, dir, 'source/main.py', 'print("сәлем")\n');
    const bin = randomBytes(3000);
    await commitFile(git, dir, 'source/lib.so', bin);
    const big = randomBytes(1000);
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${createHash('sha256').update(big).digest('hex')}\nsize 734003200\n`;
    await commitFile(git, dir, 'installers/setup.iso', pointer);
    // The push policy admits a pointer only to an object the system holds (issue 5 §3): record it as
    // held, as an LFS upload would (700 MB of real bytes are not needed to show the pointer).
    await t.deps.db('lfs_objects').insert({ system_id: sys.id, oid: createHash('sha256').update(big).digest('hex'), size: 734003200, created_at: new Date().toISOString() });
    await git.ok(['tag', 'v1.0'], { cwd: dir });
    await git.ok(['push', '-q', 'origin', 'main', 'v1.0'], { cwd: dir });

    const agent = await signIn(sys.owner);
    const list = await agent.get('/repositories');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/systems/${sys.code}/repository`);

    const show = await agent.get(`/systems/${sys.code}/repository`);
    expect(show.status).toBe(200);
    expect(show.text).toContain(`${t.url}/git/${sys.code}.git`);
    expect(show.text).toContain('git push origin main');
    expect(show.text).toContain('v1.0');
    expect(show.text).toContain('add installers/setup.iso');
    expect(show.text).toContain('source/');

    const tree = await agent.get(`/systems/${sys.code}/repository?ref=v1.0&path=source`);
    expect(tree.text).toContain('main.py');
    expect(tree.text).toContain('2.9 KB'); // lib.so

    const text = await agent.get(`/systems/${sys.code}/repository/blob?ref=main&path=source/main.py`);
    expect(text.text).toContain('print(&quot;сәлем&quot;)');
    expect(text.text).toContain(createHash('sha256').update('print("сәлем")\n').digest('hex'));

    const binary = await agent.get(`/systems/${sys.code}/repository/blob?path=source/lib.so`);
    expect(binary.text).toContain(createHash('sha256').update(bin).digest('hex'));
    expect(binary.text).toContain('3000 B');
    expect(binary.text).not.toContain('<pre class="file">');

    const lfs = await agent.get(`/systems/${sys.code}/repository/blob?path=installers/setup.iso`).set('Cookie', 'qoima_lang=en');
    expect(lfs.text).toContain('Git LFS object');
    expect(lfs.text).toContain(createHash('sha256').update(big).digest('hex'));
    expect(lfs.text).toContain('700.0 MB');

    const raw = await agent.get(`/systems/${sys.code}/repository/raw?path=source/lib.so`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(raw.headers['content-disposition']).toBe("attachment; filename*=UTF-8''lib.so");
    expect(Buffer.compare(raw.body as Buffer, bin)).toBe(0);

    const commits = await agent.get(`/systems/${sys.code}/repository/commits?ref=main`);
    expect(commits.text).toContain('add source/main.py');
    expect(commits.text).toContain('Test Pusher');
  });

  it('answers 404 for a repository the user may not read, an unknown ref, a missing path and a traversal path', async () => {
    const sys = await formedSystem(t);
    const stranger = await t.addUser({ role: 'body_user' });
    const agent = await signIn(stranger);
    expect((await agent.get(`/systems/${sys.code}/repository`)).status).toBe(404);
    const ownerAgent = await signIn(sys.owner);
    expect((await ownerAgent.get(`/systems/${sys.code}/repository?ref=nope`)).status).toBe(404);
    expect((await ownerAgent.get(`/systems/${sys.code}/repository/blob?path=nope.txt`)).status).toBe(404);
    expect((await ownerAgent.get(`/systems/${sys.code}/repository/blob?path=../../etc/passwd`)).status).toBe(400);
    expect((await ownerAgent.get(`/systems/${sys.code}/repository?ref=--output=/tmp/x`)).status).toBe(400);
  });
});
