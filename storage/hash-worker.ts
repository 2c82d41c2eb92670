import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of direct writes on a worker thread (one per process, made on first use): the upload's
 * main thread receives the body, copies it into shared page-aligned buffers and writes them; the
 * worker hashes the same buffers in place — no copy crosses the threads, only offsets. Why: receiving
 * a multi-GiB body over HTTP keeps Node's main thread busy by itself (~1.5 CPU-s per GiB here), and
 * hashing it there too (~0.65 CPU-s per GiB with SHA-NI) made the main thread the bottleneck; on its
 * own core the hash overlaps the receive (docs/benchmarks.md, "direct I/O").
 *
 * The worker's code is a string (CommonJS, `eval`), so the same code runs from the compiled server
 * and from the TypeScript sources under tests. Each stream's messages are answered in order: one
 * reply per update (its buffer may be reused then) and one with the digest.
 */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'open') streams.set(m.id, { memory: m.memory, hash: createHash('sha256') });
  else if (m.op === 'update') {
    const s = streams.get(m.id);
    s.hash.update(new Uint8Array(s.memory, m.offset, m.length));
    parentPort.postMessage({ id: m.id });
  } else if (m.op === 'digest') {
    const s = streams.get(m.id);
    streams.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: s.hash.digest('hex') });
  } else if (m.op === 'drop') streams.delete(m.id);
});
`;

type Reply = { id: number; digest?: string };
type Waiter = { resolve: (digest: string | undefined) => void; reject: (err: unknown) => void };

let worker: Worker | null = null;
/** Per stream, the replies still awaited, oldest first. */
const waiting = new Map<number, Waiter[]>();
let nextId = 1;

function theWorker(): Worker {
  if (worker) return worker;
  const made = new Worker(WORKER_CODE, { eval: true, name: 'qoima-sha256', resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 } });
  made.on('message', (reply: Reply) => {
    const queue = waiting.get(reply.id);
    queue?.shift()?.resolve(reply.digest);
    settleRef();
  });
  const fail = (err: unknown) => {
    if (worker === made) worker = null; // the next stream starts a new one
    for (const queue of waiting.values()) for (const w of queue.splice(0)) w.reject(err);
    waiting.clear();
  };
  made.on('error', fail);
  made.on('exit', (code) => fail(new Error(`the hashing worker stopped (exit ${code})`)));
  made.unref();
  worker = made;
  return made;
}

/** The worker keeps the process alive only while a reply is awaited (a CLI writing a blob must not exit early). */
function settleRef(): void {
  if (!worker) return;
  if ([...waiting.values()].some((q) => q.length)) worker.ref();
  else worker.unref();
}

/** One body's SHA-256, hashed on the worker from `memory` (shared), in the order `update` is called. */
export class WorkerHash {
  private readonly id = nextId++;
  private readonly worker = theWorker();

  constructor(memory: SharedArrayBuffer) {
    waiting.set(this.id, []);
    this.worker.postMessage({ op: 'open', id: this.id, memory });
  }

  /** Hashes `length` bytes at `offset`; resolves when the worker is done with them. */
  update(offset: number, length: number): Promise<void> {
    return this.ask({ op: 'update', id: this.id, offset, length }).then(() => undefined);
  }

  /** The hex digest, after every update before it. */
  async digest(): Promise<string> {
    const digest = await this.ask({ op: 'digest', id: this.id });
    waiting.delete(this.id);
    return digest!;
  }

  /** Forgets the stream (a failed write): the worker drops its state; replies still due are ignored. */
  drop(): void {
    waiting.delete(this.id);
    this.worker.postMessage({ op: 'drop', id: this.id });
    settleRef();
  }

  private ask(message: object): Promise<string | undefined> {
    const queue = waiting.get(this.id);
    if (!queue) return Promise.reject(new Error('this hash was dropped, or its worker stopped'));
    return new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
      this.worker.postMessage(message);
      settleRef();
    });
  }
}
