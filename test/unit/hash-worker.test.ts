import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InPlaceHash } from '../../storage/hash-worker.js';

/** storage/hash-worker.ts: SHA-256 of shared memory on one worker thread, several bodies at once. */
describe('hashing worker', () => {
  it('hashes interleaved streams over shared memory each in its own order, and forgets a dropped one', async () => {
    const memory = new SharedArrayBuffer(4 << 20);
    const view = Buffer.from(memory);
    const bodies = [randomBytes(3 << 20), randomBytes((2 << 20) + 17)];
    const hashes = bodies.map(() => new InPlaceHash(memory));
    const dropped = new InPlaceHash(memory);
    // Each stream has its own 2 MiB half of the memory, filled 512 KiB at a time; updates alternate.
    const step = 512 * 1024;
    for (let at = 0; at < Math.max(...bodies.map((b) => b.length)); at += step) {
      await Promise.all(
        bodies.map((body, i) => {
          if (at >= body.length) return undefined;
          const part = body.subarray(at, at + step);
          part.copy(view, i * (2 << 20));
          return hashes[i].update(i * (2 << 20), part.length);
        }),
      );
      if (at === 0) await dropped.update(0, 10);
    }
    dropped.drop();
    const digests = await Promise.all(hashes.map((h) => h.digest()));
    expect(digests).toEqual(bodies.map((b) => createHash('sha256').update(b).digest('hex')));
    await expect(dropped.digest()).rejects.toThrow(/dropped/);
  });
});
