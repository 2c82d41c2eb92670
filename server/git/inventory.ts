import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { gitEnv } from './env.js';
import { killGit, runGit, spawnGit } from './run.js';

/**
 * Every file of a commit, streamed: `git ls-tree -r -z` lists the tree while `git cat-file --batch`
 * processes read each blob once — its size, the SHA-256 of its content, its first bytes (file type
 * by magic numbers) and whether it is a Git LFS pointer. Nothing is held beyond a bounded window:
 * a few hundred entries in flight, each blob's first bytes, and the whole content only of the small
 * files the caller asks for (BUILD.md, dependency manifests). So a commit of 100 000 files (or of a
 * few 50 MB blobs) walks in bounded memory; docs/benchmarks.md has the figures.
 *
 * Why not `ls-tree -l`: cat-file reports each size anyway, so `-l` would look every object up twice.
 * Why several cat-file processes: inflating objects is git's CPU work and the walk is CPU-bound on
 * small files; the blobs are dealt out in chunks and handed back in tree order.
 */
export interface WalkEntry {
  path: string;
  /** Tree entry mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  type: 'blob' | 'commit';
  /** git's object id (SHA-1). */
  oid: string;
  /** Bytes as stored in git (for an LFS file: the pointer's size); 0 for a submodule. */
  size: number;
  /** SHA-256 of the content as stored in git; null for a submodule or a missing object. */
  sha256: string | null;
  /** The first HEAD_BYTES bytes of the content (magic numbers). */
  head: Buffer;
  /** A Git LFS pointer: the object it names. */
  lfs: { oid: string; size: number } | null;
  /** The whole content, when the caller's `wantContent` asked for it. */
  content: Buffer | null;
  /** The object is not in the repository (a damaged or partial repository). */
  missing: boolean;
}

export interface WalkOptions {
  /** Whether to keep this file's whole content (asked before reading; only files ≤ maxContentBytes). */
  wantContent?: (path: string) => boolean;
  maxContentBytes?: number;
  /** cat-file processes reading blobs in parallel (default 2). */
  readers?: number;
  /** Entries per chunk handed to a reader (default 256). */
  chunkSize?: number;
}

export const HEAD_BYTES = 512;
/** The Git LFS spec caps a pointer file at 1024 bytes. */
const MAX_POINTER_BYTES = 1024;
const POINTER_PREFIX = Buffer.from('version https://git-lfs.github.com/spec/v1\n');

/** A Git LFS pointer file (spec v1), or null. */
export function lfsPointerOf(content: Buffer): { oid: string; size: number } | null {
  if (content.length > MAX_POINTER_BYTES || !content.subarray(0, POINTER_PREFIX.length).equals(POINTER_PREFIX)) return null;
  const text = content.toString('utf8');
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return oid && size ? { oid, size: Number(size) } : null;
}

/** The commit a ref names in this repository, or null (plain names only: no options, no revision syntax). */
export async function commitOf(dataDir: string, repo: string, ref: string): Promise<string | null> {
  if (!/^[\p{L}\p{N}_][\p{L}\p{N}._\-/+@]{0,254}$/u.test(ref) || ref.includes('..') || ref.includes('@{')) return null;
  const env = gitEnv(dataDir, { GIT_DIR: repo });
  const res = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { env, okCodes: [1, 128] });
  const oid = res.stdout.toString('utf8').trim();
  if (res.code !== 0 || !/^[0-9a-f]{40}$/.test(oid)) return null;
  // A commit id present in the object store but on no branch or tag (left by an aborted push) is not
  // part of the deposit: only what a ref reaches counts.
  const reach = await runGit(['for-each-ref', '--count=1', '--contains', oid, '--format=%(refname)', 'refs/heads', 'refs/tags'], { env });
  return reach.stdout.length > 0 ? oid : null;
}

interface Pending {
  entry: WalkEntry;
  keep: boolean;
}

interface Chunk {
  seq: number;
  items: Pending[];
  /** Blobs not yet answered by git. */
  remaining: number;
}

interface Reading {
  p: Pending;
  chunk: Chunk;
  size: number;
  got: number;
  hash: Hash | null;
  /** The first bytes (up to a pointer's maximum), copied. */
  first: Buffer[];
  firstLen: number;
  /** The whole content, when kept. */
  parts: Buffer[] | null;
}

/** One `git cat-file --batch` process and the parser of its output, answered in the order asked. */
class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: { chunk: Chunk; p: Pending }[] = [];
  private qHead = 0;
  private header: Buffer | null = null;
  private current: Reading | null = null;
  private skipLf = false;
  readonly closed: Promise<void>;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly maxContent: number,
    private readonly onChunkDone: (chunk: Chunk) => void,
    onError: (err: Error) => void,
  ) {
    this.child = spawnGit(['cat-file', '--batch', '--buffer'], env);
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (data: Buffer) => {
      try {
        this.parse(data);
      } catch (err) {
        onError(err as Error);
      }
    });
    this.closed = new Promise((resolve) => {
      this.child.on('error', (err) => {
        onError(err);
        resolve();
      });
      this.child.on('close', (code, sig) => {
        if (code !== 0 && sig === null) onError(new Error(`git cat-file --batch exited ${code}`));
        resolve();
      });
    });
  }

  /** Asks for the blobs of a chunk; false when the pipe is full (wait for `onDrain`). */
  write(chunk: Chunk, blobs: Pending[]): boolean {
    for (const p of blobs) this.queue.push({ chunk, p });
    return this.child.stdin.write(blobs.map((p) => p.entry.oid).join('\n') + '\n');
  }

  onDrain(fn: () => void): void {
    this.child.stdin.once('drain', fn);
  }

  end(): void {
    this.child.stdin.end();
  }

  kill(): void {
    killGit(this.child);
  }

  private next(): { chunk: Chunk; p: Pending } {
    const item = this.queue[this.qHead++];
    if (!item) throw new Error('git cat-file answered an object that was not asked for');
    if (this.qHead >= 4096) {
      this.queue.splice(0, this.qHead);
      this.qHead = 0;
    }
    return item;
  }

  private parse(data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      if (this.skipLf) {
        pos++; // the newline after each object's content
        this.skipLf = false;
        continue;
      }
      const cur = this.current;
      if (cur) {
        const take = Math.min(cur.size - cur.got, data.length - pos);
        const piece = data.subarray(pos, pos + take);
        pos += take;
        cur.got += take;
        if (cur.got === cur.size && cur.hash === null) {
          // The whole object in one piece (most small files): a one-shot hash, no copies but what is kept.
          this.complete(cur, oneShotHash('sha256', piece), piece, cur.parts ? piece : null);
          continue;
        }
        cur.hash ??= createHash('sha256');
        cur.hash.update(piece);
        if (cur.firstLen < MAX_POINTER_BYTES) {
          const bit = Buffer.from(piece.subarray(0, MAX_POINTER_BYTES - cur.firstLen));
          cur.first.push(bit);
          cur.firstLen += bit.length;
        }
        cur.parts?.push(Buffer.from(piece));
        if (cur.got === cur.size) this.complete(cur, cur.hash.digest('hex'), Buffer.concat(cur.first), cur.parts ? Buffer.concat(cur.parts) : null);
        continue;
      }
      const nl = data.indexOf(10, pos);
      if (nl < 0) {
        this.header = this.header ? Buffer.concat([this.header, data.subarray(pos)]) : Buffer.from(data.subarray(pos));
        return;
      }
      const line = (this.header ? Buffer.concat([this.header, data.subarray(pos, nl)]) : data.subarray(pos, nl)).toString('latin1');
      this.header = null;
      pos = nl + 1;
      const { chunk, p } = this.next();
      const [, type, sizeText] = line.split(' ');
      if (type === 'missing' || sizeText === undefined) {
        p.entry.missing = true;
        this.done(chunk);
        continue;
      }
      const size = Number(sizeText);
      p.entry.size = size;
      const reading: Reading = { p, chunk, size, got: 0, hash: null, first: [], firstLen: 0, parts: p.keep && size <= this.maxContent ? [] : null };
      if (size === 0) this.complete(reading, EMPTY_SHA256, EMPTY, reading.parts ? EMPTY : null);
      else this.current = reading;
    }
  }

  private complete(r: Reading, sha256: string, first: Buffer, whole: Buffer | null): void {
    const e = r.p.entry;
    e.sha256 = sha256;
    e.head = Buffer.from(first.subarray(0, HEAD_BYTES));
    e.lfs = e.size <= MAX_POINTER_BYTES ? lfsPointerOf(first) : null;
    e.content = whole ? Buffer.from(whole) : null;
    this.current = null;
    this.skipLf = true;
    this.done(r.chunk);
  }

  private done(chunk: Chunk): void {
    if (--chunk.remaining === 0) this.onChunkDone(chunk);
  }
}

const EMPTY = Buffer.alloc(0);
const EMPTY_SHA256 = oneShotHash('sha256', EMPTY);

/**
 * Walks every file of `commit`, yielding entries in tree order, in batches. Stop early by breaking
 * out of the loop: the git processes are ended.
 */
export async function* walkCommit(dataDir: string, repo: string, commit: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry[]> {
  const env = gitEnv(dataDir, { GIT_DIR: repo });
  const chunkSize = opts.chunkSize ?? 256;
  const maxInFlight = 1000;
  let error: Error | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const fail = (err: Error) => {
    error ??= err;
    signal();
  };

  const done = new Map<number, Chunk>();
  const readers = Array.from({ length: Math.max(1, opts.readers ?? 2) }, () =>
    new BlobReader(env, opts.maxContentBytes ?? 1024 * 1024, (chunk) => {
      done.set(chunk.seq, chunk);
      signal();
    }, fail),
  );
  const lister = spawnGit(['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit], env);
  lister.stdin.end();
  let listerErr = '';
  lister.stderr.setEncoding('utf8').on('data', (d: string) => (listerErr += d.slice(0, 2000)));
  let listed = false;
  lister.on('error', fail);
  lister.on('close', (code, sig) => {
    if (code !== 0) return fail(new Error(`git ls-tree failed (${code ?? sig}): ${listerErr.trim()}`));
    listed = true;
    signal();
  });

  let total = 0; // chunks dispatched
  let nextSeq = 0; // the next chunk to yield
  let turn = 0;
  let items: Pending[] = [];
  let rest: Buffer | null = null;
  let paused = false;
  const inFlight = () => total - nextSeq;
  const pause = () => {
    if (!paused) {
      paused = true;
      lister.stdout.pause();
    }
  };
  const maybeResume = () => {
    if (paused && inFlight() < maxInFlight) {
      paused = false;
      lister.stdout.resume();
    }
  };

  const dispatch = () => {
    if (!items.length) return;
    const blobs = items.filter((p) => p.entry.type === 'blob');
    const chunk: Chunk = { seq: total++, items, remaining: blobs.length };
    items = [];
    if (!blobs.length) {
      done.set(chunk.seq, chunk); // only submodules: nothing to ask git
      return;
    }
    const reader = readers[turn++ % readers.length];
    if (!reader.write(chunk, blobs)) {
      pause();
      reader.onDrain(maybeResume);
    }
  };

  lister.stdout.on('data', (data: Buffer) => {
    const buf = rest ? Buffer.concat([rest, data]) : data;
    rest = null;
    let pos = 0;
    for (;;) {
      const nul = buf.indexOf(0, pos);
      if (nul < 0) break;
      const rec = buf.toString('utf8', pos, nul);
      pos = nul + 1;
      const tab = rec.indexOf('\t');
      const [mode, type, oid] = rec.slice(0, tab).split(' ');
      if (type !== 'blob' && type !== 'commit') continue;
      const path = rec.slice(tab + 1);
      const entry: WalkEntry = { path, mode, type, oid, size: 0, sha256: null, head: EMPTY, lfs: null, content: null, missing: false };
      items.push({ entry, keep: type === 'blob' && (opts.wantContent?.(path) ?? false) });
      if (items.length >= chunkSize) dispatch();
    }
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
    if (inFlight() >= maxInFlight) pause();
  });

  let ended = false;
  try {
    for (;;) {
      if (error) throw error;
      if (listed && !ended) {
        dispatch();
        for (const r of readers) r.end();
        ended = true;
      }
      const ready = done.get(nextSeq);
      if (ready) {
        done.delete(nextSeq);
        nextSeq++;
        maybeResume();
        yield ready.items.map((p) => p.entry);
        continue;
      }
      if (ended && nextSeq === total) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (error || done.has(nextSeq) || (listed && !ended)) signal();
      });
    }
    await Promise.all(readers.map((r) => r.closed));
    if (error) throw error;
  } finally {
    if (!ended || error || nextSeq !== total) {
      killGit(lister);
      for (const r of readers) r.kill();
    }
  }
}
