import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gitEnv } from './env.js';
import { killGit, runGit, spawnGit } from './run.js';

/**
 * Reading a repository for the browser and the API, with git itself. isomorphic-git would read a
 * packed blob whole into memory and walks history in JavaScript; for deposits with 50 MB files and
 * long histories `git log` / `ls-tree -l` / `cat-file` stream and answer in milliseconds
 * (docs/benchmarks.md has the figures).
 */
export interface RefInfo {
  name: string;
  full: string;
  commit: string;
  date: string;
  subject: string;
}

export interface CommitInfo {
  id: string;
  parents: string[];
  author: string;
  email: string;
  date: string;
  subject: string;
}

export interface TreeEntry {
  name: string;
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  size: number | null;
}

const env = (dataDir: string, repo: string) => gitEnv(dataDir, { GIT_DIR: repo });

/** A revision as a user may write it (branch, tag, commit id): no options, no revision syntax. */
export function isSafeRev(rev: string): boolean {
  return /^[\p{L}\p{N}_][\p{L}\p{N}._\-/+@]{0,254}$/u.test(rev) && !rev.includes('..') && !rev.includes('@{') && !rev.endsWith('.lock');
}

/** A path inside a tree: relative, no empty, `.` or `..` segments. */
export function isSafePath(path: string): boolean {
  if (path === '') return true;
  if (path.length > 4096 || path.includes('\0')) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export type RefListing = { head: string | null; branches: RefInfo[]; tags: RefInfo[] };

/**
 * Concurrent readers of one repository's refs share one git process: a caller that arrives while a
 * listing runs waits for it to end and then shares the *next* one, which starts after every caller in
 * it arrived — so no caller sees refs older than its own request (a ref pushed just before it asked is
 * always listed). 200 API readers cost two spawns, not 200 (each spawn stalls the event loop for a
 * fork: docs/benchmarks.md, "Load").
 */
const refListings = new Map<string, { running: Promise<RefListing>; next: Promise<RefListing> | null }>();

export function listRefs(dataDir: string, repo: string): Promise<RefListing> {
  const key = `${dataDir}\0${repo}`;
  const start = () => {
    const listing = { running: readRefs(dataDir, repo), next: null as Promise<RefListing> | null };
    refListings.set(key, listing); // from now on, newcomers wait for this one and share the next
    const settle = () => {
      if (refListings.get(key) === listing && listing.next === null) refListings.delete(key);
    };
    listing.running.then(settle, settle);
    return listing.running;
  };
  const current = refListings.get(key);
  if (!current) return start();
  current.next ??= current.running.then(start, start);
  return current.next;
}

async function readRefs(dataDir: string, repo: string): Promise<RefListing> {
  // One process, not two: `%(HEAD)` marks the ref HEAD points at, so `symbolic-ref` is only needed when
  // HEAD names a branch with no commit yet (an empty repository). Each spawn stalls the event loop
  // for a fork (docs/benchmarks.md, "Load").
  const res = await runGit(['for-each-ref', '--sort=-creatordate', '--format=%(HEAD)%00%(refname)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)%00%(contents:subject)', 'refs/heads', 'refs/tags'], { env: env(dataDir, repo) });
  const branches: RefInfo[] = [];
  const tags: RefInfo[] = [];
  let headRef: string | null = null;
  for (const line of res.stdout.toString('utf8').split('\n')) {
    if (!line) continue;
    const [mark, full, oid, peeled, date, subject] = line.split('\0');
    if (mark === '*') headRef = full;
    const info = { full, commit: peeled || oid, date, subject, name: full.replace(/^refs\/(heads|tags)\//, '') };
    (full.startsWith('refs/heads/') ? branches : tags).push(info);
  }
  if (headRef === null) {
    const head = await runGit(['symbolic-ref', '-q', 'HEAD'], { env: env(dataDir, repo), okCodes: [1] });
    headRef = head.code === 0 ? head.stdout.toString('utf8').trim() : null;
  }
  return { head: headRef === null ? null : headRef.replace(/^refs\/heads\//, ''), branches, tags };
}

/** The commit a revision names, or null when it names none. */
export async function resolveCommit(dataDir: string, repo: string, rev: string): Promise<string | null> {
  if (!isSafeRev(rev)) return null;
  const res = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { env: env(dataDir, repo), okCodes: [1, 128] });
  const oid = res.stdout.toString('utf8').trim();
  return res.code === 0 && /^[0-9a-f]{40}$/.test(oid) ? oid : null;
}

/** Whether `commit` is `tip` or one of its ancestors (reachable from it). */
export async function isReachableFrom(dataDir: string, repo: string, commit: string, tip: string): Promise<boolean> {
  const res = await runGit(['merge-base', '--is-ancestor', commit, tip], { env: env(dataDir, repo), okCodes: [1] });
  return res.code === 0;
}

/**
 * The newest commit on `branch` (of its last `limit`) whose message has the line `line` (letters,
 * digits, `-`, `:` and spaces only: it is matched as a regular expression), or null.
 */
export async function commitWithLine(dataDir: string, repo: string, branch: string, line: string, limit = 500): Promise<string | null> {
  if (!/^[\w: -]+$/.test(line)) throw new Error(`commitWithLine: unsafe line ${JSON.stringify(line)}`);
  const res = await runGit(['log', `-n${limit}`, '--format=%H', `--grep=^${line}$`, `refs/heads/${branch}`, '--'], { env: env(dataDir, repo), okCodes: [128] });
  const oid = res.code === 0 ? res.stdout.toString('utf8').split('\n')[0].trim() : '';
  return /^[0-9a-f]{40}$/.test(oid) ? oid : null;
}

export async function log(dataDir: string, repo: string, commit: string, opts: { skip: number; limit: number; path?: string }): Promise<CommitInfo[]> {
  const args = ['log', '--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%s%x1e', `--skip=${opts.skip}`, `-n${opts.limit}`, commit, '--'];
  if (opts.path) args.push(opts.path);
  const res = await runGit(args, { env: env(dataDir, repo) });
  return res.stdout
    .toString('utf8')
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter(Boolean)
    .map((r) => {
      const [id, parents, author, email, date, subject] = r.split('\0');
      return { id, parents: parents ? parents.split(' ') : [], author, email, date, subject };
    });
}

function parseLsTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid, size] = rec.slice(0, tab).split(/ +/);
    const path = rec.slice(tab + 1);
    entries.push({ mode, type: type as TreeEntry['type'], oid, size: size === '-' ? null : Number(size), path, name: path.slice(path.lastIndexOf('/') + 1) });
  }
  return entries;
}

/** The entries of a folder (`''` = the root), folders first; null when the path is not a folder. */
export async function readTree(dataDir: string, repo: string, commit: string, path: string): Promise<TreeEntry[] | null> {
  const res = await runGit(['ls-tree', '-l', '-z', '--full-tree', commit, ...(path ? ['--', `${path}/`] : [])], { env: env(dataDir, repo) });
  const entries = parseLsTree(res.stdout);
  if (path && entries.length === 0) return null;
  return entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'tree' ? -1 : 1));
}

/** The entry at `path` in a commit, or null. */
export async function entryAt(dataDir: string, repo: string, commit: string, path: string): Promise<TreeEntry | null> {
  if (!path) return null;
  const res = await runGit(['ls-tree', '-l', '-z', '--full-tree', commit, '--', path], { env: env(dataDir, repo) });
  return parseLsTree(res.stdout).find((e) => e.path === path) ?? null;
}

/** The first `max` bytes of a blob (for showing text and recognising LFS pointers). */
export async function blobHead(dataDir: string, repo: string, oid: string, max: number): Promise<Buffer> {
  return (await runGit(['cat-file', 'blob', oid], { env: env(dataDir, repo), maxStdout: max })).stdout;
}

/** A blob as a stream (downloads); the caller pipes it and calls `stop` if the client goes away. */
export function blobStream(dataDir: string, repo: string, oid: string): { stream: Readable; stop: () => void } {
  const child = spawnGit(['cat-file', 'blob', oid], env(dataDir, repo));
  child.stdin.end();
  child.stderr.resume();
  return { stream: child.stdout, stop: () => killGit(child) };
}

/** sha256 of a blob's content, streamed. */
export function blobSha256(dataDir: string, repo: string, oid: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { stream } = blobStream(dataDir, repo, oid);
    const hash = createHash('sha256');
    stream.on('data', (c: Buffer) => hash.update(c));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/** A Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md), parsed. */
export function parseLfsPointer(head: Buffer, size: number): { oid: string; size: number } | null {
  if (size > 1024) return null;
  const text = head.toString('utf8');
  if (!text.startsWith('version https://git-lfs.github.com/spec/v1\n')) return null;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const bytes = /^size (\d+)$/m.exec(text)?.[1];
  return oid && bytes ? { oid, size: Number(bytes) } : null;
}

/** Text we can show: valid UTF-8 without NUL bytes. */
export function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    // `stream: true`: a character cut at the end of a truncated head is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}
