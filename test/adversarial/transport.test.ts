import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { basic, formedSystem, pkt, raw, type TestSystem } from '../helpers/git.js';
import { repoPath } from '../../storage/repos.js';

// The adversarial suite, transport part (issue 13 §2): slow-loris bodies, gzip bombs on the git
// endpoints and overload — over real sockets. Each: a clean 4xx/503, nothing stored (rows, refs,
// blobs, temp files), no git process left, the server still up.
let t: TestApp;
let sys: TestSystem & { commit: string };
const WINDOW_S = 2;
const MIN_BYTES = 64;

beforeAll(async () => {
  t = await startTestApp({ env: { QOIMA_BODY_RATE_WINDOW_S: String(WINDOW_S), QOIMA_BODY_MIN_BYTES: String(MIN_BYTES), QOIMA_GIT_GZIP_MAX_MB: '1' } });
  sys = await formedSystem(t);
});
afterAll(async () => {
  await t?.stop();
});

/** Every file under a folder (relative names), for "no blob, no temp file" checks. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** git processes this test process (which runs the server) has spawned and not yet reaped. */
function gitChildren(): string[] {
  const r = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /\bgit\b/.test(l));
}

async function noGitLeft(): Promise<void> {
  for (let i = 0; i < 50 && gitChildren().length; i++) await new Promise((r) => setTimeout(r, 100));
  expect(gitChildren()).toEqual([]);
}

/** What must not change: table rows, the refs and the object folders of the repository, blobs and temp files. */
async function snapshot(): Promise<string> {
  const tables = ['systems', 'audit_events', 'lfs_objects', 'notifications', 'deposits'];
  const counts = await Promise.all(tables.map(async (name) => `${name}=${JSON.stringify(await t.deps.db(name).count({ n: '*' }))}`));
  const repo = repoPath(t.dataDir, sys.id);
  const refs = execFileSync('git', ['--git-dir', repo, 'for-each-ref', '--format=%(refname) %(objectname)'], { encoding: 'utf8' });
  const objects = readdirSync(join(repo, 'objects')).filter((d) => !/^[0-9a-f]{2}$/.test(d)).sort(); // incoming-*/tmp_objdir-* quarantines
  return [...counts, refs, objects.join(','), filesUnder(join(t.dataDir, 'blobs')).join(',')].join('\n');
}

async function stillUp(): Promise<void> {
  expect((await raw(t.url, 'GET', '/healthz')).status).toBe(200);
}

/**
 * A client over a raw TCP socket: sends the head, then the body one byte every `everyMs`, and
 * records what comes back and when the server closed the connection.
 */
function trickle(head: string, body: Buffer, everyMs: number, bytesPerTick = 1): Promise<{ response: string; ms: number; sent: number }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const started = Date.now();
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`not cut after ${Date.now() - started} ms (sent ${sent} bytes): ${response.slice(0, 200)}`));
    }, 20_000);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= body.length) return clearInterval(timer);
        socket.write(body.subarray(sent, sent + bytesPerTick));
        sent += bytesPerTick;
      }, everyMs);
    });
    socket.on('data', (d: Buffer) => (response += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ response, ms: Date.now() - started, sent });
    });
  });
}

const headOf = (method: string, path: string, headers: Record<string, string | number>) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

describe('slow-loris request bodies (a byte a second over a real socket)', () => {
  it('an API upload (git and LFS categories), an LFS PUT and both git POSTs are cut after the window; nothing is left', async () => {
    const before = await snapshot();
    const payload = Buffer.alloc(4096, 'a');
    const oid = createHash('sha256').update(payload).digest('hex');
    const batch = await raw(t.url, 'POST', `/git/${sys.code}.git/info/lfs/objects/batch`, {
      headers: { Authorization: basic(sys.owner.token), 'Content-Type': 'application/vnd.git-lfs+json', Accept: 'application/vnd.git-lfs+json' },
      body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size: payload.length }] }),
    });
    expect(batch.status, batch.body.toString()).toBe(200);
    const upload = (JSON.parse(batch.body.toString()) as { objects: { actions: { upload: { href: string; header: Record<string, string> } } }[] }).objects[0].actions.upload;
    const bearer = { Authorization: `Bearer ${sys.owner.token}` };
    const cases = {
      'PUT files/source': headOf('PUT', `/api/v1/systems/${sys.code}/files/source/slow.txt`, { ...bearer, 'Content-Type': 'application/octet-stream', 'Content-Length': payload.length }),
      'PUT files/installers (LFS)': headOf('PUT', `/api/v1/systems/${sys.code}/files/installers/slow.bin`, { ...bearer, 'Content-Type': 'application/octet-stream', 'Content-Length': payload.length }),
      'PUT files, chunked': headOf('PUT', `/api/v1/systems/${sys.code}/files/source/slow-chunked.txt`, { ...bearer, 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' }),
      'LFS PUT': headOf('PUT', new URL(upload.href).pathname, { ...upload.header, 'Content-Type': 'application/octet-stream', 'Content-Length': payload.length }),
      'git-receive-pack': headOf('POST', `/git/${sys.code}.git/git-receive-pack`, { Authorization: basic(sys.owner.token), 'Content-Type': 'application/x-git-receive-pack-request', 'Content-Length': payload.length }),
      'git-upload-pack': headOf('POST', `/git/${sys.code}.git/git-upload-pack`, { Authorization: basic(sys.owner.token), 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Length': payload.length }),
    };
    const results = await Promise.all(Object.entries(cases).map(async ([name, head]) => [name, await trickle(head, name.includes('chunked') ? Buffer.from('1\r\na\r\n'.repeat(1000)) : payload, 1000)] as const));
    for (const [name, r] of results) {
      // cut within the window plus a tick or two — not left to trickle for the 68 minutes 4 KB would take
      expect(r.ms, name).toBeGreaterThanOrEqual(WINDOW_S * 1000);
      expect(r.ms, name).toBeLessThan(WINDOW_S * 1000 + 3000);
      expect(r.sent, name).toBeLessThan(10);
      expect(r.response.split('\r\n')[0], name).toBe('HTTP/1.1 408 Request Timeout');
      const json = JSON.parse(r.response.slice(r.response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
      expect(json.error.code, name).toBe('body_too_slow');
    }
    await noGitLeft();
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('a slow but steady client (1 KB every 250 ms) is not cut: its upload is stored', async () => {
    const payload = Buffer.alloc(12 * 1024, 'b');
    const head = headOf('PUT', `/api/v1/systems/${sys.code}/files/source/steady.txt`, { Authorization: `Bearer ${sys.owner.token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': payload.length, Connection: 'close' });
    const r = await trickle(head, payload, 250, 1024);
    expect(r.ms).toBeGreaterThan(WINDOW_S * 1000); // it took longer than the window
    expect(r.response.split('\r\n')[0], r.response.slice(0, 300)).toBe('HTTP/1.1 201 Created');
    await stillUp();
  });
});

describe('gzip bombs on the git endpoints', () => {
  it('upload-pack: a body inflating past 10 MB is refused with 413, no process left, refs unchanged', async () => {
    const before = await snapshot();
    const have = pkt(`have ${'1'.repeat(40)}\n`);
    const body = gzipSync(Buffer.from(pkt(`want ${sys.commit}\n`) + '0000' + have.repeat(Math.ceil((11 * 1024 * 1024) / have.length))), { level: 9 });
    expect(body.length).toBeLessThan(100 * 1024); // a small request…
    const r = await raw(t.url, 'POST', `/git/${sys.code}.git/git-upload-pack`, { headers: { Authorization: basic(sys.owner.token), 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' }, body });
    expect(r.status, r.body.toString()).toBe(413); // …that would inflate to 11 MB
    expect((JSON.parse(r.body.toString()) as { error: { code: string } }).error.code).toBe('request_too_large');
    await noGitLeft();
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('receive-pack: a body inflating past the configured cap is refused with 413, no ref created, no process left', async () => {
    const before = await snapshot();
    const command = pkt(`${'0'.repeat(40)} ${sys.commit} refs/heads/bomb\n`);
    const body = gzipSync(Buffer.from(command.repeat(Math.ceil((3 * 1024 * 1024) / command.length))), { level: 9 });
    const r = await raw(t.url, 'POST', `/git/${sys.code}.git/git-receive-pack`, { headers: { Authorization: basic(sys.owner.token), 'Content-Type': 'application/x-git-receive-pack-request', 'Content-Encoding': 'gzip' }, body });
    expect(r.status, r.body.toString()).toBe(413);
    await noGitLeft();
    expect(await snapshot()).toBe(before);
    await stillUp();
  });

  it('a body that is not gzip at all under Content-Encoding: gzip: a 4xx, nothing changed', async () => {
    const before = await snapshot();
    for (const svc of ['git-upload-pack', 'git-receive-pack']) {
      const r = await raw(t.url, 'POST', `/git/${sys.code}.git/${svc}`, { headers: { Authorization: basic(sys.owner.token), 'Content-Type': `application/x-${svc}-request`, 'Content-Encoding': 'gzip' }, body: 'not gzip at all' });
      expect(r.status, `${svc} ${r.body.toString()}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    await noGitLeft();
    expect(await snapshot()).toBe(before);
  });
});

describe('overload', () => {
  it('upload-pack slots and their queue full: a clean 503 with Retry-After, and service resumes after', async () => {
    const busy = await startTestApp({ env: { QOIMA_GIT_MAX_UPLOADS: '1' } });
    try {
      const s = await formedSystem(busy);
      const url = new URL(busy.url);
      const head = headOf('POST', `/git/${s.code}.git/git-upload-pack`, { Authorization: basic(s.owner.token), 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Length': 1000 });
      // One holds the slot (a body that has not ended), 32 wait in the queue (1 × 32).
      const held = Array.from({ length: 33 }, () => {
        const socket = connect(Number(url.port), url.hostname, () => socket.write(head + '0032'));
        socket.on('error', () => undefined);
        return socket;
      });
      await new Promise((r) => setTimeout(r, 1500));
      const r = await raw(busy.url, 'POST', `/git/${s.code}.git/git-upload-pack`, { headers: { Authorization: basic(s.owner.token), 'Content-Type': 'application/x-git-upload-pack-request' }, body: pkt(`want ${s.commit}\n`) + '0000' + pkt('done\n') });
      expect(r.status, r.body.toString()).toBe(503);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect((JSON.parse(r.body.toString()) as { error: { code: string } }).error.code).toBe('git_busy');
      for (const socket of held) socket.destroy();
      await noGitLeft();
      // the slot is free again: a real exchange is served
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        again = (await raw(busy.url, 'POST', `/git/${s.code}.git/git-upload-pack`, { headers: { Authorization: basic(s.owner.token), 'Content-Type': 'application/x-git-upload-pack-request' }, body: pkt(`want ${s.commit}\n`) + '0000' + pkt('done\n') })).status;
        if (again !== 200) await new Promise((res) => setTimeout(res, 100));
      }
      expect(again).toBe(200);
      await noGitLeft();
    } finally {
      await busy.stop();
    }
  });
});
