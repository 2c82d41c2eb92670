import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InPlaceHash } from './hash-worker.js';
import { writeAt } from './write-at.js';

/**
 * Direct I/O (`O_DIRECT`) for the blob store's writes: the body goes from a few reused, page-aligned
 * buffers straight to the disk, not through the page cache.
 *
 * Why: on the virtual machines Qoima runs on, copying a multi-GiB body into the page cache costs more
 * CPU than anything else the upload does whenever the kernel hands out memory pages the host has not
 * backed yet — and a guest that gives its free pages back to the host hands out such pages all the
 * time (a 2 GiB `dd` into the page cache: 3.2 s of system time with fresh pages, 0.3 s with pages
 * used before; the server's writes of a 1 GiB LFS object: 2.2 CPU-s). A deposit is not read again
 * soon, so the page cache gains nothing from it. Measured in docs/benchmarks.md ("direct I/O").
 *
 * Only the blob store (blobs.ts) uses this file.
 */

export const CREATE_NEW = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
/** Offsets and lengths of direct writes are multiples of this (the filesystem's block; the device's is 512). */
const ALIGN = 4096;
/** One buffer: filled from the body, hashed in one call, written in one call. */
const BUFFER_BYTES = 1 << 20;
/** Buffers of one write being written at once: the disk takes these while the body fills the next. */
const IN_FLIGHT = 7;
const WASM_PAGE = 64 * 1024;
/**
 * Buffer sets that exist at most (one per write running at once; more writes go through the page
 * cache). Each set is a `WebAssembly.Memory` — the one allocation in Node that is page-aligned, as
 * `O_DIRECT` requires of the memory it writes from — and V8 reserves ~10 GiB of address space for
 * each, within a limit of its own: sets are kept and reused, never made per write.
 */
const MAX_SETS = 8;

export interface DirectBuffers {
  /** The memory of the set, shared with the hashing worker. */
  readonly shared: SharedArrayBuffer;
  readonly buffers: readonly Buffer[];
}

const idle: DirectBuffers[] = [];
let made = 0;

/** A set of aligned buffers for one write, or null when `MAX_SETS` are in use (or none can be made). */
export function takeDirectBuffers(): DirectBuffers | null {
  const kept = idle.pop();
  if (kept) return kept;
  if (made >= MAX_SETS) return null;
  const pages = ((IN_FLIGHT + 1) * BUFFER_BYTES) / WASM_PAGE;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null; // address space refused: the page cache it is
  }
  made++;
  // A shared memory's buffer is a SharedArrayBuffer (lib.dom's types say ArrayBuffer).
  const shared = memory.buffer as unknown as SharedArrayBuffer;
  return { shared, buffers: Array.from({ length: IN_FLIGHT + 1 }, (_, i) => Buffer.from(shared, i * BUFFER_BYTES, BUFFER_BYTES)) };
}

/** Gives a set back once no write from it is in flight. */
export function releaseDirectBuffers(set: DirectBuffers): void {
  idle.push(set);
}

/**
 * Streams the body into `file` (opened with `O_DIRECT`): each chunk is passed to `onChunk` (which
 * may throw to stop), copied into the buffer being filled; a full buffer is written and hashed (on
 * the hashing worker, hash-worker.ts) while the next fills, up to `IN_FLIGHT` at once; a buffer is
 * filled again once both are done with it, and the body is not read further while none is free
 * (backpressure). The last buffer is written padded to the block and the file cut to the body's
 * size. Returns the size and the SHA-256; the caller fsyncs. A failure is thrown after the writes
 * and hashes in flight settle (the buffers are free again when this returns or throws).
 */
export async function streamDirect(body: Readable, file: FileHandle, set: DirectBuffers, onChunk: (chunk: Buffer, size: number) => void): Promise<{ size: number; oid: string }> {
  const free = [...set.buffers];
  const hash = new InPlaceHash(set.shared);
  const inFlight = new Set<Promise<void>>();
  const failure: { err?: unknown } = {};
  let size = 0;
  let position = 0;
  let current: Buffer | null = null;
  let fill = 0;
  /** Writes `bytes` of `buffer` (padded: `written`) and hashes `bytes` of it; the buffer is free again after both. */
  const submit = (buffer: Buffer, bytes: number, written = bytes) => {
    const work = Promise.all([writeAt(file, buffer.subarray(0, written), position), hash.update(buffer.byteOffset, bytes)])
      .then(() => undefined)
      .catch((err: unknown) => {
        if (!('err' in failure)) failure.err = err;
      })
      .finally(() => free.push(buffer));
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    position += written;
  };
  let digest: string;
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        onChunk(chunk, size);
        for (let taken = 0; taken < chunk.length; ) {
          while (!current && !free.length) await Promise.race(inFlight);
          if ('err' in failure) throw failure.err;
          current ??= free.pop()!;
          const n = chunk.copy(current, fill, taken);
          fill += n;
          taken += n;
          if (fill < BUFFER_BYTES) continue;
          submit(current, fill);
          current = null;
          fill = 0;
        }
      }
      if (current && fill > 0) {
        const padded = Math.ceil(fill / ALIGN) * ALIGN;
        current.fill(0, fill, padded);
        submit(current, fill, padded);
      }
    } finally {
      await Promise.all(inFlight);
    }
    if ('err' in failure) throw failure.err;
    digest = await hash.digest();
  } catch (err) {
    hash.drop();
    throw err;
  }
  if (position !== size) await file.truncate(size);
  return { size, oid: digest };
}

/**
 * Whether the filesystem of `dir` takes direct writes from page-aligned memory (some — older tmpfs,
 * some FUSE and network mounts — refuse `O_DIRECT` at open or at the first write): one block written
 * to a probe file, then removed. Anything but success means writes through the page cache.
 */
export async function probeDirectIo(dir: string): Promise<boolean> {
  if (fsConstants.O_DIRECT === undefined) return false;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `.direct-io-probe-${randomBytes(6).toString('hex')}`);
  const set = takeDirectBuffers();
  if (!set) return false;
  try {
    const file = await open(path, CREATE_NEW | fsConstants.O_DIRECT, 0o600);
    try {
      return (await file.write(set.buffers[0], 0, ALIGN, 0)).bytesWritten === ALIGN;
    } finally {
      await file.close();
    }
  } catch {
    return false;
  } finally {
    releaseDirectBuffers(set);
    await unlink(path).catch(() => undefined);
  }
}
