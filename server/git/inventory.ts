import { BlobReader, type Chunk } from './blob-reader.js';
import { gitEnv } from './env.js';
import type { Digest, DigestCache } from './digests.js';
import { killGit, runGit, spawnGit } from './run.js';

export { DigestCache, lfsPointerOf, type Digest, type Magic } from './digests.js';

/**
 * Every file of a commit, streamed: `git ls-tree -r -z` lists the tree while `git cat-file --batch`
 * processes read each blob once — its size, the SHA-256 of its content, its first bytes (file type by
 * magic numbers) and whether it is a Git LFS pointer. Nothing is held beyond a bounded window: a few
 * thousand entries in flight, and the whole content only of the small files the caller asks for
 * (BUILD.md, dependency manifests). So a commit of 100 000 files, or of a few 50 MB blobs, walks in
 * bounded memory (docs/benchmarks.md has the figures).
 *
 * A blob's digest depends only on its git object id, so a DigestCache skips reading blobs already
 * seen (the same commit inventoried again, or a new version that changed a few files): the walk is
 * then `ls-tree` plus a lookup. `ls-tree` runs without `-l`: cat-file reports each size anyway.
 */
export interface WalkEntry extends Digest {
  path: string;
  /** Tree entry mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  type: 'blob' | 'commit';
  /** git's object id (SHA-1). */
  oid: string;
  /** The whole content, when the caller's `wantContent` asked for it (≤ maxContentBytes). */
  content: Buffer | null;
  /** The object is not in the repository (a damaged repository). */
  missing: boolean;
}

export interface WalkOptions {
  /** Whether to keep this file's whole content (asked before reading; only files ≤ maxContentBytes). */
  wantContent?: (path: string) => boolean;
  maxContentBytes?: number;
  /** cat-file processes reading blobs in parallel (default 2). */
  readers?: number;
  cache?: DigestCache;
  /** Entries per batch handed to a reader (default 256). */
  chunkSize?: number;
}

const CHUNK = 256;
const MAX_IN_FLIGHT = 16;

/** The commit a ref names in this repository, or null (plain names only: no options, no revision syntax). */
export async function commitOf(dataDir: string, repo: string, ref: string): Promise<string | null> {
  if (!/^[\p{L}\p{N}_][\p{L}\p{N}._\-/+@]{0,254}$/u.test(ref) || ref.includes('..') || ref.includes('@{') || ref.endsWith('.lock')) return null;
  const env = gitEnv(dataDir, { GIT_DIR: repo });
  const res = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { env, okCodes: [1, 128] });
  const oid = res.stdout.toString('utf8').trim();
  if (res.code !== 0 || !/^[0-9a-f]{40}$/.test(oid)) return null;
  // A commit present in the object store but on no branch or tag (left by an aborted push) is not
  // part of the deposit: only what a ref reaches counts.
  const reach = await runGit(['for-each-ref', '--count=1', '--contains', oid, '--format=%(refname)', 'refs/heads', 'refs/tags'], { env });
  return reach.stdout.length > 0 ? oid : null;
}


/**
 * Walks every file of `commit`, yielding entries in tree order, in batches. Breaking out of the loop
 * ends the git processes.
 */
export async function* walkCommit(dataDir: string, repo: string, commit: string, opts: WalkOptions = {}): AsyncGenerator<WalkEntry[]> {
  const env = gitEnv(dataDir, { GIT_DIR: repo });
  const chunkSize = Math.max(1, opts.chunkSize ?? CHUNK);
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
  const ready = new Map<number, Chunk>();
  const onChunk = (c: Chunk) => {
    ready.set(c.seq, c);
    signal();
  };
  // cat-file processes start when the first blob needs reading: a walk served from the cache spawns none.
  const slots = Math.max(1, opts.readers ?? 2);
  const readers: BlobReader[] = [];
  const readerFor = (turn: number) =>
    (readers[turn % slots] ??= new BlobReader(env, { maxContent: opts.maxContentBytes ?? 1024 * 1024, cache: opts.cache, onChunk, onError: fail, onDrain: () => maybeResume() }));
  const lister = spawnGit(['ls-tree', '-r', '-z', '--full-tree', commit], env);
  lister.stdin.end();
  let listerErr = '';
  lister.stderr.setEncoding('utf8').on('data', (d: string) => (listerErr = (listerErr + d).slice(0, 2000)));
  let listed = false;
  lister.on('error', fail);
  lister.on('close', (code, sig) => {
    if (code !== 0) return fail(new Error(`git ls-tree failed (${code ?? sig}): ${listerErr.trim()}`));
    listed = true;
    signal();
  });

  let total = 0; // chunks made
  let yielded = 0;
  let turn = 0;
  let entries: WalkEntry[] = [];
  let keeps: boolean[] = [];
  let rest: Buffer | null = null;
  let paused = false;
  // The listing pauses when a reader's input pipe is full, or when the caller is behind (the next chunk
  // is ready but not taken). Never merely because a chunk is still unanswered: with `--buffer`, git
  // holds the last object's output until more input (or the end) comes, so waiting for it with the
  // input withheld would wait forever. Memory stays bounded by the pipes' capacity either way.
  const busy = () => readers.some((r) => r.full) || (ready.has(yielded) && total - yielded >= MAX_IN_FLIGHT);
  const maybeResume = () => {
    if (paused && !busy()) {
      paused = false;
      lister.stdout.resume();
    }
  };

  const dispatch = () => {
    if (!entries.length) return;
    const chunk: Chunk = { seq: total++, entries, remaining: 0 };
    let reader: BlobReader | null = null;
    let from = 0;
    entries.forEach((e, i) => {
      if (e.type !== 'blob') return;
      const known = keeps[i] ? undefined : opts.cache?.get(e.oid);
      if (known) Object.assign(e, known);
      else {
        if (!reader) {
          reader = readerFor(turn++);
          from = reader.count;
        }
        chunk.remaining++;
        reader.ask(chunk, e, keeps[i]);
      }
    });
    entries = [];
    keeps = [];
    if (!reader) onChunk(chunk);
    else (reader as BlobReader).flush(from);
  };

  lister.stdout.on('data', (data: Buffer) => {
    const buf = rest ? Buffer.concat([rest, data]) : data;
    rest = null;
    let pos = 0;
    for (let nul = buf.indexOf(0, pos); nul >= 0; nul = buf.indexOf(0, pos)) {
      // `<mode> SP <type> SP <oid> TAB <path> NUL`
      const sp1 = buf.indexOf(32, pos);
      const sp2 = buf.indexOf(32, sp1 + 1);
      const tab = buf.indexOf(9, sp2 + 1);
      const type = buf.toString('latin1', sp1 + 1, sp2);
      if (type === 'blob' || type === 'commit') {
        const path = buf.toString('utf8', tab + 1, nul);
        entries.push({ path, mode: buf.toString('latin1', pos, sp1), type, oid: buf.toString('latin1', sp2 + 1, tab), size: 0, sha256: null, lfs: null, magic: 'empty', content: null, missing: false });
        keeps.push(type === 'blob' && (opts.wantContent?.(path) ?? false));
        if (entries.length >= chunkSize) dispatch();
      }
      pos = nul + 1;
    }
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
    if (busy() && !paused) {
      paused = true;
      lister.stdout.pause();
    }
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
      const chunk = ready.get(yielded);
      if (chunk) {
        ready.delete(yielded);
        yielded++;
        maybeResume();
        yield chunk.entries;
        continue;
      }
      if (ended && yielded === total) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (error || ready.has(yielded) || (listed && !ended)) signal();
      });
    }
    await Promise.all(readers.map((r) => r.closed));
    if (error) throw error;
  } finally {
    if (!ended || error || yielded !== total) {
      killGit(lister);
      for (const r of readers) r.kill();
    }
  }
}
