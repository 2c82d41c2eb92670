import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobWriteError, LocalBlobStore } from '../../storage/blobs.js';
import { probeDirectIo } from '../../storage/direct-io.js';

let dir: string;
let store: LocalBlobStore;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const leftovers = () => readdirSync(join(dir, 'tmp'));
async function objects() {
  const all = [];
  for await (const o of store.list()) all.push(o.oid);
  return all;
}

// Both ways a write goes down: past the page cache (O_DIRECT, where the filesystem takes it — the
// test's disk does) and through it (QOIMA_DIRECT_IO=off, or a filesystem that refuses O_DIRECT).
describe.each([
  { mode: 'direct I/O', directIo: undefined },
  { mode: 'page cache', directIo: false },
])('local blob store ($mode)', ({ mode, directIo }) => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qoima-blobs-'));
    store = new LocalBlobStore(dir, { directIo });
  });

  it('writes the way it says: direct on this disk unless turned off', async () => {
    expect(await store.writesDirect()).toBe(mode === 'direct I/O');
    expect(await probeDirectIo(dir)).toBe(true); // the suite's disk takes O_DIRECT, so the direct runs are real
  });

  it('keeps the exact size and bytes at block and buffer edges (the last direct block is padded, then cut)', async () => {
    for (const size of [1, 4095, 4096, 4097, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) - 1, 5 * (1 << 20)]) {
      const data = randomBytes(size);
      const stored = await store.write(Readable.from([data.subarray(0, size >> 1), data.subarray(size >> 1)]), { expectedSize: size });
      expect(stored).toEqual({ oid: sha(data), size, created: true });
      expect(sha(readFileSync(store.pathOf(stored.oid)))).toBe(sha(data));
    }
    expect(leftovers()).toEqual([]);
  });

  it('takes more writes at once than it keeps aligned buffers for (the rest go through the page cache)', async () => {
    const bodies = Array.from({ length: 24 }, (_, i) => randomBytes((1 << 20) + i * 4099));
    // Each body arrives slowly enough that all 24 writes are open together.
    const slow = async function* (data: Buffer) {
      for (let at = 0; at < data.length; at += 256 * 1024) {
        await new Promise((r) => setTimeout(r, 5));
        yield data.subarray(at, at + 256 * 1024);
      }
    };
    const stored = await Promise.all(bodies.map((b) => store.write(Readable.from(slow(b)))));
    expect(stored.map((s) => s.oid)).toEqual(bodies.map(sha));
    for (const b of bodies) expect(sha(readFileSync(store.pathOf(sha(b))))).toBe(sha(b));
    expect(leftovers()).toEqual([]);
  });

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
      const small = new LocalBlobStore(mnt, { directIo });
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
