import { Worker } from 'node:worker_threads';

/**
 * Hashing on a worker thread, so that the return package's digests are computed on the second core
 * while the main thread reads, hashes and writes (issue 8, performance: SHA-512 alone is ~1.5 s per
 * GiB here, more than `tar cf` spends on the whole GiB).
 *
 * The bytes cross through a ring of fixed slots in a SharedArrayBuffer — one copy per byte, no
 * per-chunk allocation, memory bounded by the ring (`slots × slotSize`): when every slot is waiting
 * to be hashed, `update` waits (backpressure). Small chunks are gathered into a slot before it is
 * handed over, so the number of messages does not depend on the source's chunk size.
 *
 * The worker is a few lines of CommonJS evaluated in place (no module to resolve, nothing imported but
 * `node:crypto`), and each instance hashes one sequence at a time: `update…`, then `digest()`. It
 * keeps the process alive until `close()` (whoever makes one closes it, on success and on failure).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = Buffer.from(workerData.ring);
let hashes = [];
parentPort.on('message', (m) => {
  if (m.t === 'begin') hashes = m.algorithms.map((a) => createHash(a));
  else if (m.t === 'data') {
    const view = ring.subarray(m.offset, m.offset + m.length);
    for (const h of hashes) h.update(view);
    parentPort.postMessage({ t: 'free', slot: m.slot });
  } else if (m.t === 'end') {
    parentPort.postMessage({ t: 'digests', digests: hashes.map((h) => h.digest('hex')) });
    hashes = [];
  }
});
`;

type FromWorker = { t: 'free'; slot: number } | { t: 'digests'; digests: string[] };

export class HashWorker {
  private readonly worker: Worker;
  private readonly ring: Buffer;
  private readonly free: number[] = [];
  private slot = -1;
  private filled = 0;
  private waitingSlot: (() => void) | null = null;
  private waitingDigests: ((d: string[]) => void) | null = null;
  private failure: Error | null = null;
  private onFailure: ((err: Error) => void) | null = null;
  private algorithms: string[] = [];

  constructor(
    private readonly slots = 4,
    private readonly slotSize = 1 << 20,
  ) {
    const shared = new SharedArrayBuffer(slots * slotSize);
    this.ring = Buffer.from(shared);
    for (let i = 0; i < slots; i++) this.free.push(i);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: shared }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    this.worker.on('message', (m: FromWorker) => {
      if (m.t === 'free') {
        this.free.push(m.slot);
        const w = this.waitingSlot;
        this.waitingSlot = null;
        w?.();
      } else {
        const w = this.waitingDigests;
        this.waitingDigests = null;
        w?.(m.digests);
      }
    });
    const fail = (err: Error) => {
      if (this.failure) return;
      this.failure = err;
      this.onFailure?.(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited (${code})`)));
  }

  /** Starts a new sequence hashed with these algorithms (`sha256`, `sha512`). */
  begin(algorithms: string[]): void {
    if (this.failure) throw this.failure;
    this.algorithms = algorithms;
    this.worker.postMessage({ t: 'begin', algorithms });
  }

  /** Copies the bytes into the ring; resolves at once unless every slot is still being hashed. */
  async update(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      if (this.slot < 0) {
        while (!this.free.length) await this.wait(() => new Promise<void>((resolve) => (this.waitingSlot = resolve)));
        this.slot = this.free.shift()!;
        this.filled = 0;
      }
      const n = Math.min(this.slotSize - this.filled, data.length - at);
      this.ring.set(data.subarray(at, at + n), this.slot * this.slotSize + this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.slotSize) this.post();
    }
  }

  /** The digests of everything given since `begin`, in the order of its algorithms. */
  async digest(): Promise<Record<string, string>> {
    if (this.slot >= 0) this.post();
    const digests = await this.wait(() => {
      const p = new Promise<string[]>((resolve) => (this.waitingDigests = resolve));
      this.worker.postMessage({ t: 'end' });
      return p;
    });
    return Object.fromEntries(this.algorithms.map((a, i) => [a, digests[i]]));
  }

  async close(): Promise<void> {
    this.failure ??= new Error('hash worker closed');
    await this.worker.terminate();
  }

  private post(): void {
    if (this.filled > 0) this.worker.postMessage({ t: 'data', slot: this.slot, offset: this.slot * this.slotSize, length: this.filled });
    else this.free.push(this.slot);
    this.slot = -1;
    this.filled = 0;
  }

  /** Waits for the worker's answer, or for its failure. */
  private wait<T>(start: () => Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.onFailure = reject;
      start().then(
        (v) => {
          this.onFailure = null;
          resolve(v);
        },
        reject,
      );
    });
  }
}
