import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';

/**
 * CPU help for the return package, which hashes every payload byte twice (SHA-256, SHA-512), every
 * written byte once more (each package's SHA-256) and CRC-32s it for the zip — more than one core's
 * worth at disk speed. Two measures, both measured in docs/benchmarks.md:
 *
 * 1. `DigestThread`: hashes on a worker thread, fed chunks in order through a fixed ring of shared
 *    slots, so memory stays bounded; the caller awaits only when it is ahead of the thread.
 * 2. `useNativeCrc32`: archiver's zip CRC-32 comes from the pure-JavaScript `crc-32` package; Node's
 *    own `zlib.crc32` (native) is several times faster. The package's `buf` is replaced by a wrapper
 *    around it — only after checking, on random data and seeds, that both give the same numbers, so
 *    every user of `crc-32` (archiver's zip-stream, isomorphic-git's pack index) sees the same results.
 */

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const slots = new Uint8Array(workerData.shared);
const size = workerData.slotSize;
const open = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'open') open.set(m.id, createHash(m.alg));
  else if (m.t === 'data') {
    open.get(m.id).update(slots.subarray(m.slot * size, m.slot * size + m.len));
    parentPort.postMessage({ t: 'free', slot: m.slot });
  } else if (m.t === 'end') {
    const h = open.get(m.id);
    open.delete(m.id);
    parentPort.postMessage({ t: 'hex', id: m.id, hex: h.digest('hex') });
  }
});`;

export interface ThreadHash {
  /** Hands a chunk over (copied at once: the caller may reuse it); a promise means "wait, all slots are busy". */
  update(chunk: Uint8Array): Promise<void> | undefined;
  digest(): Promise<string>;
}

/**
 * Chunks travel through a fixed ring of slots in one SharedArrayBuffer: no allocation per chunk and
 * a hard bound on memory (`slots × slotSize`), whatever the thread's garbage collector does.
 */
export class DigestThread {
  private readonly worker: Worker;
  private readonly shared: Uint8Array;
  private readonly free: number[];
  private waiting: (() => void)[] = [];
  private readonly results = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private next = 1;
  private failure: Error | null = null;

  constructor(
    slots = 8,
    private readonly slotSize = 512 * 1024,
  ) {
    const buffer = new SharedArrayBuffer(slots * slotSize);
    this.shared = new Uint8Array(buffer);
    this.free = Array.from({ length: slots }, (_, i) => i);
    this.worker = new Worker(SOURCE, { eval: true, workerData: { shared: buffer, slotSize } });
    this.worker.on('message', (m: { t: 'free'; slot: number } | { t: 'hex'; id: number; hex: string }) => {
      if (m.t === 'free') {
        this.free.push(m.slot);
        this.waiting.shift()?.();
      } else {
        this.results.get(m.id)?.resolve(m.hex);
        this.results.delete(m.id);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('digest thread stopped')));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const r of this.results.values()) r.reject(err);
    this.results.clear();
    for (const w of this.waiting.splice(0)) w();
  }

  private slot(): Promise<number> | number {
    if (this.failure) throw this.failure;
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.slot());
  }

  private send(id: number, piece: Uint8Array, slot: number): void {
    this.shared.set(piece, slot * this.slotSize);
    this.worker.postMessage({ t: 'data', id, slot, len: piece.length });
  }

  hash(alg: 'sha256' | 'sha512'): ThreadHash {
    const id = this.next++;
    this.worker.postMessage({ t: 'open', id, alg });
    return {
      update: (chunk) => {
        for (let at = 0; at < chunk.length; at += this.slotSize) {
          const piece = chunk.subarray(at, at + this.slotSize);
          const slot = this.slot();
          if (typeof slot === 'number') {
            this.send(id, piece, slot);
            continue;
          }
          // Out of slots: copy the rest of the chunk now (the caller may reuse it), send it as slots free up.
          const rest = Buffer.from(chunk.subarray(at));
          return (async () => {
            for (let off = 0; off < rest.length; off += this.slotSize) this.send(id, rest.subarray(off, off + this.slotSize), await (off === 0 ? slot : this.slot()));
          })();
        }
        return undefined;
      },
      digest: () =>
        new Promise<string>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          this.results.set(id, { resolve, reject });
          this.worker.postMessage({ t: 'end', id });
        }),
    };
  }

  async close(): Promise<void> {
    this.failure ??= new Error('digest thread closed');
    await this.worker.terminate();
  }
}

let crcChecked: boolean | null = null;

/** Makes `crc-32` (archiver's zip CRC) use Node's native CRC-32 when it gives the same results. */
export function useNativeCrc32(): boolean {
  if (crcChecked !== null) return crcChecked;
  const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  const crc = createRequire(import.meta.url)('crc-32') as { buf: (data: Uint8Array, seed?: unknown) => number };
  crcChecked = false;
  if (!native) return false;
  const original = crc.buf;
  const fast = (data: Uint8Array, seed?: unknown) => native(data, typeof seed === 'number' ? seed >>> 0 : 0) | 0;
  const probe = randomBytes(4099);
  for (const seed of [undefined, Buffer.alloc(4), 0, 1, -1, 0x7fffffff, -123456789]) {
    if (fast(probe, seed) !== original(probe, seed)) return false;
  }
  crc.buf = fast;
  crcChecked = true;
  return true;
}
