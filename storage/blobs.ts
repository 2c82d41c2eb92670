import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants as fsConstants, createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FlushBehind } from './flush-behind.js';
import { writeAt } from './write-at.js';
import { CREATE_NEW, probeDirectIo, releaseDirectBuffers, streamDirect, takeDirectBuffers } from './direct-io.js';

/** A SHA-256 object id: 64 lower-case hex digits. */
export const OID = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  oid: string;
  size: number;
  /** False when the object was already there (content-addressed: written once). */
  created: boolean;
}

export interface WriteOptions {
  /** The sha256 the writer promised; a mismatch stores nothing. */
  expectedOid?: string;
  expectedSize?: number;
  /** Larger bodies are cut off and nothing is stored. */
  maxSize?: number;
  /** Called with each chunk's length as it arrives. */
  onBodyBytes?: (bytes: number) => void;
}

/** Why a write stored nothing; the caller maps these to its own errors. */
export class BlobWriteError extends Error {
  constructor(readonly reason: 'hash_mismatch' | 'size_mismatch' | 'too_large' | 'no_space' | 'aborted', message?: string) {
    super(message ?? reason);
  }
}

/** The storage of large deposit files, content-addressed by SHA-256 (issue: large deposits §1). */
export interface BlobStore {
  write(body: Readable, opts?: WriteOptions): Promise<StoredBlob>;
  /** The size of a stored object, or null when it is not there. */
  size(oid: string): Promise<number | null>;
  read(oid: string, range?: { start: number; end: number }): ReadStream;
  remove(oid: string): Promise<void>;
  /** Every stored object with its size and modification time (for the sweep and the scrubber). */
  list(): AsyncGenerator<{ oid: string; size: number; mtimeMs: number }>;
  /** Object ids in ascending order after `after` (null: from the first) — the scrubber's resumable walk. */
  listAfter(after: string | null): AsyncGenerator<string>;
  /** The file of an object, for tools that need a path (git, archivers). */
  pathOf(oid: string): string;
  /** A body spooled (hashed, fsynced) into a temp file that is not an object: the caller hands it on and discards it. */
  stage(body: Readable, opts?: WriteOptions): Promise<Spooled & { discard(): Promise<void> }>;
}

/**
 * The local implementation: `<root>/aa/bb/<oid>`. A write streams into a temp file in the same
 * filesystem while hashing, fsyncs it, renames it into place and fsyncs the directory, so a 2xx
 * after `write` means the bytes are durable and a crash leaves at most a temp file, never a partial
 * object under its name. This module is the only code that touches blob files.
 */
export class LocalBlobStore implements BlobStore {
  private readonly tmp: string;

  private directIo: Promise<boolean> | undefined;

  /**
   * `onBodyBytes` sees every chunk's length as a write receives it (the server bounds its memory with
   * it); `directIo: false` keeps writes in the page cache (QOIMA_DIRECT_IO=off), else they go direct
   * where the filesystem takes it.
   */
  constructor(
    readonly root: string,
    private readonly hooks: { onBodyBytes?: (bytes: number) => void; directIo?: boolean } = {},
  ) {
    this.tmp = join(root, 'tmp');
    if (hooks.directIo === false) this.directIo = Promise.resolve(false);
  }

  /** Whether writes go past the page cache (direct-io.ts): unless turned off, probed once per store. */
  writesDirect(): Promise<boolean> {
    return (this.directIo ??= probeDirectIo(this.tmp));
  }

  private async spoolOptions(opts: WriteOptions): Promise<SpoolOptions> {
    return { ...opts, onBodyBytes: this.hooks.onBodyBytes, directIo: await this.writesDirect() };
  }

  pathOf(oid: string): string {
    if (!OID.test(oid)) throw new Error(`not an oid: ${oid}`);
    return join(this.root, oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async write(body: Readable, opts: WriteOptions = {}): Promise<StoredBlob> {
    const { path: tmpPath, oid, size } = await spool(body, this.tmp, await this.spoolOptions(opts));
    const target = this.pathOf(oid);
    if ((await this.size(oid)) === size) {
      await unlink(tmpPath);
      return { oid, size, created: false };
    }
    try {
      await mkdir(join(this.root, oid.slice(0, 2), oid.slice(2, 4)), { recursive: true });
      await rename(tmpPath, target);
      await fsyncDir(join(this.root, oid.slice(0, 2), oid.slice(2, 4)));
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      throw mapWriteError(err);
    }
    return { oid, size, created: true };
  }

  async stage(body: Readable, opts: WriteOptions = {}): Promise<Spooled & { discard(): Promise<void> }> {
    const spooled = await spool(body, this.tmp, await this.spoolOptions(opts));
    return { ...spooled, discard: () => unlink(spooled.path).catch(() => undefined) };
  }

  async size(oid: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(oid))).size;
    } catch {
      return null;
    }
  }

  read(oid: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(oid), { ...range, highWaterMark: 1 << 20 });
  }

  async remove(oid: string): Promise<void> {
    await rm(this.pathOf(oid), { force: true });
  }

  async *list(): AsyncGenerator<{ oid: string; size: number; mtimeMs: number }> {
    for (const a of await readdirOrEmpty(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await readdirOrEmpty(join(this.root, a))) {
        for (const oid of await readdirOrEmpty(join(this.root, a, b))) {
          if (!OID.test(oid)) continue;
          const s = await stat(join(this.root, a, b, oid));
          yield { oid, size: s.size, mtimeMs: s.mtimeMs };
        }
      }
    }
  }

  async *listAfter(after: string | null): AsyncGenerator<string> {
    const from = after ?? '';
    for (const a of (await readdirOrEmpty(this.root)).filter((n) => /^[0-9a-f]{2}$/.test(n) && n >= from.slice(0, 2)).sort()) {
      for (const b of (await readdirOrEmpty(join(this.root, a))).filter((n) => /^[0-9a-f]{2}$/.test(n) && a + n >= from.slice(0, 4)).sort()) {
        for (const oid of (await readdirOrEmpty(join(this.root, a, b))).filter((n) => OID.test(n) && n > from).sort()) yield oid;
      }
    }
  }

  /** Temp files older than `olderThanMs` (left by a crash mid-write) are removed. */
  async sweepTemp(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdirOrEmpty(this.tmp)) {
      const path = join(this.tmp, name);
      const s = await stat(path).catch(() => null);
      if (s && now - s.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** Bytes gathered from the body before they go down to the file in one positioned writev. */
const BATCH_BYTES = 1 << 20;
/** Batches being written at once: the next one gathers while these are in the kernel. */
const WRITES_IN_FLIGHT = 2;

/**
 * Streams the body into the open file, hashing every chunk in the same loop that gathers it (no
 * extra stream stage): chunks are gathered into batches of ~1 MiB written with one positioned
 * `writev` each, up to two batches in flight while the next one gathers; the body is not read further
 * while both are in flight (backpressure), so memory stays at a few MiB whatever the size. Far fewer
 * round trips to the thread pool than a write per network chunk, which matters on a loaded machine.
 * Returns the size; the caller fsyncs. Any failure is thrown after the writes in flight settle.
 */
async function streamInto(body: Readable, file: FileHandle, hash: Hash, opts: WriteOptions): Promise<number> {
  let size = 0;
  let position = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const inFlight = new Set<Promise<void>>();
  const failure: { err?: unknown } = {};
  const check = checkChunk(opts);
  // Flush-behind (see FlushBehind): the disk works while the body keeps arriving.
  const flush = new FlushBehind(file);
  const submit = () => {
    const write = writeAt(file, batch, position).catch((err: unknown) => {
      if (!('err' in failure)) failure.err = err;
    });
    const tracked = write.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    position += batchBytes;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      check(chunk, size);
      hash.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes < BATCH_BYTES && batch.length < 1024) continue; // many tiny chunks: one writev takes at most IOV_MAX
      while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
      if ('err' in failure) throw failure.err;
      flush.throwIfFailed();
      submit();
      flush.after(position, inFlight);
    }
    if (batchBytes > 0) submit();
  } finally {
    await Promise.all([...inFlight, flush.settled()]);
  }
  if ('err' in failure) throw failure.err;
  flush.throwIfFailed();
  return size;
}

/** What each chunk of a body is checked against as it arrives (the size so far is `size`); a failure stops the write. */
const checkChunk = (opts: WriteOptions) => (chunk: Buffer, size: number) => {
  if (opts.maxSize !== undefined && size > opts.maxSize) throw new BlobWriteError('too_large');
  if (opts.expectedSize !== undefined && size > opts.expectedSize) throw new BlobWriteError('size_mismatch');
  opts.onBodyBytes?.(chunk.length);
};

export interface SpoolOptions extends WriteOptions {
  /** Write with `O_DIRECT` (direct-io.ts); the filesystem must take it (`probeDirectIo`). */
  directIo?: boolean;
}

export interface Spooled {
  path: string;
  oid: string;
  size: number;
}

/**
 * Streams a body into a new temp file in `dir` while hashing it, fsyncs it, and checks the promised
 * hash and size: the file is the caller's to rename or remove. On any failure nothing is left (and
 * the body is destroyed, as `pipeline` would).
 */
export async function spool(body: Readable, dir: string, opts: SpoolOptions = {}): Promise<Spooled> {
  await mkdir(dir, { recursive: true });
  const tmpPath = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  // Direct writes need one of a bounded number of aligned buffer sets; without one, the page cache.
  const buffers = opts.directIo ? takeDirectBuffers() : null;
  let file: FileHandle;
  try {
    file = await open(tmpPath, CREATE_NEW | (buffers ? fsConstants.O_DIRECT : 0), 0o640);
  } catch (err) {
    if (buffers) releaseDirectBuffers(buffers);
    throw err;
  }
  let size: number;
  let oid: string;
  try {
    if (buffers) ({ size, oid } = await streamDirect(body, file, buffers, checkChunk(opts)));
    else {
      const hash = createHash('sha256');
      size = await streamInto(body, file, hash, opts);
      oid = hash.digest('hex');
    }
    await file.sync();
  } catch (err) {
    if (!body.destroyed) body.destroy();
    await file.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw mapWriteError(err);
  } finally {
    if (buffers) releaseDirectBuffers(buffers);
  }
  await file.close();
  if ((opts.expectedSize !== undefined && size !== opts.expectedSize) || (opts.expectedOid !== undefined && oid !== opts.expectedOid)) {
    await unlink(tmpPath).catch(() => undefined);
    throw new BlobWriteError(opts.expectedSize !== undefined && size !== opts.expectedSize ? 'size_mismatch' : 'hash_mismatch');
  }
  return { path: tmpPath, oid, size };
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function mapWriteError(err: unknown): Error {
  if (err instanceof BlobWriteError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new BlobWriteError('no_space');
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ABORT_ERR') return new BlobWriteError('aborted');
  return err as Error;
}
