import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

  constructor(readonly root: string) {
    this.tmp = join(root, 'tmp');
  }

  pathOf(oid: string): string {
    if (!OID.test(oid)) throw new Error(`not an oid: ${oid}`);
    return join(this.root, oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  async write(body: Readable, opts: WriteOptions = {}): Promise<StoredBlob> {
    const { path: tmpPath, oid, size } = await spool(body, this.tmp, opts);
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
    const spooled = await spool(body, this.tmp, opts);
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

/**
 * Writes every byte to the open file and fsyncs it before the pipeline reports success. Chunks that
 * queue up while a write is in flight go down together in one writev (network chunks are small).
 */
function fileSink(file: FileHandle): Writable {
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, done) {
      writeFully(file, chunk).then(() => done(), done);
    },
    writev(chunks, done) {
      writeFully(file, Buffer.concat(chunks.map((c) => c.chunk as Buffer))).then(() => done(), done);
    },
    final(done) {
      file.sync().then(() => done(), done);
    },
  });
}

async function writeFully(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

export interface Spooled {
  path: string;
  oid: string;
  size: number;
}

/**
 * Streams a body into a new temp file in `dir` while hashing it, fsyncs it, and checks the promised
 * hash and size: the file is the caller's to rename or remove. On any failure nothing is left.
 */
export async function spool(body: Readable, dir: string, opts: WriteOptions = {}): Promise<Spooled> {
  await mkdir(dir, { recursive: true });
  const tmpPath = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (opts.maxSize !== undefined && size > opts.maxSize) return done(new BlobWriteError('too_large'));
      if (opts.expectedSize !== undefined && size > opts.expectedSize) return done(new BlobWriteError('size_mismatch'));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const file = await open(tmpPath, 'wx', 0o640);
  try {
    await pipeline(body, meter, fileSink(file));
  } catch (err) {
    await file.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw mapWriteError(err);
  }
  await file.close();
  const oid = hash.digest('hex');
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
