import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DigestThread, useNativeCrc32 } from '../../server/returns/digest-thread.js';

const hex = (alg: string, ...parts: Buffer[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('hashing on the digest thread', () => {
  it('gives the same digests as hashing here, for chunks larger than all its slots together', async () => {
    const thread = new DigestThread(2, 64 * 1024);
    try {
      const parts = [randomBytes(10), randomBytes(300_000), Buffer.alloc(0), randomBytes(64 * 1024), randomBytes(1)];
      const expected = { sha512: hex('sha512', ...parts), sha256: hex('sha256', ...parts) };
      const a = thread.hash('sha512');
      const b = thread.hash('sha256');
      let waited = 0;
      for (const p of parts) {
        for (const h of [a, b]) {
          const wait = h.update(p);
          if (wait) {
            waited++;
            await wait;
          }
        }
        p.fill(0); // the thread has its own copy already
      }
      expect(waited).toBeGreaterThan(0);
      expect(await a.digest()).toBe(expected.sha512);
      expect(await b.digest()).toBe(expected.sha256);
    } finally {
      await thread.close();
    }
  });

  it('hashes exactly the bytes given, in order', async () => {
    const thread = new DigestThread(3, 1000);
    try {
      const parts = Array.from({ length: 20 }, (_, i) => randomBytes(100 + i * 337));
      const h = thread.hash('sha512');
      for (const p of parts) await h.update(p);
      expect(await h.digest()).toBe(hex('sha512', ...parts));
    } finally {
      await thread.close();
    }
  });
});

describe('the native CRC-32 under archiver', () => {
  it('replaces crc-32 only with a function that gives the same numbers', () => {
    const crc = createRequire(import.meta.url)('crc-32') as { buf: (d: Uint8Array, seed?: number) => number };
    const data = randomBytes(100_000);
    expect(useNativeCrc32()).toBe(typeof (zlib as unknown as { crc32?: unknown }).crc32 === 'function');
    const whole = crc.buf(data);
    const chained = crc.buf(data.subarray(50_000), crc.buf(data.subarray(0, 50_000)));
    expect(chained).toBe(whole);
    expect(whole >>> 0).toBe(zlib.crc32(data));
    expect(crc.buf(Buffer.from('123456789')) >>> 0).toBe(0xcbf43926); // the CRC-32 check value
  });
});
