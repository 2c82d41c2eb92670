import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { lfsPointerOf, MAX_POINTER_BYTES, sniff, type Digest, type DigestCache } from './digests.js';
import type { WalkEntry } from './inventory.js';
import { killGit, spawnGit } from './run.js';

/** What sniffing and pointer parsing look at: the tar magic sits at offset 257, a pointer is ≤ 1024 bytes. */
const FIRST_BYTES = 1024;
const EMPTY = Buffer.alloc(0);
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** A batch of tree entries, handed back in order once git has answered all of its blobs. */
export interface Chunk {
  seq: number;
  entries: WalkEntry[];
  /** Blobs not yet answered by git. */
  remaining: number;
}

interface Reading {
  entry: WalkEntry;
  chunk: Chunk;
  keep: boolean;
  got: number;
  hash: Hash | null;
  first: Buffer[];
  firstLen: number;
  parts: Buffer[] | null;
}

/** One `git cat-file --batch` process and the parser of its output, answered in the order asked. */
export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly asked: { chunk: Chunk; entry: WalkEntry; keep: boolean }[] = [];
  private next = 0;
  private header: Buffer | null = null;
  private current: Reading | null = null;
  private skipLf = false;
  private waitingDrain = false;
  readonly closed: Promise<void>;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly opts: { maxContent: number; cache?: DigestCache; onChunk: (c: Chunk) => void; onError: (e: Error) => void; onDrain: () => void },
  ) {
    // `--filters` with a path that names nothing: git 2.39 then writes each object in one buffered
    // write instead of streaming it in two (half the syscalls on a pipe, the cost of a cold walk). No
    // attribute may convert the content: a bare repository has no work tree to read .gitattributes
    // from, and GIT_ATTR_SOURCE (git ≥ 2.40) points attributes at the empty tree. Tested against a
    // tree whose .gitattributes asks for eol and ident conversion (test/unit/deposits-walk.test.ts).
    this.child = spawnGit(['cat-file', '--batch', '--buffer', '--filters'], { ...env, GIT_ATTR_SOURCE: EMPTY_TREE });
    this.child.stderr.resume();
    this.child.stdin.on('error', () => undefined);
    this.child.stdin.on('drain', () => {
      this.waitingDrain = false;
      opts.onDrain();
    });
    this.child.stdout.on('data', (data: Buffer) => {
      try {
        this.parse(data);
      } catch (err) {
        opts.onError(err as Error);
      }
    });
    this.closed = new Promise((resolve) => {
      this.child.on('error', (err) => {
        opts.onError(err);
        resolve();
      });
      this.child.on('close', (code, signal) => {
        if (code !== 0 && signal === null) opts.onError(new Error(`git cat-file --batch exited ${code}`));
        resolve();
      });
    });
  }

  get full(): boolean {
    return this.waitingDrain;
  }

  ask(chunk: Chunk, entry: WalkEntry, keep: boolean): void {
    this.asked.push({ chunk, entry, keep });
  }

  /** Sends what was asked since the last flush. */
  flush(from: number): void {
    const lines = this.asked.slice(from).map((a) => a.entry.oid);
    if (lines.length && !this.child.stdin.write(lines.join(' x\n') + ' x\n')) this.waitingDrain = true;
  }

  get count(): number {
    return this.asked.length;
  }

  end(): void {
    this.child.stdin.end();
  }

  kill(): void {
    killGit(this.child);
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
        const take = Math.min(cur.entry.size - cur.got, data.length - pos);
        const piece = data.subarray(pos, pos + take);
        pos += take;
        cur.got += take;
        if (cur.got === cur.entry.size && cur.hash === null) {
          // The whole object in one piece (most files): a one-shot hash, no copies but what is kept.
          this.complete(cur, oneShotHash('sha256', piece), piece, cur.parts ? piece : null);
          continue;
        }
        cur.hash ??= createHash('sha256');
        cur.hash.update(piece);
        if (cur.firstLen < FIRST_BYTES) {
          const bit = Buffer.from(piece.subarray(0, FIRST_BYTES - cur.firstLen));
          cur.first.push(bit);
          cur.firstLen += bit.length;
        }
        cur.parts?.push(Buffer.from(piece));
        if (cur.got === cur.entry.size) this.complete(cur, cur.hash.digest('hex'), Buffer.concat(cur.first), cur.parts ? Buffer.concat(cur.parts) : null);
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
      const item = this.asked[this.next++];
      if (!item) throw new Error('git cat-file answered an object that was not asked for');
      if (this.next >= 4096) {
        this.asked.splice(0, this.next);
        this.next = 0;
      }
      const sizeText = line.slice(line.lastIndexOf(' ') + 1);
      if (line.endsWith(' missing') || !/^\d+$/.test(sizeText)) {
        item.entry.missing = true;
        this.done(item.chunk);
        continue;
      }
      item.entry.size = Number(sizeText);
      const keep = item.keep && item.entry.size <= this.opts.maxContent;
      const reading: Reading = { entry: item.entry, chunk: item.chunk, keep, got: 0, hash: null, first: [], firstLen: 0, parts: keep ? [] : null };
      if (item.entry.size === 0) this.complete(reading, oneShotHash('sha256', EMPTY), EMPTY, keep ? EMPTY : null);
      else this.current = reading;
    }
  }

  private complete(r: Reading, sha256: string, first: Buffer, whole: Buffer | null): void {
    const e = r.entry;
    const digest: Digest = { size: e.size, sha256, lfs: e.size <= MAX_POINTER_BYTES ? lfsPointerOf(first) : null, magic: sniff(first) };
    Object.assign(e, digest);
    e.content = whole ? Buffer.from(whole) : null;
    this.opts.cache?.set(e.oid, digest);
    this.current = null;
    this.skipLf = true;
    this.done(r.chunk);
  }

  private done(chunk: Chunk): void {
    if (--chunk.remaining === 0) this.opts.onChunk(chunk);
  }
}
