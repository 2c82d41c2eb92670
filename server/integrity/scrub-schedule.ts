import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppDeps } from '../deps.js';
import { runScrubSlice } from './scrub.js';
import * as sq from './scrub-queries.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The scrubber's schedule, started by `serve()` (server/main.ts) when QOIMA_SCRUB_MB_S > 0: slice after
 * slice, all the time, within the read budget; when every kind has finished its cycle it waits for the
 * next one to be due (QOIMA_SCRUB_CYCLE_H). Several processes: only the holder of the lease row
 * (fixity_lease) scrubs; it renews the lease while it works, and another process takes over once a
 * holder stopped renewing (crashed) — so the job runs once across processes.
 */
export interface ScrubSchedule {
  sliceMs: number;
  /** Wait when nothing is due or another process holds the lease (ms). */
  idleMs: number;
  leaseMs: number;
  /** First slice after start (ms). */
  startDelayMs: number;
}

export const DEFAULT_SCRUB_SCHEDULE: ScrubSchedule = { sliceMs: 60_000, idleMs: 60_000, leaseMs: 90_000, startDelayMs: 30_000 };

export function startScrubSchedule(deps: AppDeps, schedule: ScrubSchedule = DEFAULT_SCRUB_SCHEDULE) {
  const mbps = deps.config.scrubMbPerSecond;
  if (!mbps) return { holder: null, stop: async () => undefined };
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopping = new AbortController();
  const signal = stopping.signal;
  const budget = new TokenBucket(mbps * 1024 * 1024, signal);
  const wait = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);
  const blobs = deps.blobs;
  const checkDeps = { db: deps.db, clock: deps.clock, blobs, dataDir: deps.config.dataDir };

  const loop = (async () => {
    await wait(schedule.startDelayMs);
    while (!signal.aborted) {
      try {
        if (!(await sq.takeLease(deps.db, holder, Date.now(), schedule.leaseMs))) {
          await wait(schedule.idleMs);
          continue;
        }
        // A slice can outlast the lease when one object is large and the budget small: keep renewing it.
        const renew = setInterval(() => void sq.takeLease(deps.db, holder, Date.now(), schedule.leaseMs).catch(() => undefined), Math.max(50, schedule.leaseMs / 3));
        try {
          const result = await runScrubSlice(checkDeps, { budget, sliceMs: schedule.sliceMs, minCycleMs: deps.config.scrubCycleMs, signal });
          for (const s of result.slices) if (s.findings.length) deps.logger.warn({ run: s.runId, kind: s.kind, findings: s.findings.length, new: s.newFindings }, 'fixity: scrubber findings');
          if (result.idle) await wait(schedule.idleMs);
        } finally {
          clearInterval(renew);
        }
      } catch (err) {
        if (signal.aborted) break;
        deps.logger.error({ err }, 'fixity: scrubber slice failed');
        await wait(schedule.idleMs);
      }
    }
    await sq.releaseLease(deps.db, holder).catch(() => undefined);
  })();

  return {
    holder,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
