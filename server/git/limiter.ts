import { GitError } from './errors.js';

/** A full queue: a clean 503 with `Retry-After` (the error handler sets it from `retryAfter`). */
export class GitBusy extends GitError {
  readonly retryAfter = 5;
  constructor() {
    super(503, 'git_busy');
  }
}

/**
 * At most `max` holders at once; others wait in order, up to `maxWaiting` of them (then 503).
 * Used to bound concurrent upload-packs: each one runs pack-objects, which takes CPU and memory.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly max: number,
    private readonly maxWaiting = max * 32,
  ) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.max) {
      if (this.waiting.length >= this.maxWaiting) throw new GitBusy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}
