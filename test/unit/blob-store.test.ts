import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobWriteError, LocalBlobStore } from '../../storage/blobs.js';

let dir: string;
let store: LocalBlobStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qoima-blobs-'));
  store = new LocalBlobStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const leftovers = () => readdirSync(join(dir, 'tmp'));
async function objects() {
  const all = [];
  for await (const o of store.list()) all.push(o.oid);
  return all;
}

describe('local blob store', () => {
  it('stores content under its sha256 and reads it back, whole and by range', async () => {
    const data = Buffer.from('installer bytes \u04d9\u0493');
    const stored = await store.write(Readable.from([data]));
    expect(stored).toEqual({ oid: sha(data), size: data.length, created: true });
    expect(store.pathOf(stored.oid)).toBe(join(dir, stored.oid.slice(0, 2), stored.oid.slice(2, 4), stored.oid));
    expect(await text(store.read(stored.oid))).toBe(data.toString());
    expect(await text(store.read(stored.oid, { start: 0, end: 8 }))).toBe('installer');
    expect(await store.size(stored.oid)).toBe(data.length);
    expect(leftovers()).toEqual([]);
  });

  it('writes an object once: a second write of the same bytes is recognised', async () => {
    const data = randomBytes(100_000);
    expect((await store.write(Readable.from([data]))).created).toBe(true);
    expect((await store.write(Readable.from([data]))).created).toBe(false);
    expect(await objects()).toEqual([sha(data)]);
  });

  it('keeps every byte in order across batches, odd chunk sizes and runs of tiny chunks', async () => {
    // Batches of ~1 MiB go down with positioned writev, two at a time: chunk edges never line up
    // with batch edges here, and 3000 one-byte chunks in a row make a batch of many tiny buffers.
    const data = randomBytes(5 * 1024 * 1024 + 12345);
    function* chunks() {
      let at = 0;
      for (let n = 0; at < data.length; n++) {
        const size = n % 500 < 250 ? 7919 + (n % 13) * 1021 : 1;
        yield data.subarray(at, Math.min(at + size, data.length));
        at += size;
      }
    }
    const stored = await store.write(Readable.from(chunks()), { expectedOid: sha(data), expectedSize: data.length });
    expect(stored).toEqual({ oid: sha(data), size: data.length, created: true });
    expect(sha(readFileSync(store.pathOf(stored.oid)))).toBe(sha(data));
    expect(leftovers()).toEqual([]);
  });

  it('stores an empty file', async () => {
    const stored = await store.write(Readable.from([]));
    expect(stored.oid).toBe(sha(''));
    expect(stored.size).toBe(0);
  });

  it('stores nothing on a hash mismatch, a size mismatch or an oversize body', async () => {
    const data = randomBytes(4096);
    await expect(store.write(Readable.from([data]), { expectedOid: sha('other') })).rejects.toMatchObject({ reason: 'hash_mismatch' });
    await expect(store.write(Readable.from([data]), { expectedSize: 10 })).rejects.toMatchObject({ reason: 'size_mismatch' });
    await expect(store.write(Readable.from([data]), { expectedSize: 5000 })).rejects.toMatchObject({ reason: 'size_mismatch' });
    await expect(store.write(Readable.from([data]), { maxSize: 1000 })).rejects.toMatchObject({ reason: 'too_large' });
    expect(await objects()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('stores nothing when the body fails half-way', async () => {
    async function* broken() {
      yield randomBytes(1 << 20);
      throw Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
    }
    const err = await store.write(Readable.from(broken())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobWriteError);
    expect((err as BlobWriteError).reason).toBe('aborted');
    expect(await objects()).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('sweeps temp files a crash left behind, after the grace period only', async () => {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    execFileSync('touch', ['-d', '2 days ago', join(dir, 'tmp', 'old.part')]);
    execFileSync('touch', [join(dir, 'tmp', 'new.part')]);
    expect(await store.sweepTemp(24 * 3_600_000)).toBe(1);
    expect(leftovers()).toEqual(['new.part']);
  });

  it('reports a full disk as no_space and leaves no partial file', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'qoima-full-'));
    // A 2 MiB tmpfs stands in for a full data volume (the suite runs as root, as CI does).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    try {
      const small = new LocalBlobStore(mnt);
      const err = await small.write(Readable.from([randomBytes(3 << 20)])).catch((e: unknown) => e);
      expect((err as BlobWriteError).reason).toBe('no_space');
      expect(readdirSync(join(mnt, 'tmp'))).toEqual([]);
      const ok = await small.write(Readable.from([Buffer.from('still works')]));
      expect(ok.created).toBe(true);
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });
});
