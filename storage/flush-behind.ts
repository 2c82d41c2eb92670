import type { FileHandle } from 'node:fs/promises';

/** After this many bytes more, written data is flushed to disk in the background. */
export const FLUSH_BEHIND_BYTES = 64 << 20;

/**
 * Flush-behind for a large file being written: every `every` bytes an `fdatasync` of what is written
 * so far runs in the thread pool while the writer goes on (one at a time, never awaited by the
 * writer), so the disk works during the transfer and the final `fsync` — still the one a 2xx or a
 * "ready" rests on — only has the tail left. Without it a 2 GiB file on a machine with much memory
 * stays in dirty pages (the kernel starts writeback at 10 % of memory) and waits for all of them at
 * the end, as `cp` + `sync` or `tar cf` + `sync` do.
 *
 * Used by the blob store's writes and the return package's archive writers. The first failed flush
 * is kept: `throwIfFailed()` throws it (the writer calls it as it goes and before its final fsync);
 * `settled()` waits for the flush in flight.
 */
export class FlushBehind {
  private flushing: Promise<void> | null = null;
  private flushedUpTo = 0;
  private failure: { err?: unknown } = {};

  constructor(
    private readonly file: FileHandle,
    private readonly every = FLUSH_BEHIND_BYTES,
  ) {}

  /** Writes up to `position` are issued; `pending` are those not yet done (the flush waits for them). */
  after(position: number, pending: Iterable<Promise<unknown>>): void {
    if (this.flushing || position - this.flushedUpTo < this.every) return;
    this.flushedUpTo = position;
    this.flushing = Promise.all(pending)
      .then(() => this.file.datasync())
      .catch((err: unknown) => {
        if (!('err' in this.failure)) this.failure.err = err;
      })
      .finally(() => (this.flushing = null));
  }

  /** Throws the first flush that failed, if one did. */
  throwIfFailed(): void {
    if ('err' in this.failure) throw this.failure.err;
  }

  /** Resolves when no flush is running (never rejects: a failure is kept for `throwIfFailed`). */
  settled(): Promise<void> {
    return this.flushing ?? Promise.resolve();
  }
}
