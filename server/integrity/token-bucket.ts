import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The scrubber's read budget (issue 12): a token bucket of bytes refilled at `bytesPerSecond`, so reads
 * average the budget and never burst past a quarter second of it —
 * the scrubber can run all the time without taking the disk from pushes. `null`: unlimited.
 * The bucket holds a quarter second of budget (at least one chunk): enough that the time spent
 * opening files and hashing between reads is not lost, too little to matter to a push.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  /** The size of one read: small budgets read small chunks so the pacing stays smooth. */
  readonly chunk: number;

  constructor(
    readonly bytesPerSecond: number | null,
    private readonly signal?: AbortSignal,
  ) {
    this.chunk = bytesPerSecond === null ? 1 << 20 : Math.max(16 << 10, Math.min(1 << 20, Math.floor(bytesPerSecond / 8)));
    this.capacity = bytesPerSecond === null ? 0 : Math.max(this.chunk, bytesPerSecond / 4);
    this.tokens = this.chunk;
    this.last = performance.now();
  }

  /** Waits until `bytes` may be read (a stop aborts the wait: the caller's read is then abandoned). */
  async take(bytes: number): Promise<void> {
    if (this.bytesPerSecond === null || bytes <= 0) return;
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
    this.tokens -= bytes;
    // In debt: wait until the refill has paid it back (the debt carries over, so the average holds).
    if (this.tokens < 0) await sleep(Math.ceil((-this.tokens / this.bytesPerSecond) * 1000), undefined, { signal: this.signal });
  }
}
