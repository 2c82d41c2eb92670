import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlushBehind } from '../../storage/flush-behind.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qoima-flush-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A real file whose `datasync` calls are counted (and can be made to fail), with the most ever running at once. */
async function countedFile(fail?: Error) {
  const fh: FileHandle = await open(join(dir, 'f'), 'w');
  const seen = { calls: 0, running: 0, most: 0 };
  const real = fh.datasync.bind(fh);
  fh.datasync = async () => {
    seen.calls++;
    seen.running++;
    seen.most = Math.max(seen.most, seen.running);
    try {
      if (fail) throw fail;
      await real();
    } finally {
      seen.running--;
    }
  };
  return { fh, seen };
}

describe('flush-behind', () => {
  it('flushes every N bytes in the background, one flush at a time, and the file is whole', async () => {
    const { fh, seen } = await countedFile();
    const flush = new FlushBehind(fh, 1 << 20);
    const data = randomBytes(16 << 20);
    const chunk = 256 << 10;
    const pending: Promise<unknown>[] = [];
    for (let at = 0; at < data.length; at += chunk) {
      pending.push(fh.write(data, at, chunk, at));
      if (pending.length > 2) await pending.shift();
      flush.after(at + chunk, pending);
    }
    await Promise.all([...pending, flush.settled()]);
    await fh.sync();
    await fh.close();
    expect(() => flush.throwIfFailed()).not.toThrow();
    // 16 MiB with a flush due every 1 MiB, but never two at once: at least one, at most sixteen.
    expect(seen.calls).toBeGreaterThanOrEqual(1);
    expect(seen.calls).toBeLessThanOrEqual(16);
    expect(seen.most).toBe(1);
    expect(readFileSync(join(dir, 'f')).equals(data)).toBe(true);
  });

  it('does not flush before N bytes are written', async () => {
    const { fh, seen } = await countedFile();
    const flush = new FlushBehind(fh, 1 << 20);
    await fh.write(Buffer.alloc(1000), 0, 1000, 0);
    flush.after(1000, []);
    await flush.settled();
    await fh.close();
    expect(seen.calls).toBe(0);
  });

  it('hands a failed flush to the writer (as a full disk would fail it), and settles', async () => {
    const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const { fh, seen } = await countedFile(enospc);
    const flush = new FlushBehind(fh, 1 << 20);
    expect(() => flush.throwIfFailed()).not.toThrow();
    await fh.write(Buffer.alloc(2 << 20), 0, 2 << 20, 0);
    flush.after(2 << 20, []);
    await flush.settled();
    await fh.close();
    expect(seen.calls).toBe(1);
    expect(() => flush.throwIfFailed()).toThrow(enospc);
  });
});
