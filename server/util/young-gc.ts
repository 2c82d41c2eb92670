import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bounds the memory that large request bodies leave behind (issue 5: server RSS ≤ 150 MB during a
 * 2 GiB upload). Node's HTTP parser hands every body chunk (≤ 64 KiB) over as a fresh Buffer; once
 * written they are garbage, but V8 frees young array buffers only at a scavenge, which it triggers
 * for external memory at a fixed 32 MB of young backing stores (2 × the compile-time maximum semi
 * space; no flag changes it), and by default sweeps them on a background thread that lags behind
 * on a loaded machine: ~35–65 MB of dead chunks on top of the idle process, whatever the upload's
 * size. With `enable()` (the server calls it at start) the sweep runs inside the scavenge, and
 * `noteBodyBytes` asks for a scavenge of the young generation every 4 MiB of body received (well
 * under a millisecond each: the young generation holds little else), so the dead chunks stay at a
 * few MiB. Without `enable()` (tests, CLI commands) `noteBodyBytes` does nothing.
 */
const EVERY_BYTES = 4 << 20;

let scavenge: ((options: { type: 'minor' }) => void) | null = null;
let since = 0;

export function enable(): void {
  if (scavenge) return;
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  // `gc` is only created for contexts made after the flag is set: take it from a new one.
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
  if (typeof gc === 'function') scavenge = gc as (options: { type: 'minor' }) => void;
}

/** Counts body bytes received (any upload, any request) and scavenges every EVERY_BYTES. */
export function noteBodyBytes(bytes: number): void {
  if (!scavenge) return;
  since += bytes;
  if (since < EVERY_BYTES) return;
  since = 0;
  scavenge({ type: 'minor' });
}
