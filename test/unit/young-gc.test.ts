import { describe, expect, it } from 'vitest';
import { enable, noteBodyBytes } from '../../server/util/young-gc.js';

/** Receives `total` bytes as 64 KiB chunks that die at once, as an upload's body does; the peak of live array buffers. */
function receive(total: number, note: (bytes: number) => void): number {
  let peak = 0;
  for (let got = 0; got < total; got += 65536) {
    const chunk = Buffer.allocUnsafeSlow(65536); // its own backing store, like the HTTP parser's chunks
    chunk[0] = 1;
    note(chunk.length);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  return peak;
}

describe('young garbage of large bodies', () => {
  it('keeps dead body chunks to a few MiB once enabled (V8 alone lets 32 MB pile up)', () => {
    enable();
    const before = process.memoryUsage().arrayBuffers;
    const peak = receive(256 << 20, noteBodyBytes);
    expect(peak - before).toBeLessThan(12 << 20);
  });
});
