import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { cloneUrl, formedSystem, gitClient, setStatus, statusOf } from '../helpers/git.js';

let t: TestApp;
const git = gitClient();
beforeAll(async () => {
  t = await startTestApp({ env: { QOIMA_MAX_BLOB_MB: '1' } });
  await git.ok(['lfs', 'install', '--skip-repo']);
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const digest = (b: Buffer | string) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;
const put = (code: string, token: string, rest: string, body: Buffer | string) =>
  request(t.url).put(`/api/v1/systems/${code}/files/${rest}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/octet-stream').send(body);
const headOf = async (_code: string, id: number) => (await git.ok(['--git-dir', join(t.dataDir, 'repos', `${id}.git`), 'rev-parse', 'main'])).trim();

describe('uploads through the API', () => {
  it('commits a document and an LFS installer; a git clone shows both, byte for byte', async () => {
    const s = await formedSystem(t);
    const doc = Buffer.from('Техникалық тапсырма — ТЗ v1');
    const r1 = await put(s.code, s.owner.token, 'docs/ТЗ/spec.txt', doc).set('Repr-Digest', digest(doc));
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ path: 'docs/ТЗ/spec.txt', sha256: sha(doc), size: doc.length, lfs: false });
    const installer = randomBytes(3 * 1024 * 1024);
    const r2 = await put(s.code, s.owner.token, 'installers/setup-1.0.msi', installer);
    expect(r2.status).toBe(201);
    expect(r2.body).toMatchObject({ path: 'installers/setup-1.0.msi', sha256: sha(installer), lfs: true });
    expect(await statusOf(t, s.id)).toBe('deposit_received');

    const dir = git.workdir('clone');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    expect(readFileSync(join(dir, 'docs', 'ТЗ', 'spec.txt'))).toEqual(doc);
    expect(sha(readFileSync(join(dir, 'installers', 'setup-1.0.msi')))).toBe(sha(installer));
    const log = await git.ok(['log', '--format=%an|%s', '-2'], { cwd: dir });
    expect(log.split('\n')[0]).toBe(`User ${s.owner.login}|installers/setup-1.0.msi`);
    const events = await t.deps.db('audit_events').where({ action: 'deposit.file_uploaded', subject_id: String(s.id) });
    expect(events).toHaveLength(2);
  });

  it('records an empty file', async () => {
    const s = await formedSystem(t);
    const r = await put(s.code, s.owner.token, 'database/empty.dump', '');
    expect(r.status).toBe(201);
    expect(r.body.size).toBe(0);
  });

  it('refuses a Repr-Digest that does not match, and stores nothing', async () => {
    const s = await formedSystem(t);
    const before = await headOf(s.code, s.id);
    const r = await put(s.code, s.owner.token, 'installers/a.bin', 'real bytes').set('Repr-Digest', digest('other bytes'));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('repr_digest_mismatch');
    expect(await headOf(s.code, s.id)).toBe(before);
    expect(await t.deps.blobs.size(sha('real bytes'))).toBeNull();
    expect(await t.deps.db('lfs_objects').where({ system_id: s.id })).toEqual([]);
  });

  it('refuses traversal and reserved names, an unknown category, and a file too large for git', async () => {
    const s = await formedSystem(t);
    for (const bad of ['docs/../../etc/passwd', 'docs/%2e%2e/x', 'docs/.git/config', 'docs/.GIT/hooks/x', 'docs/a%5Cb', 'docs/a%00b', `docs/${'я'.repeat(200)}`]) {
      const r = await put(s.code, s.owner.token, bad, 'x');
      expect([400, 404], bad).toContain(r.status);
      if (r.status === 400) expect(r.body.error.fields?.path ?? r.body.error.code, bad).toBeTruthy();
    }
    const cat = await put(s.code, s.owner.token, 'secrets/x.txt', 'x');
    expect(cat.status).toBe(400);
    expect(cat.body.error.fields.category).toBeTruthy();
    const big = await put(s.code, s.owner.token, 'source/huge.bin', randomBytes(1024 * 1024 + 1));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('upload_too_large_for_git');
    expect(await statusOf(t, s.id)).toBe('repository_formed');
  });

  it('keeps tenants apart: another body gets 404, a returned system 409', async () => {
    const s = await formedSystem(t);
    const stranger = await t.addUser({ role: 'body_user' });
    const r = await put(s.code, stranger.token, 'docs/x.txt', 'x');
    const missing = await put('NO-SUCH', stranger.token, 'docs/x.txt', 'x');
    expect(r.status).toBe(404);
    expect(r.body).toEqual(missing.body);
    await setStatus(t, s.id, 'returned');
    const closed = await put(s.code, s.owner.token, 'docs/x.txt', 'x');
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('system_returned');
  });

  it('serializes concurrent uploads to one repository and loses none', async () => {
    const s = await formedSystem(t);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => put(s.code, s.owner.token, `source/file-${i}.txt`, `content ${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    const dir = git.workdir('concurrent');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    expect(readdirSync(join(dir, 'source')).filter((f) => f.startsWith('file-')).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `file-${i}.txt`).sort());
    const count = (await git.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim();
    expect(Number(count)).toBe(9);
  });

  it('leaves no blob, commit or row when the client disconnects mid-upload', async () => {
    const s = await formedSystem(t);
    const before = await headOf(s.code, s.id);
    const url = new URL(t.url);
    const data = randomBytes(2 * 1024 * 1024);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(`PUT /api/v1/systems/${s.code}/files/installers/cut.bin HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${s.owner.token}\r\nContent-Length: ${data.length}\r\n\r\n`);
        sock.write(data.subarray(0, data.length / 2), () => setTimeout(() => { sock.destroy(); resolve(); }, 200));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await headOf(s.code, s.id)).toBe(before);
    expect(await t.deps.db('lfs_objects').where({ system_id: s.id })).toEqual([]);
    const tmp = join(t.dataDir, 'blobs', 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
    expect(await t.deps.blobs.size(sha(data))).toBeNull();
  });
});
