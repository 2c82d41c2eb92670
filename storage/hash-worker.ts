import { Worker } from 'node:worker_threads';

/**
 * Hashing on worker threads, so that digests are computed on the second core while the main thread
 * receives, reads or writes. Two users, one thread code and one protocol:
 * - the return package (issue 8): `HashWorker`, a thread of its own per hasher (the bag's writer runs
 *   two: SHA-512 of the payload and SHA-256 of the tar), fed by copying the bytes into its ring;
 * - the blob store's direct writes (issue 5, storage/direct-io.ts): `InPlaceHash`, on one thread shared
 *   by the process, hashing the write buffers themselves — only offsets cross.
 *
 * The bytes always sit in a SharedArrayBuffer the stream names when it opens; each message about a
 * stream is answered in order (one reply per `data`, when the worker is done with those bytes, and one
 * with the digests). The worker is a few lines of CommonJS evaluated in place, so the same code runs
 * from the compiled server and from the TypeScript sources under tests. A thread keeps the process
 * alive only while a reply is awaited (a CLI writing a blob must not exit early, an idle one must
 * not be held).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'open') streams.set(m.id, { memory: Buffer.from(m.memory), hashes: m.algorithms.map((a) => createHash(a)) });
  else if (m.t === 'data') {
    const s = streams.get(m.id);
    const view = s.memory.subarray(m.offset, m.offset + m.length);
    for (const h of s.hashes) h.update(view);
    parentPort.postMessage({ id: m.id });
  } else if (m.t === 'end') {
    const s = streams.get(m.id);
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, digests: s.hashes.map((h) => h.digest('hex')) });
  } else if (m.t === 'drop') streams.delete(m.id);
});
`;

type Reply = { id: number; digests?: string[] };
type Waiter = { resolve: (reply: Reply) => void; reject: (err: unknown) => void };

/** One hashing thread and the replies its streams await. */
class HashThread {
  private readonly worker: Worker;
  /** Per stream, the replies still awaited, oldest first. */
  private readonly waiting = new Map<number, Waiter[]>();
  private nextId = 1;
  failure: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'qoima-hash', resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    this.worker.on('message', (reply: Reply) => {
      this.waiting.get(reply.id)?.shift()?.resolve(reply);
      this.settleRef();
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`hash worker exited (${code})`)));
    this.worker.unref();
  }

  /** A new stream over `memory`, hashed with `algorithms` (`sha256`, `sha512`); its id. */
  open(memory: SharedArrayBuffer, algorithms: string[]): number {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    this.waiting.set(id, []);
    this.worker.postMessage({ t: 'open', id, memory, algorithms });
    return id;
  }

  /** Hashes `length` bytes at `offset`; resolves when the worker is done with them. */
  data(id: number, offset: number, length: number): Promise<void> {
    return this.ask(id, { t: 'data', id, offset, length }).then(() => undefined);
  }

  /** The digests of the stream, in the order of its algorithms; the stream is closed. */
  async end(id: number): Promise<string[]> {
    const reply = await this.ask(id, { t: 'end', id });
    this.waiting.delete(id);
    return reply.digests!;
  }

  /** Forgets a stream (a failed write); replies still due are ignored. */
  drop(id: number): void {
    this.waiting.delete(id);
    if (!this.failure) this.worker.postMessage({ t: 'drop', id });
    this.settleRef();
  }

  async terminate(reason: Error): Promise<void> {
    this.fail(reason);
    await this.worker.terminate();
  }

  private ask(id: number, message: object): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const queue = this.waiting.get(id);
    if (!queue) return Promise.reject(new Error('this hash was dropped'));
    return new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
      this.worker.postMessage(message);
      this.settleRef();
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const queue of this.waiting.values()) for (const w of queue.splice(0)) w.reject(this.failure);
    this.waiting.clear();
  }

  private settleRef(): void {
    if ([...this.waiting.values()].some((q) => q.length)) this.worker.ref();
    else this.worker.unref();
  }
}

let shared: HashThread | null = null;
/** The process's thread for in-place hashing, made on first use (again after a failure). */
function sharedThread(): HashThread {
  if (!shared || shared.failure) shared = new HashThread();
  return shared;
}

/** One body's SHA-256, hashed in place from `memory` on the process's hashing thread, in the order `update` is called. */
export class InPlaceHash {
  private readonly thread = sharedThread();
  private readonly id: number;

  constructor(memory: SharedArrayBuffer) {
    this.id = this.thread.open(memory, ['sha256']);
  }

  /** Hashes `length` bytes at `offset`; resolves when the worker is done with them (the bytes may change then). */
  update(offset: number, length: number): Promise<void> {
    return this.thread.data(this.id, offset, length);
  }

  /** The hex digest, after every update before it. */
  async digest(): Promise<string> {
    return (await this.thread.end(this.id))[0];
  }

  /** Forgets the stream (a failed write). */
  drop(): void {
    this.thread.drop(this.id);
  }
}

/**
 * A hasher with a thread of its own, fed by copy: the bytes cross through a ring of fixed slots — one
 * copy per byte, no per-chunk allocation, memory bounded by the ring (`slots × slotSize`): when every
 * slot is waiting to be hashed, `update` waits (backpressure). Small chunks are gathered into a slot
 * before it is handed over, so the number of messages does not depend on the source's chunk size.
 * One sequence at a time: `begin`, `update…`, `digest()`. Whoever makes one closes it.
 */
export class HashWorker {
  private readonly thread = new HashThread();
  private readonly shared: SharedArrayBuffer;
  private readonly ring: Buffer;
  private readonly free: number[] = [];
  private readonly pending = new Set<Promise<void>>();
  private stream = -1;
  private algorithms: string[] = [];
  private slot = -1;
  private filled = 0;

  constructor(
    private readonly slots = 4,
    private readonly slotSize = 1 << 20,
  ) {
    this.shared = new SharedArrayBuffer(slots * slotSize);
    this.ring = Buffer.from(this.shared);
    for (let i = 0; i < slots; i++) this.free.push(i);
  }

  /** Starts a new sequence hashed with these algorithms (`sha256`, `sha512`). */
  begin(algorithms: string[]): void {
    this.algorithms = algorithms;
    this.stream = this.thread.open(this.shared, algorithms);
  }

  /** Copies the bytes into the ring; resolves at once unless every slot is still being hashed. */
  async update(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      if (this.slot < 0) {
        while (!this.free.length) await Promise.race(this.pending);
        if (this.thread.failure) throw this.thread.failure;
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

  /** The digests of everything given since `begin`, by algorithm. */
  async digest(): Promise<Record<string, string>> {
    if (this.slot >= 0) this.post();
    const digests = await this.thread.end(this.stream);
    return Object.fromEntries(this.algorithms.map((a, i) => [a, digests[i]]));
  }

  async close(): Promise<void> {
    await this.thread.terminate(new Error('hash worker closed'));
  }

  /** Hands the slot being filled to the worker; it is free again when hashed (or when the thread fails). */
  private post(): void {
    const slot = this.slot;
    this.slot = -1;
    if (this.filled === 0) {
      this.free.push(slot);
      return;
    }
    const hashed = this.thread
      .data(this.stream, slot * this.slotSize, this.filled)
      .catch(() => undefined) // the failure is the thread's: the next call throws it
      .finally(() => {
        this.free.push(slot);
        this.pending.delete(hashed);
      });
    this.pending.add(hashed);
    this.filled = 0;
  }
}
