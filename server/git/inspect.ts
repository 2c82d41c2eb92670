import { realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { gitEnv } from './env.js';
import { type LfsPointer, maybePointer, parsePointer } from './lfs-pointers.js';
import { runGit, spawnGit } from './run.js';

/**
 * What the push policy needs to know about a push still in quarantine (git-receive-pack(1),
 * "Quarantine environment"): the pushed objects sit in `objects/incoming-*` until pre-receive says
 * yes. Reading only that folder (GIT_OBJECT_DIRECTORY = quarantine, no alternates) lists exactly the
 * pushed objects, whatever their number, without walking history.
 */
export const ZERO_OID = /^0{40}$/;

export interface PushedObjects {
  /** Blobs larger than the limit: id and size (path found afterwards, for the message). */
  largeBlobs: { oid: string; size: number; path: string | null }[];
  /** Tree entries whose name git must never check out (`.git` in any spelling, `.`, `..`). */
  badNames: { tree: string; name: string }[];
  /** Git LFS pointers among the pushed blobs (push integrity, issue 5 §3). */
  lfsPointers: LfsPointer[];
}

/** The quarantine folder of a pre-receive, checked to be inside this repository's object store. */
export function quarantineOf(repo: string, quarantine: string | null): string | null {
  if (!quarantine) return null;
  try {
    const real = realpathSync(quarantine);
    const objects = realpathSync(join(repo, 'objects'));
    return real.startsWith(objects + sep) ? real : null;
  } catch {
    return null;
  }
}

/** The environment to read the repository with the pushed objects visible (pre-receive time). */
export function quarantineEnv(dataDir: string, repo: string, quarantine: string): NodeJS.ProcessEnv {
  return gitEnv(dataDir, { GIT_DIR: repo, GIT_OBJECT_DIRECTORY: quarantine, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(repo, 'objects'), GIT_QUARANTINE_PATH: quarantine });
}

/**
 * Everything the push policy reads from the pushed objects, in two git processes: one listing of the
 * quarantine (`--batch-check`: type and size of each object), then one `cat-file --batch` reading
 * the trees (for dangerous names) and the blobs small enough to be LFS pointers. (It was four: two
 * listings and two reads; each spawn stalls the server's event loop for a fork, docs/benchmarks.md.)
 */
export async function scanPushedObjects(dataDir: string, repo: string, quarantine: string, maxBlobBytes: number, newTips: string[]): Promise<PushedObjects> {
  // Only the quarantine: no alternates, so `--batch-all-objects` sees just what was pushed.
  // Streamed line by line: a push of a million objects is never held whole in memory.
  const onlyPushed = gitEnv(dataDir, { GIT_DIR: repo, GIT_OBJECT_DIRECTORY: quarantine });
  const largeBlobs: PushedObjects['largeBlobs'] = [];
  const toRead: string[] = [];
  await eachLine(['cat-file', '--batch-all-objects', '--unordered', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], onlyPushed, (line) => {
    const [oid, type, size] = line.split(' ');
    if (type === 'blob' && Number(size) > maxBlobBytes) largeBlobs.push({ oid, size: Number(size), path: null });
    if (type === 'tree' || (type === 'blob' && maybePointer(Number(size)))) toRead.push(oid);
  });
  const { badNames, lfsPointers } = toRead.length ? await readTreesAndPointers(onlyPushed, toRead) : { badNames: [], lfsPointers: [] };
  if (largeBlobs.length && newTips.length) await namePaths(quarantineEnv(dataDir, repo, quarantine), largeBlobs, newTips);
  return { largeBlobs, badNames, lfsPointers };
}

/** Runs git and hands each line of its output to `onLine`; rejects when git fails. */
function eachLine(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, env);
    let rest = '';
    let stderr = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 4096)));
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => {
      if (rest) onLine(rest);
      if (code === 0) resolve();
      else reject(new Error(`git ${args[0]} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** Unicode characters HFS+ ignores in names (fsck.c does the same): `.g\u200cit` is `.git` there. */
const IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** A tree entry name that could make a checkout write into `.git` or outside its folder. */
export function isDangerousName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return true;
  const folded = name.replace(IGNORABLE, '').toLowerCase().replace(/[ .]+$/, '');
  return folded === '.git' || folded === 'git~1';
}

/**
 * Reads trees and small blobs with one `cat-file --batch`, parsed as they stream (bounded memory):
 * dangerous names in the trees, LFS pointers among the blobs.
 */
function readTreesAndPointers(env: NodeJS.ProcessEnv, oids: string[]): Promise<Pick<PushedObjects, 'badNames' | 'lfsPointers'>> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(['cat-file', '--batch'], env);
    const badNames: PushedObjects['badNames'] = [];
    const lfsPointers: LfsPointer[] = [];
    let buffer: Buffer = Buffer.alloc(0);
    let current: { oid: string; type: string; size: number } | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        if (!current) {
          const nl = buffer.indexOf(10);
          if (nl < 0) return;
          const [oid, type, size] = buffer.subarray(0, nl).toString('latin1').split(' ');
          buffer = buffer.subarray(nl + 1);
          if (type === 'missing' || size === undefined) continue; // "<oid> missing": nothing follows
          current = { oid, type, size: Number(size) };
        }
        if (buffer.length < current.size + 1) return;
        const content = buffer.subarray(0, current.size);
        if (current.type === 'tree') {
          for (const name of treeEntryNames(content)) {
            if (isDangerousName(name)) badNames.push({ tree: current.oid, name });
          }
        } else if (current.type === 'blob') {
          const p = parsePointer(content);
          if (p) lfsPointers.push({ blob: current.oid, ...p });
        }
        buffer = buffer.subarray(current.size + 1);
        current = null;
      }
    });
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ badNames, lfsPointers }) : reject(new Error(`git cat-file --batch exited ${code}`))));
    child.stdin.end(oids.join('\n') + '\n');
  });
}

/** Entry names of a raw tree object: `<mode> <name>\0<20-byte id>` repeated. */
function* treeEntryNames(raw: Buffer): Generator<string> {
  let i = 0;
  while (i < raw.length) {
    const space = raw.indexOf(32, i);
    const nul = raw.indexOf(0, space + 1);
    if (space < 0 || nul < 0) return;
    yield raw.subarray(space + 1, nul).toString('utf8');
    i = nul + 21;
  }
}

/** Finds a path for each large blob among the newly pushed history (for a helpful message). */
async function namePaths(env: NodeJS.ProcessEnv, blobs: PushedObjects['largeBlobs'], tips: string[]): Promise<void> {
  const wanted = new Map(blobs.map((b) => [b.oid, b]));
  const child = spawnGit(['rev-list', '--objects', '--stdin', '--not', '--all'], env);
  await new Promise<void>((resolve) => {
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const blob = wanted.get(line.slice(0, 40));
        if (blob && !blob.path && line.length > 41) blob.path = line.slice(41);
      }
    });
    child.stderr.resume();
    child.stdin.on('error', () => undefined);
    child.on('error', () => resolve());
    child.on('close', () => resolve()); // paths only make the message nicer; the refusal stands without them
    child.stdin.end(tips.join('\n') + '\n');
  });
}

/** Is `ancestor` an ancestor of `descendant` (a fast-forward)? */
export async function isAncestor(env: NodeJS.ProcessEnv, ancestor: string, descendant: string): Promise<boolean> {
  const res = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], { env, okCodes: [1] });
  return res.code === 0;
}

/** The current value of each of these refs (absent refs are left out). */
export async function currentRefs(env: NodeJS.ProcessEnv, refs: string[]): Promise<Map<string, string>> {
  const res = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', '--', ...refs], { env });
  const wanted = new Set(refs);
  const out = new Map<string, string>();
  for (const line of res.stdout.toString('utf8').split('\n')) {
    const space = line.indexOf(' ');
    const ref = line.slice(space + 1);
    if (space > 0 && wanted.has(ref)) out.set(ref, line.slice(0, space));
  }
  return out;
}
