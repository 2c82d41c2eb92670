import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { cloneUrl, formedSystem, gitClient } from '../helpers/git.js';

let t: TestApp;
const git = gitClient();
beforeAll(async () => {
  t = await startTestApp({ env: { QOIMA_MAX_OBJECT_MB: '8' } });
  await git.ok(['lfs', 'install', '--skip-repo']);
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

const LFS = 'application/vnd.git-lfs+json';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const basic = (token: string) => 'Basic ' + Buffer.from(`x:${token}`).toString('base64');
const batchUrl = (code: string) => `/git/${code}.git/info/lfs/objects/batch`;
const rowsOf = async (systemId: number) => (await t.deps.db('lfs_objects').where({ system_id: systemId })).map((r) => r.oid);

function batch(code: string, token: string | null, body: unknown) {
  const r = request(t.url).post(batchUrl(code)).set('Accept', LFS).set('Content-Type', LFS);
  if (token) r.set('Authorization', basic(token));
  return r.send(JSON.stringify(body));
}

describe('Git LFS with the real git-lfs client', () => {
  it('pushes a multi-MB binary, and a fresh clone smudges the same bytes; git lfs fsck is clean', async () => {
    const s = await formedSystem(t);
    const dir = git.workdir('lfs-push');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    const installer = randomBytes(5 * 1024 * 1024 + 123);
    writeFileSync(join(dir, 'installers', 'setup.bin'), installer);
    await git.ok(['lfs', 'track', 'installers/**'], { cwd: dir });
    await git.ok(['add', '-A'], { cwd: dir });
    await git.ok(['commit', '-q', '-m', 'installer'], { cwd: dir });
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });

    expect(await rowsOf(s.id)).toEqual([sha(installer)]);
    expect(await t.deps.blobs.size(sha(installer))).toBe(installer.length);
    const pointer = await git.ok(['show', 'HEAD:installers/setup.bin'], { cwd: dir });
    expect(pointer).toContain(`oid sha256:${sha(installer)}`);

    const fresh = git.workdir('lfs-clone');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), fresh]);
    expect(sha(readFileSync(join(fresh, 'installers', 'setup.bin')))).toBe(sha(installer));
    const fsck = await git.run(['lfs', 'fsck'], { cwd: fresh });
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toMatch(/Git LFS fsck OK/);
  });
});

describe('push integrity', () => {
  it('rejects a pointer pushed without its object, and changes no ref', async () => {
    const s = await formedSystem(t);
    const dir = git.workdir('lfs-missing');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    const before = (await git.ok(['rev-parse', 'origin/main'], { cwd: dir })).trim();
    const oid = sha(randomBytes(64));
    writeFileSync(join(dir, 'docs', 'orphan.bin'), `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 12345\n`);
    await git.ok(['add', 'docs/orphan.bin'], { cwd: dir });
    await git.ok(['commit', '-q', '-m', 'pointer without object'], { cwd: dir });
    const push = await git.run(['push', '--no-verify', 'origin', 'main'], { cwd: dir, env: { LANG: 'C' } });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain(`remote: qoima:`);
    expect(push.stderr).toContain(oid.slice(0, 16));
    const remote = (await git.ok(['ls-remote', cloneUrl(t, s.code, s.owner.token), 'refs/heads/main'])).split('\t')[0];
    expect(remote).toBe(before);
  });
});

describe('Git LFS batch API', () => {
  it('asks for credentials with LFS-Authenticate', async () => {
    const s = await formedSystem(t);
    const res = await batch(s.code, null, { operation: 'download', objects: [] });
    expect(res.status).toBe(401);
    expect(res.headers['lfs-authenticate']).toBe('Basic realm="qoima"');
    expect(JSON.parse(res.text).message).toBeTruthy();
  });

  it('answers per object: a bad oid is 422, an oversize object 413, a new one gets upload and verify actions', async () => {
    const s = await formedSystem(t);
    const good = sha(Buffer.from('x'));
    const res = await batch(s.code, s.owner.token, {
      operation: 'upload',
      transfers: ['basic'],
      objects: [{ oid: 'not-an-oid', size: 1 }, { oid: good, size: 9 * 1024 * 1024 }, { oid: good, size: 1 }],
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/vnd\.git-lfs\+json/);
    const body = JSON.parse(res.text);
    expect(body.transfer).toBe('basic');
    expect(body.objects[0].error.code).toBe(422);
    expect(body.objects[1].error.code).toBe(413);
    expect(Object.keys(body.objects[2].actions).sort()).toEqual(['upload', 'verify']);
    expect(body.objects[2].actions.upload.href).toMatch(new RegExp(`/git/${s.code}\\.git/info/lfs/objects/${good}$`));
  });

  it('keeps tenants apart: another body gets 404, a read-only token 403 on upload', async () => {
    const s = await formedSystem(t);
    const stranger = await t.addUser({ role: 'body_user' });
    const res = await batch(s.code, stranger.token, { operation: 'download', objects: [] });
    expect(res.status).toBe(404);
    const missing = await batch('NO-SUCH-SYSTEM', stranger.token, { operation: 'download', objects: [] });
    expect(missing.status).toBe(404);
    expect(JSON.parse(res.text).error).toEqual(JSON.parse(missing.text).error);
    const ro = await t.addUser({ role: 'body_user', bin: s.owner.bin, scopes: ['git:read'] });
    expect((await batch(s.code, ro.token, { operation: 'upload', objects: [] })).status).toBe(403);
    expect((await batch(s.code, ro.token, { operation: 'download', objects: [] })).status).toBe(200);
  });

  it('stores nothing on a hash or size mismatch (422)', async () => {
    const s = await formedSystem(t);
    const claimed = sha(Buffer.from('the promised bytes'));
    const body = JSON.parse((await batch(s.code, s.owner.token, { operation: 'upload', objects: [{ oid: claimed, size: 18 }] })).text);
    const action = body.objects[0].actions.upload;
    const put = await request(t.url).put(new URL(action.href).pathname).set(action.header).set('Content-Type', 'application/octet-stream').send(Buffer.from('other bytes, 18 b.'));
    expect(put.status).toBe(422);
    expect(JSON.parse(put.text).error.code).toBe('lfs_hash_mismatch');
    expect(await rowsOf(s.id)).toEqual([]);
    expect(await t.deps.blobs.size(claimed)).toBeNull();
  });

  it('serves an object only through a system it was uploaded to', async () => {
    const a = await formedSystem(t);
    const b = await formedSystem(t);
    const data = Buffer.from('database dump');
    const oid = sha(data);
    const up = JSON.parse((await batch(a.code, a.owner.token, { operation: 'upload', objects: [{ oid, size: data.length }] })).text).objects[0].actions;
    expect((await request(t.url).put(new URL(up.upload.href).pathname).set(up.upload.header).send(data)).status).toBe(200);
    const verify = await request(t.url).post(new URL(up.verify.href).pathname).set(up.verify.header).set('Content-Type', LFS).send(JSON.stringify({ oid, size: data.length }));
    expect(verify.status).toBe(200);
    // An action token for system A does not open system B (not even visible to A's owner), nor another object.
    expect((await request(t.url).put(`/git/${b.code}.git/info/lfs/objects/${oid}`).set(up.upload.header).send(data)).status).toBe(404);
    expect((await request(t.url).put(`/git/${a.code}.git/info/lfs/objects/${sha(Buffer.from('other'))}`).set(up.upload.header).send('other')).status).toBe(401);
    expect(await t.deps.db('lfs_objects').where({ system_id: b.id })).toEqual([]);
    // B's owner asks for the same oid: B does not hold it.
    const dl = JSON.parse((await batch(b.code, b.owner.token, { operation: 'download', objects: [{ oid, size: data.length }] })).text);
    expect(dl.objects[0].error.code).toBe(404);
    expect((await request(t.url).get(`/git/${b.code}.git/info/lfs/objects/${oid}`).set('Authorization', basic(b.owner.token))).status).toBe(404);
    // A's owner downloads it, also by range.
    const got = JSON.parse((await batch(a.code, a.owner.token, { operation: 'download', objects: [{ oid, size: data.length }] })).text).objects[0].actions.download;
    const full = await request(t.url).get(new URL(got.href).pathname).set(got.header).buffer(true);
    expect(full.status).toBe(200);
    expect(Buffer.from(full.body).toString()).toBe('database dump');
    const part = await request(t.url).get(new URL(got.href).pathname).set(got.header).set('Range', 'bytes=9-').buffer(true);
    expect(part.status).toBe(206);
    expect(Buffer.from(part.body).toString()).toBe('dump');
    const beyond = await request(t.url).get(new URL(got.href).pathname).set(got.header).set('Range', 'bytes=100-');
    expect(beyond.status).toBe(416);
  });

  it('leaves no blob and no row when the client disconnects half-way through an upload', async () => {
    const s = await formedSystem(t);
    const data = randomBytes(4 * 1024 * 1024);
    const oid = sha(data);
    const up = JSON.parse((await batch(s.code, s.owner.token, { operation: 'upload', objects: [{ oid, size: data.length }] })).text).objects[0].actions.upload;
    const url = new URL(up.href);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(`PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${up.header.Authorization}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`);
        sock.write(data.subarray(0, data.length / 2), () => setTimeout(() => { sock.destroy(); resolve(); }, 200));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowsOf(s.id)).toEqual([]);
    expect(await t.deps.blobs.size(oid)).toBeNull();
    const tmp = join(t.dataDir, 'blobs', 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });
});
