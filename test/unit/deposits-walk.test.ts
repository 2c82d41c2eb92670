import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareGitHome } from '../../server/git/env.js';
import { commitOf, DigestCache, walkCommit, type WalkEntry } from '../../server/git/inventory.js';

/**
 * The streaming walk over a real repository built with `git fast-import`: thousands of small files,
 * a blob larger than any pipe chunk, an empty file, an LFS pointer, a symlink and a submodule.
 */
let dir: string;
let repo: string;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
// A NUL first: random bytes alone may read as text (no NUL in the first 512) or start with a magic number.
const big = Buffer.concat([Buffer.from([0]), randomBytes(3 * 1024 * 1024 + 16)]);
const lfsOid = sha('the installer');
const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${lfsOid}\nsize 13\n`;
const small = (i: number) => `file ${i}\n`.repeat((i % 5) + 1);
const N = 3000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qoima-walk-'));
  prepareGitHome(dir);
  repo = join(dir, 'r.git');
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir };
  execFileSync('git', ['init', '-q', '--bare', repo], { env });
  const blobs: Buffer[] = [];
  const blob = (mark: number, data: Buffer | string) => {
    const b = Buffer.from(data);
    blobs.push(Buffer.from(`blob\nmark :${mark}\ndata ${b.length}\n`), b, Buffer.from('\n'));
  };
  for (let i = 0; i < N; i++) blob(i + 1, small(i));
  blob(N + 1, big);
  blob(N + 2, '');
  blob(N + 3, pointer);
  blob(N + 4, 'Environment: Go\nVersion: 1.22\n');
  blob(N + 5, 'source/a.txt');
  // Attributes that would rewrite content on checkout: the inventory must hash what git stores.
  blob(N + 6, '* text eol=crlf ident\n*.txt filter=lfs\n');
  blob(N + 7, '$Id$\nline one\nline two\n');
  const lines = Array.from({ length: N }, (_, i) => `M 100644 :${i + 1} source/d${i % 37}/f${i}.txt`);
  lines.push(`M 100644 :${N + 1} source/big.bin`, `M 100644 :${N + 2} database/empty.dump`, `M 100644 :${N + 3} installers/setup.exe`, `M 100644 :${N + 4} BUILD.md`, `M 120000 :${N + 5} source/link`, `M 160000 ${'a'.repeat(40)} source/vendor/lib`, `M 100644 :${N + 6} .gitattributes`, `M 100644 :${N + 7} source/id.txt`);
  const commit = `commit refs/heads/main\ncommitter T <t@x> 1700000000 +0000\ndata 2\nv1\n${lines.join('\n')}\n\n`;
  execFileSync('git', ['--git-dir', repo, 'fast-import', '--quiet'], { env, input: Buffer.concat([...blobs, Buffer.from(commit)]) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function walkAll(opts: Parameters<typeof walkCommit>[3] = {}): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  for await (const batch of walkCommit(dir, repo, 'main', opts)) out.push(...batch);
  return out;
}

describe('walking a commit', () => {
  it('yields every entry in tree order with size, SHA-256, magic and LFS pointers', async () => {
    const entries = await walkAll({ readers: 2, wantContent: (p) => p === 'BUILD.md' });
    const listed = execFileSync('git', ['--git-dir', repo, 'ls-tree', '-r', '-z', '--name-only', 'main']).toString('utf8').split('\0').filter(Boolean);
    expect(entries.map((e) => e.path)).toEqual(listed);
    const at = new Map(entries.map((e) => [e.path, e]));
    expect(at.get('source/d5/f5.txt')).toMatchObject({ size: Buffer.byteLength(small(5)), sha256: sha(small(5)), magic: 'text', lfs: null, content: null });
    expect(at.get('source/big.bin')).toMatchObject({ size: big.length, sha256: sha(big), magic: 'binary' });
    expect(at.get('database/empty.dump')).toMatchObject({ size: 0, sha256: sha(''), magic: 'empty' });
    expect(at.get('installers/setup.exe')!.lfs).toEqual({ oid: lfsOid, size: 13 });
    expect(at.get('BUILD.md')!.content!.toString()).toBe('Environment: Go\nVersion: 1.22\n');
    expect(at.get('source/link')).toMatchObject({ mode: '120000', sha256: sha('source/a.txt') });
    expect(at.get('source/vendor/lib')).toMatchObject({ type: 'commit', mode: '160000', sha256: null });
    expect(at.get('source/id.txt')).toMatchObject({ size: 23, sha256: sha('$Id$\nline one\nline two\n') });
  });

  it('gives the same answer from the digest cache, reading only what it has not seen', async () => {
    const cache = new DigestCache();
    const cold = await walkAll({ cache });
    expect(cache.size).toBe(new Set(cold.filter((e) => e.type === 'blob').map((e) => e.oid)).size);
    const warm = await walkAll({ cache, readers: 1 });
    expect(warm.map((e) => [e.path, e.size, e.sha256, e.magic, e.lfs])).toEqual(cold.map((e) => [e.path, e.size, e.sha256, e.magic, e.lfs]));
    const tiny = new DigestCache(10);
    await walkAll({ cache: tiny });
    expect(tiny.size).toBe(10);
  });

  it('keeps going with a slow consumer and small chunks (no wait on output git still buffers)', async () => {
    let n = 0;
    for await (const batch of walkCommit(dir, repo, 'main', { readers: 2, chunkSize: 7 })) {
      n += batch.length;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(n).toBe(N + 8);
  });

  it('stops cleanly when the caller breaks off', async () => {
    let seen = 0;
    for await (const batch of walkCommit(dir, repo, 'main', { readers: 2 })) {
      seen += batch.length;
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(N);
  });

  it('fails on a commit that is not there', async () => {
    await expect(walkCommit(dir, repo, 'f'.repeat(40)).next()).rejects.toThrow(/ls-tree/);
  });
});

describe('resolving a ref', () => {
  it('names commits reachable from a branch or tag only', async () => {
    const head = execFileSync('git', ['--git-dir', repo, 'rev-parse', 'main']).toString().trim();
    expect(await commitOf(dir, repo, 'main')).toBe(head);
    expect(await commitOf(dir, repo, head)).toBe(head);
    expect(await commitOf(dir, repo, 'no-such')).toBeNull();
    expect(await commitOf(dir, repo, '--all')).toBeNull();
    expect(await commitOf(dir, repo, 'main..x')).toBeNull();
    const tree = execFileSync('git', ['--git-dir', repo, 'rev-parse', 'main^{tree}']).toString().trim();
    const dangling = execFileSync('git', ['--git-dir', repo, 'commit-tree', tree, '-m', 'loose'], { env: { ...process.env, GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x' } }).toString().trim();
    expect(await commitOf(dir, repo, dangling)).toBeNull();
  });
});
