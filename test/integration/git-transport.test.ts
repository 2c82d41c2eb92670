import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Limiter } from '../../server/git/limiter.js';
import { basic, cloneUrl, commitFile, formedSystem, gitClient, pkt, raw, userOf, type TestSystem } from '../helpers/git.js';

let t: TestApp;
const git = gitClient();
let sys: TestSystem & { commit: string };

beforeAll(async () => {
  t = await startTestApp();
  sys = await formedSystem(t, { developer: true });
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

const infoRefs = (code: string, service: string, headers: Record<string, string> = {}) =>
  raw(t.url, 'GET', `/git/${code}.git/info/refs?service=${service}`, { headers });

describe('clone and fetch with the real git client', () => {
  it('clones over protocol v0 and v2 and gets the skeleton commit', async () => {
    for (const version of ['0', '2']) {
      const dir = git.workdir(`v${version}`);
      const trace = await git.run(['-c', `protocol.version=${version}`, 'clone', cloneUrl(t, sys.code, sys.owner.token), dir], { env: { GIT_TRACE_PACKET: '1' } });
      expect(trace.code).toBe(0);
      // v2 clients say `command=ls-refs`; v0 ones read a ref advertisement with capabilities.
      if (version === '2') expect(trace.stderr).toContain('command=ls-refs');
      else expect(trace.stderr).not.toContain('command=ls-refs');
      expect((await git.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim()).toBe(sys.commit);
    }
  });

  it('serves a shallow clone and then the rest of the history with fetch --unshallow', async () => {
    const work = git.workdir('hist');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), work]);
    for (let i = 0; i < 3; i++) await commitFile(git, work, `source/file${i}.txt`, `content ${i}\n`);
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: work });

    const shallow = git.workdir('shallow');
    await git.ok(['clone', '-q', '--depth', '1', cloneUrl(t, sys.code, sys.owner.token), shallow]);
    expect((await git.ok(['rev-list', '--count', 'HEAD'], { cwd: shallow })).trim()).toBe('1');
    expect((await git.ok(['rev-parse', '--is-shallow-repository'], { cwd: shallow })).trim()).toBe('true');
    await git.ok(['fetch', '-q', '--unshallow'], { cwd: shallow });
    expect((await git.ok(['rev-list', '--count', 'HEAD'], { cwd: shallow })).trim()).toBe('4');
  });

  it('serves a partial clone (--filter=blob:none) that fetches blobs on demand', async () => {
    const dir = git.workdir('partial');
    await git.ok(['clone', '-q', '--filter=blob:none', '--no-checkout', cloneUrl(t, sys.code, sys.owner.token), dir]);
    expect((await git.ok(['config', 'remote.origin.promisor'], { cwd: dir })).trim()).toBe('true');
    const missing = await git.ok(['rev-list', '--objects', '--all', '--missing=print'], { cwd: dir });
    expect(missing).toMatch(/^\?[0-9a-f]{40}$/m); // blobs were left out
    await git.ok(['checkout', '-q', 'main'], { cwd: dir }); // …and arrive when needed
    expect((await git.ok(['show', 'HEAD:DEPOSIT.md'], { cwd: dir }))).toContain(sys.code);
  });

  it('lets operator staff fetch any repository and the named developer push to it', async () => {
    const staff = await userOf(t, 'operator_staff');
    const dir = git.workdir('staff');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, staff.token), dir]);
    const dev = git.workdir('dev');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.developer!.token), dev]);
    await commitFile(git, dev, 'source/dev.txt', 'from the developer\n');
    const push = await git.run(['push', 'origin', 'main'], { cwd: dev });
    expect(push.code, push.stderr).toBe(0);
  });

  it('takes a push of a fresh repository with its own history (to a new branch, and merged into main)', async () => {
    const fresh = git.workdir('fresh');
    await git.ok(['init', '-q', fresh]);
    for (let i = 0; i < 5; i++) await commitFile(git, fresh, `source/app${i}.py`, `print(${i})\n`);
    await git.ok(['remote', 'add', 'qoima', cloneUrl(t, sys.code, sys.owner.token)], { cwd: fresh });
    const branch = await git.run(['push', 'qoima', 'main:refs/heads/import'], { cwd: fresh });
    expect(branch.code, branch.stderr).toBe(0);
    // Into main: unrelated histories are merged, not forced (the skeleton stays in history).
    await git.ok(['fetch', '-q', 'qoima'], { cwd: fresh });
    await git.ok(['merge', '-q', '--allow-unrelated-histories', '-m', 'merge skeleton', 'qoima/main'], { cwd: fresh });
    const main = await git.run(['push', 'qoima', 'HEAD:main'], { cwd: fresh });
    expect(main.code, main.stderr).toBe(0);
    expect((await git.ok(['ls-remote', 'qoima', 'refs/heads/import'], { cwd: fresh })).split('\t')[0]).toHaveLength(40);
  });
});

describe('the HTTP side of the protocol', () => {
  it('answers info/refs with the advertisement content type, no caching, and the v0 service header', async () => {
    const res = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(sys.owner.token) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-git-upload-pack-advertisement');
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.body.subarray(0, 34).toString()).toBe('001e# service=git-upload-pack\n0000');
    expect(res.body.toString()).toContain('refs/heads/main');
  });

  it('answers a v2 request with the capability advertisement, and a bad Git-Protocol header with 400', async () => {
    const v2 = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(sys.owner.token), 'Git-Protocol': 'version=2' });
    expect(v2.body.toString()).toMatch(/^000eversion 2\n/);
    expect(v2.body.toString()).toContain('filter'); // uploadpack.allowFilter
    for (const bad of ['version=2;rm -rf /', 'version=2 $(id)', 'x'.repeat(300)]) {
      const res = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(sys.owner.token), 'Git-Protocol': bad });
      expect(res.status, bad).toBe(400);
      expect(JSON.parse(res.body.toString()).error.code).toBe('git_protocol_invalid');
    }
    // Well-formed but not v2: served as v0, nothing passed to git.
    const v1 = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(sys.owner.token), 'Git-Protocol': 'version=1:object-format=sha1' });
    expect(v1.body.toString()).toMatch(/^001e# service=git-upload-pack\n/);
  });

  it('serves a gzip-encoded request body and refuses one that inflates past the cap (413)', async () => {
    const headers = { Authorization: basic(sys.owner.token), 'Git-Protocol': 'version=2', 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' };
    const lsRefs = gzipSync(pkt('command=ls-refs\n') + '0001' + pkt('ref-prefix refs/heads/\n') + '0000');
    const ok = await raw(t.url, 'POST', `/git/${sys.code}.git/git-upload-pack`, { headers, body: lsRefs });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/x-git-upload-pack-result');
    expect(ok.body.toString()).toContain('refs/heads/main');
    // A valid v2 request that inflates to ~12 MB (git reads a v2 request whole before answering).
    const have = pkt(`have ${'1'.repeat(40)}\n`);
    const bomb = gzipSync(pkt('command=fetch\n') + '0001' + pkt(`want ${sys.commit}\n`) + have.repeat(250_000) + pkt('done\n') + '0000');
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await raw(t.url, 'POST', `/git/${sys.code}.git/git-upload-pack`, { headers, body: bomb });
    expect(res.status).toBe(413);
  });

  it('refuses a wrong content type (415), a GET on a POST endpoint (405) and dumb HTTP', async () => {
    const auth = { Authorization: basic(sys.owner.token) };
    const wrong = await raw(t.url, 'POST', `/git/${sys.code}.git/git-upload-pack`, { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(wrong.status).toBe(415);
    const get = await raw(t.url, 'GET', `/git/${sys.code}.git/git-upload-pack`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await raw(t.url, 'GET', `/git/${sys.code}.git/git-receive-pack`, { headers: auth })).status).toBe(405);
    const dumb = await raw(t.url, 'GET', `/git/${sys.code}.git/info/refs`, { headers: auth });
    expect(dumb.status).toBe(403);
    expect(JSON.parse(dumb.body.toString()).error.code).toBe('dumb_http_refused');
    for (const path of ['HEAD', 'objects/info/alternates', 'objects/info/packs', 'objects/info/http-alternates', `objects/${sys.commit.slice(0, 2)}/${sys.commit.slice(2)}`, 'config', 'description']) {
      const res = await raw(t.url, 'GET', `/git/${sys.code}.git/${path}`, { headers: auth });
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain('[core]');
    }
  });

  it('answers traversal and malformed system codes with the same 404 as a missing repository', async () => {
    const auth = { Authorization: basic(t.adminToken) };
    const missing = await infoRefs('NO-SUCH-SYSTEM', 'git-upload-pack', auth);
    expect(missing.status).toBe(404);
    for (const code of ['../x', '%2e%2e', '..%2F..%2Fetc', '-x', 'a/b', 'a%2Fb', '%00', `${sys.code}.git/..`, '.']) {
      const res = await raw(t.url, 'GET', `/git/${code}.git/info/refs?service=git-upload-pack`, { headers: auth });
      expect(res.status, code).toBe(404);
      expect(res.body.toString()).toBe(missing.body.toString());
    }
  });
});

describe('who may fetch and push', () => {
  it('asks for credentials with 401 and WWW-Authenticate: Basic, and refuses a wrong or expired token', async () => {
    const none = await infoRefs(sys.code, 'git-upload-pack');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="qoima"');
    const wrong = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic('qoima_not-a-real-token') });
    expect(wrong.status).toBe(401);
    const expiring = await userOf(t, 'body_user');
    await t.deps.db('tokens').where({ user_id: expiring.userId }).update({ expires_at: '2020-01-01T00:00:00.000Z' });
    const expired = await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(expiring.token) });
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body.toString()).error.code).toBe('token_expired');
    const clone = await git.run(['clone', cloneUrl(t, sys.code), git.workdir('anon')]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/Authentication failed|could not read Username/);
  });

  it("gives another tenant's token the same 404 on info/refs and on a raw POST that skips info/refs", async () => {
    const stranger = await userOf(t, 'body_user');
    const otherDev = await userOf(t, 'developer_user');
    const missing = await infoRefs('NO-SUCH-SYSTEM', 'git-upload-pack', { Authorization: basic(stranger.token) });
    for (const who of [stranger, otherDev]) {
      for (const service of ['git-upload-pack', 'git-receive-pack']) {
        const refs = await infoRefs(sys.code, service, { Authorization: basic(who.token) });
        expect(refs.status).toBe(404);
        expect(refs.body.toString()).toBe(missing.body.toString());
        const post = await raw(t.url, 'POST', `/git/${sys.code}.git/${service}`, {
          headers: { Authorization: basic(who.token), 'Content-Type': `application/x-${service}-request` },
          body: pkt(`want ${sys.commit}\n`) + '0000' + pkt('done\n'),
        });
        expect(post.status).toBe(404);
        expect(post.body.toString()).toBe(missing.body.toString());
      }
    }
  });

  it('refuses a push with a read-only token (403) but lets it fetch', async () => {
    const reader = await t.addUser({ role: 'body_user', bin: sys.owner.bin, scopes: ['git:read'] });
    expect((await infoRefs(sys.code, 'git-upload-pack', { Authorization: basic(reader.token) })).status).toBe(200);
    const push = await infoRefs(sys.code, 'git-receive-pack', { Authorization: basic(reader.token) });
    expect(push.status).toBe(403);
    const post = await raw(t.url, 'POST', `/git/${sys.code}.git/git-receive-pack`, {
      headers: { Authorization: basic(reader.token), 'Content-Type': 'application/x-git-receive-pack-request' },
      body: '0000',
    });
    expect(post.status).toBe(403);
  });
});

describe('limits and maintenance', () => {
  it('lets a limited number of upload-packs run at once, queues the next ones and refuses past the queue (503 + Retry-After, issue 13)', async () => {
    const limiter = new Limiter(1, 1);
    const first = await limiter.acquire();
    let secondIn = false;
    const second = limiter.acquire().then((release) => ((secondIn = true), release));
    await expect(limiter.acquire()).rejects.toMatchObject({ status: 503, code: 'git_busy', retryAfter: 5 });
    await new Promise((r) => setTimeout(r, 20));
    expect(secondIn).toBe(false);
    first();
    (await second)();
    expect(secondIn).toBe(true);
    expect(limiter.inUse).toBe(0);
  });

  it('packs loose objects in the background after pushes (git repack)', async () => {
    const s = await formedSystem(t);
    const work = git.workdir('loose');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), work]);
    // Pushes under receive.unpackLimit (100 objects) arrive as loose objects; past 100 they are packed.
    for (let push = 0; push < 3; push++) {
      for (let i = 0; i < 95; i++) writeFileSync(join(work, 'source', `p${push}-${i}.txt`), `${push}-${i}-${randomBytes(8).toString('hex')}\n`);
      await git.ok(['add', '-A'], { cwd: work });
      await git.ok(['commit', '-q', '-m', `push ${push}`], { cwd: work });
      await git.ok(['push', '-q', 'origin', 'main'], { cwd: work });
    }
    const repo = join(t.dataDir, 'repos', `${s.id}.git`);
    const loose = async () => Number(/^count: (\d+)$/m.exec(await git.ok(['--git-dir', repo, 'count-objects', '-v']))?.[1]);
    let count = await loose();
    for (let i = 0; i < 100 && count > 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      count = await loose();
    }
    expect(count).toBeLessThan(50);
  });
});

describe('processes', () => {
  /** git processes whose working folder is inside this app's data folder (upload-pack chdirs into the repository). */
  function gitProcessesOfThisApp(): string[] {
    const found: string[] = [];
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (readlinkSync(`/proc/${pid}/cwd`).startsWith(t.dataDir)) found.push(pid);
      } catch {
        // gone meanwhile, or not ours
      }
    }
    return found;
  }

  it('leaves no git process behind when a client disconnects in the middle of a clone', async () => {
    const work = git.workdir('big');
    await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), work]);
    await commitFile(git, work, 'source/random.bin', randomBytes(24 * 1024 * 1024));
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: work });
    const head = (await git.ok(['rev-parse', 'HEAD'], { cwd: work })).trim();

    const url = new URL(t.url);
    const body = pkt('command=fetch\n') + '0001' + pkt('ofs-delta\n') + pkt(`want ${head}\n`) + pkt('done\n') + '0000';
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: `/git/${sys.code}.git/git-upload-pack`, headers: { Authorization: basic(sys.owner.token), 'Git-Protocol': 'version=2', 'Content-Type': 'application/x-git-upload-pack-request' } },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', () => {
            expect(gitProcessesOfThisApp().length).toBeGreaterThan(0); // git is serving right now
            req.destroy(); // the client goes away mid-transfer
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.end(body, () => undefined);
      setTimeout(() => reject(new Error('no response')), 20_000).unref();
    });
    let left = gitProcessesOfThisApp();
    for (let i = 0; i < 50 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = gitProcessesOfThisApp();
    }
    expect(left).toEqual([]);
  });
});
