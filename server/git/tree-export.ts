import { Readable } from 'node:stream';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { gitEnv } from './env.js';
import { killGit, spawnGit } from './run.js';

/**
 * Reading a commit's whole tree out of a repository, file by file, for the return package (Rules
 * p.11, server/returns): `git ls-tree -r -z -l` lists it as it streams, and one `git cat-file --batch`
 * hands each blob back as a stream of exactly its size — so a tree of any size and files of any
 * size pass through in constant memory, with one git process for all the blobs.
 */

export interface TreeFile {
  /** 100644, 100755, 120000 (symlink: the blob is the link's target) or 160000 (submodule: no blob here). */
  mode: string;
  type: 'blob' | 'commit';
  oid: string;
  /** Blob size in bytes (0 for a submodule). */
  size: number;
  /** The path as UTF-8 text, or null when its bytes are not valid UTF-8. */
  path: string | null;
  /** The path's bytes exactly as git stores them. */
  rawPath: Buffer;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const COMMIT = /^[0-9a-f]{40}$/;

/** Every entry of the commit's tree, recursively, in git's (byte-wise path) order. */
export async function* walkTree(dataDir: string, repo: string, commit: string): AsyncGenerator<TreeFile> {
  if (!COMMIT.test(commit)) throw new Error(`walkTree: not a commit id: ${commit}`);
  const child = spawnGit(['ls-tree', '-r', '-z', '-l', '--full-tree', commit], gitEnv(dataDir, { GIT_DIR: repo }));
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 4096)));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      for (let nul = data.indexOf(0); nul >= 0; nul = data.indexOf(0)) {
        yield parseEntry(data.subarray(0, nul));
        data = data.subarray(nul + 1);
      }
      rest = Buffer.from(data);
    }
  } finally {
    killGit(child);
  }
  const code = await exited;
  if (code !== 0) throw new Error(`git ls-tree exited ${code}: ${stderr.trim()}`);
  if (rest.length) throw new Error('git ls-tree: truncated output');
}

/** `<mode> SP <type> SP <oid> SP+ <size> TAB <path>` */
function parseEntry(record: Buffer): TreeFile {
  const tab = record.indexOf(9);
  const [mode, type, oid, size] = record.subarray(0, tab).toString('latin1').trim().split(/ +/);
  if (tab < 0 || (type !== 'blob' && type !== 'commit')) throw new Error(`git ls-tree: unexpected entry ${record.toString('latin1').slice(0, 200)}`);
  const rawPath = Buffer.from(record.subarray(tab + 1));
  let path: string | null;
  try {
    path = utf8.decode(rawPath);
  } catch {
    path = null;
  }
  return { mode, type, oid, size: size === '-' ? 0 : Number(size), path, rawPath };
}

/**
 * One `git cat-file --batch` process answering blob reads one at a time: `open(oid)` resolves with
 * the size and a stream of exactly that many bytes; the next `open` may only follow once that stream
 * has ended. Backpressure reaches git: while the consumer is slow, git's stdout is paused.
 */
export class BlobStreams {
  private readonly child: ChildProcessWithoutNullStreams;
  private state: 'idle' | 'header' | 'body' | 'lf' = 'idle';
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (v: { size: number; stream: Readable }) => void; reject: (e: Error) => void } | null = null;
  private body: Readable | null = null;
  private remaining = 0;
  private failure: Error | null = null;

  constructor(dataDir: string, repo: string) {
    this.child = spawnGit(['cat-file', '--batch'], gitEnv(dataDir, { GIT_DIR: repo }));
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.on('data', (data: Buffer) => {
      try {
        this.onData(data);
      } catch (err) {
        this.fail(err as Error);
      }
    });
    this.child.on('error', (err) => this.fail(err));
    this.child.on('close', (code) => this.fail(new Error(`git cat-file --batch exited ${code}`)));
  }

  open(oid: string): Promise<{ size: number; stream: Readable }> {
    if (this.failure) return Promise.reject(this.failure);
    // The previous blob must have been read to its end; only its trailing LF may still be on its way.
    if ((this.state !== 'idle' && this.state !== 'lf') || this.waiting) return Promise.reject(new Error('BlobStreams: the previous blob is still being read'));
    if (!COMMIT.test(oid)) return Promise.reject(new Error(`BlobStreams: not an object id: ${oid}`));
    if (this.state === 'idle') this.state = 'header';
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.stdin.write(oid + '\n');
    });
  }

  /** The whole content of a small blob (at most `max` bytes, else an error). */
  async readAll(oid: string, max: number): Promise<Buffer> {
    const { size, stream } = await this.open(oid);
    if (size > max) {
      stream.destroy();
      throw new Error(`BlobStreams: ${oid} is ${size} bytes, more than ${max}`);
    }
    const parts: Buffer[] = [];
    for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
    return Buffer.concat(parts);
  }

  close(): void {
    this.failure ??= new Error('BlobStreams: closed');
    this.child.stdin.end();
    killGit(this.child);
  }

  private onData(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.state === 'header') {
        const nl = data.indexOf(10);
        if (nl < 0) {
          this.pending = Buffer.from(data);
          return;
        }
        const [oid, type, size] = data.subarray(0, nl).toString('latin1').split(' ');
        data = data.subarray(nl + 1);
        const waiting = this.waiting!;
        this.waiting = null;
        if (type !== 'blob' || size === undefined) {
          this.state = 'idle';
          waiting.reject(new Error(`git cat-file: ${oid} is ${type === 'missing' ? 'missing' : `a ${type}, not a blob`}`));
          continue;
        }
        this.remaining = Number(size);
        const body = new Readable({ read: () => void this.child.stdout.resume() });
        this.body = body;
        this.state = 'body';
        if (this.remaining === 0) this.endBody();
        waiting.resolve({ size: Number(size), stream: body });
      } else if (this.state === 'body') {
        const take = Math.min(this.remaining, data.length);
        this.remaining -= take;
        const more = this.body!.push(data.subarray(0, take));
        data = data.subarray(take);
        if (this.remaining === 0) this.endBody();
        else if (!more) this.child.stdout.pause();
      } else if (this.state === 'lf') {
        data = data.subarray(1);
        this.state = this.waiting ? 'header' : 'idle';
      } else {
        throw new Error('git cat-file: output nobody asked for');
      }
    }
  }

  private endBody(): void {
    this.body!.push(null);
    this.body = null;
    this.state = 'lf';
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.waiting?.reject(err);
    this.waiting = null;
    this.body?.destroy(err);
    this.body = null;
  }
}
