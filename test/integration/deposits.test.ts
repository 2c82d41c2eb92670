import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, commitFile, formedSystem, gitClient, statusOf } from '../helpers/git.js';

let t: TestApp;
const clock = testClock('2026-03-10T10:00:00+05:00');
const git = gitClient();
beforeAll(async () => {
  t = await startTestApp({ clock });
  await git.ok(['lfs', 'install', '--skip-repo']);
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const api = (method: 'get' | 'post', path: string, token: string) => request(t.url)[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
const accept = (code: string, token: string, body: Record<string, unknown>) => api('post', `/systems/${code}/deposits`, token).send(body);

const KAZAKH = 'қ ң ү ұ ғ ә ө һ і';
const BUILD = `# Build\n\n| | |\n| --- | --- |\n| Орта / Среда / Environment | Go, Node.js |\n| Нұсқа / Версия / Version | 1.22.3, 20.11 |\n\ncd source && go build ./...\n`;

/** A clone of the system with a complete deposit: every category, BUILD.md, an LFS installer and dump. */
async function depositEverything(code: string, token: string) {
  const dir = git.workdir('deposit');
  await git.ok(['clone', '-q', cloneUrl(t, code, token), dir]);
  const installer = Buffer.concat([Buffer.from('\0QOIMA-SETUP'), randomBytes(300 * 1024)]); // no accidental magic number
  const files: Record<string, Buffer | string> = {
    'BUILD.md': BUILD,
    'source/cmd/main.go': 'package main\n\nfunc main() {}\n',
    'source/go.mod': 'module example.kz/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v2.1.0\n)\n',
    'source/go.sum': 'github.com/a/b v1.0.0 h1:x\n',
    'installers/setup-1.0.bin': installer,
    'database/schema.sql': 'CREATE TABLE t (id int);\n',
    'licensed-config/nginx.conf': 'server { listen 80; }\n',
    [`docs/ТЗ ${KAZAKH.replace(/ /g, '')}.txt`]: `Техникалық тапсырма: ${KAZAKH}\n`,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git.ok(['add', '-A'], { cwd: dir });
  await git.ok(['commit', '-q', '-m', 'deposit v1'], { cwd: dir });
  await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
  const commit = (await git.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim();
  return { dir, commit, installer, files };
}

describe('a deposit pushed with git and git-lfs: inventory → accept → v1 → act → v2 and the diff', () => {
  it('goes through the whole flow', async () => {
    const s = await formedSystem(t);
    const { dir, commit, installer } = await depositEverything(s.code, s.owner.token);

    // 1. The inventory: every file, its category, SHA-256 and LFS presence; no error findings.
    const inv = await api('get', `/systems/${s.code}/inventory?ref=main`, s.owner.token);
    expect(inv.status).toBe(200);
    expect(inv.body.commit).toBe(commit);
    const byPath = new Map<string, Record<string, unknown>>(inv.body.files.map((f: { path: string }) => [f.path, f]));
    expect(byPath.get('installers/setup-1.0.bin')).toMatchObject({ category: 'installers', lfs: true, lfsPresent: true, size: installer.length, sha256: sha(installer) });
    expect(byPath.get('source/cmd/main.go')).toMatchObject({ category: 'source', type: 'source', sha256: sha('package main\n\nfunc main() {}\n'), lfs: false });
    expect(byPath.get('database/schema.sql')).toMatchObject({ category: 'database', lfs: true, lfsPresent: true, type: 'database_dump' });
    expect(inv.body.fileCount).toBe(inv.body.files.length);
    expect(inv.body.errorCount).toBe(0);
    expect(inv.body.findings.filter((f: { severity: string }) => f.severity === 'error')).toEqual([]);
    const cat = (c: string) => inv.body.categories.find((x: { category: string }) => x.category === c);
    expect(cat('installers')).toMatchObject({ files: 2, lfsFiles: 1 }); // README + the installer
    expect(cat('docs').files).toBe(2);
    expect(inv.body.thirdParty.manifests).toEqual([{ path: 'source/go.mod', ecosystem: 'go', dependencies: 2, lockfile: 'source/go.sum' }]);

    // 2. Acceptance: operator only (a body user gets the 404 of a missing system).
    const byBody = await accept(s.code, s.owner.token, { ref: 'main' });
    expect(byBody.status).toBe(404);
    expect(byBody.body).toEqual((await accept('NO-SUCH-SYSTEM', s.owner.token, { ref: 'main' })).body);
    clock.advance(3_600_000);
    const v1 = await accept(s.code, t.adminToken, { ref: 'main' });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ version: 1, tag: 'deposit/v1', commit, errorCount: 0, overridden: false });
    expect(await statusOf(t, s.id)).toBe('accepted');
    const events = await t.deps.db('audit_events').where({ action: 'deposit.accepted', subject_id: String(s.id) });
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0].details)).toMatchObject({ version: 1, commit, deadline: { clause: 'p.9', state: 'met' } });

    // The tag is visible to the depositor's git, annotated, made by the operator.
    const remote = await git.ok(['ls-remote', '--tags', 'origin'], { cwd: dir });
    expect(remote).toContain('refs/tags/deposit/v1^{}');
    expect(remote.split('\n').find((l) => l.endsWith('refs/tags/deposit/v1^{}'))?.slice(0, 40)).toBe(commit);
    await git.ok(['fetch', '-q', 'origin', 'tag', 'deposit/v1'], { cwd: dir });
    const tagText = await git.ok(['cat-file', 'tag', 'deposit/v1'], { cwd: dir });
    expect(tagText).toMatch(/^tagger Administrator </m);
    expect(tagText).toContain('Signed-off-by: Administrator');

    // The same commit again: 409, naming the version.
    const twice = await accept(s.code, t.adminToken, { ref: commit });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('deposit_already_accepted');
    expect(twice.body.error.message).toContain('1');

    // 3. The act: a PDF with Kazakh letters and the file names, its SHA-256 stored and shown.
    const stored = await api('get', `/systems/${s.code}/deposits/v1`, s.owner.token);
    expect(stored.status).toBe(200);
    expect(stored.body.files).toHaveLength(inv.body.files.length);
    expect(stored.body.deadlineState).toBe('met');
    const pdf = await api('get', `/systems/${s.code}/deposits/1/act.pdf`, s.owner.token).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.body as Buffer;
    expect(sha(bytes)).toBe(stored.body.actSha256);
    expect(sha(bytes)).toBe(v1.body.actSha256);
    const text = pdfText(bytes);
    expect(text).toContain('Депозитті қабылдау-беру актісі');
    expect(text).toContain('Акт приёма-передачи депозита');
    expect(text).toContain(`ТЗ ${KAZAKH.replace(/ /g, '')}.txt`);
    for (const letter of KAZAKH.split(' ')) expect(text).toContain(letter);
    expect(text).toContain('installers/setup-1.0.bin');
    expect(text).toContain(sha(installer));
    const html = await api('get', `/systems/${s.code}/deposits/v1/act?lang=kk`, s.owner.token);
    expect(html.status).toBe(200);
    expect(html.text).toContain(stored.body.actSha256);
    expect(html.text).toContain('Депозитті қабылдау-беру актісі');

    // A lost act file is made again from the database, byte for byte.
    unlinkSync(join(t.dataDir, 'acts', String(s.id), 'v1.pdf'));
    const again = await api('get', `/systems/${s.code}/deposits/v1/act?format=pdf`, s.owner.token).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(sha(again.body as Buffer)).toBe(stored.body.actSha256);

    // 4. A second push and acceptance: v2, and a diff that says exactly what changed.
    await commitFile(git, dir, 'source/cmd/main.go', 'package main\n\nfunc main() { println("v2") }\n', 'change');
    await commitFile(git, dir, 'docs/release-notes.md', '# 2.0\n', 'add notes');
    await git.ok(['rm', '-q', 'licensed-config/nginx.conf'], { cwd: dir });
    await git.ok(['commit', '-q', '-m', 'remove'], { cwd: dir });
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
    expect(await statusOf(t, s.id)).toBe('deposit_received');
    clock.advance(86_400_000);
    const v2 = await accept(s.code, t.adminToken, { ref: 'main' });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);
    // licensed-config/ now holds only its README: a warning, not an error.
    expect(v2.body.warningCount).toBeGreaterThan(0);
    const diff = await api('get', `/systems/${s.code}/deposits/diff?from=1&to=2`, s.owner.token);
    expect(diff.status).toBe(200);
    expect(diff.body.added.map((f: { path: string }) => f.path)).toEqual(['docs/release-notes.md']);
    expect(diff.body.removed.map((f: { path: string }) => f.path)).toEqual(['licensed-config/nginx.conf']);
    expect(diff.body.changed.map((f: { path: string }) => f.path)).toEqual(['source/cmd/main.go']);
    const counts = Object.fromEntries(diff.body.categories.map((c: { category: string; added: number; removed: number; changed: number }) => [c.category, [c.added, c.removed, c.changed]]));
    expect(counts).toMatchObject({ docs: [1, 0, 0], 'licensed-config': [0, 1, 0], source: [0, 0, 1], installers: [0, 0, 0] });
    const list = await api('get', `/systems/${s.code}/deposits`, s.owner.token);
    expect(list.body.items.map((d: { version: number }) => d.version)).toEqual([2, 1]);
    const history = await request(t.url).get(`/api/v1/systems/${s.code}/deposits/v2/act`).set('Authorization', `Bearer ${s.owner.token}`);
    expect(history.status).toBe(200);
  });
});

describe('refusals', () => {
  it('404 for a ref that does not exist or belongs to another system; 400 for an override without a reason; 409 with errors', async () => {
    const a = await formedSystem(t);
    const b = await formedSystem(t);
    const missing = await accept(a.code, t.adminToken, { ref: 'no-such-branch' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ref_not_found');
    expect((await api('get', `/systems/${a.code}/inventory?ref=no-such-branch`, a.owner.token)).status).toBe(404);
    // A commit of system B is not a ref of system A.
    const bDir = git.workdir('b');
    await git.ok(['clone', '-q', cloneUrl(t, b.code, b.owner.token), bDir]);
    const bCommit = await commitFile(git, bDir, 'source/x.txt', 'x');
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: bDir });
    const foreign = await accept(a.code, t.adminToken, { ref: bCommit });
    expect(foreign.status).toBe(404);
    // Another body may not even read A's inventory.
    expect((await api('get', `/systems/${a.code}/inventory`, b.owner.token)).status).toBe(404);

    // The skeleton alone: source, BUILD.md and docs errors.
    const refused = await accept(a.code, t.adminToken, { ref: 'main' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('deposit_has_errors');
    const noReason = await accept(a.code, t.adminToken, { ref: 'main', override: true });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields.overrideReason).toBeTruthy();
    const blank = await accept(a.code, t.adminToken, { ref: 'main', override: true, overrideReason: '   ' });
    expect(blank.status).toBe(400);
    expect(await t.deps.db('deposits').where({ system_id: a.id })).toEqual([]);

    const overridden = await accept(a.code, t.adminToken, { ref: 'main', overrideReason: 'Сканированная копия ТЗ передана на бумаге' });
    expect(overridden.status).toBe(201);
    expect(overridden.body).toMatchObject({ version: 1, overridden: true });
    const detail = await api('get', `/systems/${a.code}/deposits/1`, t.adminToken).set('Accept-Language', 'kk');
    expect(detail.body.overrideReason).toBe('Сканированная копия ТЗ передана на бумаге');
    const codes = detail.body.findings.map((f: { code: string }) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['source_empty', 'build_unchanged', 'docs_empty', 'installers_empty']));
    const build = detail.body.findings.find((f: { code: string }) => f.code === 'build_unchanged');
    expect(build).toMatchObject({ severity: 'error', path: 'BUILD.md' });
    expect(build.message).toBe(build.messages.kk);
    expect(build.messages.ru).toContain('BUILD.md');
  });
});

describe('archive integrity, read through streaming libraries', () => {
  it('finds a corrupt zip, a password-protected zip and a truncated tar.gz; passes good ones', async () => {
    const s = await formedSystem(t);
    const good = await makeZip({ 'a.txt': 'hello '.repeat(500), 'b/c.txt': 'world' });
    const corrupt = Buffer.from(good);
    corrupt[60] ^= 0xff; // a byte of the first entry's deflated data: its CRC-32 no longer holds
    const encrypted = setEncryptedFlag(await makeZip({ 'secret.txt': 'пароль' }));
    const tgz = makeTarGz();
    const put = (path: string, body: Buffer) => request(t.url).put(`/api/v1/systems/${s.code}/files/${path}`).set('Authorization', `Bearer ${s.owner.token}`).set('Content-Type', 'application/octet-stream').send(body);
    for (const [path, body] of [['installers/good.zip', good], ['installers/broken.zip', corrupt], ['installers/locked.zip', encrypted], ['installers/app.tar.gz', tgz], ['installers/cut.tar.gz', tgz.subarray(0, tgz.length - 40)], ['docs/spec.zip', good]] as const) {
      expect((await put(path, body)).status).toBe(201);
    }
    const inv = await api('get', `/systems/${s.code}/inventory`, s.owner.token);
    expect(inv.status).toBe(200);
    const about = (path: string) => inv.body.findings.filter((f: { path: string }) => f.path === path).map((f: { code: string; severity: string }) => `${f.code}:${f.severity}`);
    expect(about('installers/broken.zip')).toEqual(['archive_corrupt:error']);
    expect(about('installers/locked.zip')).toEqual(['archive_encrypted:warning']);
    expect(about('installers/cut.tar.gz')).toEqual(['archive_corrupt:error']);
    expect(about('installers/good.zip')).toEqual([]);
    expect(about('installers/app.tar.gz')).toEqual([]);
    expect(about('docs/spec.zip')).toEqual([]);
    const types = new Map(inv.body.files.map((f: { path: string; type: string }) => [f.path, f.type]));
    expect(types.get('installers/good.zip')).toBe('archive');
    // Results are kept by content: a second inventory reads no archive again.
    expect(await t.deps.db('archive_checks').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
    const checked = (await t.deps.db('archive_checks')).map((r) => r.result).sort();
    expect(checked).toEqual(['corrupt', 'corrupt', 'encrypted', 'ok', 'ok']);
  });
});

function pdfText(pdf: Buffer): string {
  const dir = git.workdir('pdf');
  const file = join(dir, 'act.pdf');
  writeFileSync(file, pdf);
  try {
    return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function makeZip(entries: Record<string, string>): Promise<Buffer> {
  const yazl = (await import('yazl')).default;
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.from(content), name, { mtime: new Date('2026-01-01T00:00:00Z') });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Sets general-purpose flag bit 0 ("encrypted", APPNOTE 4.4.4) in every local and central header. */
function setEncryptedFlag(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    else if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

function makeTarGz(): Buffer {
  const dir = git.workdir('tar');
  writeFileSync(join(dir, 'readme.txt'), 'x'.repeat(20000));
  writeFileSync(join(dir, 'data.bin'), randomBytes(30000));
  const out = execFileSync('tar', ['-czf', '-', '-C', dir, 'readme.txt', 'data.bin']);
  rmSync(dir, { recursive: true, force: true });
  return out;
}
