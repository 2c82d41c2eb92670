import { almatyDate } from '../calendar/types.js';
import type { AppDeps } from '../deps.js';
import { notifyDeadlines } from './deadlines-job.js';
import { deliverPending } from './delivery.js';
import { createMailer } from './mailer.js';

export interface NotifySchedule {
  /** How often the outbox is looked at (ms). */
  pollMs: number;
  /** The hour (Asia/Almaty) from which the day's deadline digest goes out. */
  digestHour: number;
  /** How often the digest job checks whether today's digest is due (ms). */
  digestCheckMs: number;
}

export const DEFAULT_SCHEDULE: NotifySchedule = { pollMs: 5_000, digestHour: 9, digestCheckMs: 15 * 60_000 };

/**
 * The background side of notifications, started by `serve()` (server/main.ts): the outbox poller
 * that sends e-mail after commit, and the daily deadline digest (a plain function with a date,
 * `notifyDeadlines`, which tests call directly). Timers are unref'd; `stop()` waits for a run.
 */
export function startNotify(deps: AppDeps, schedule: NotifySchedule = DEFAULT_SCHEDULE) {
  const mailer = createMailer(deps.config);
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];

  const guarded = (what: string, job: () => Promise<unknown>) => () => {
    if (stopped) return;
    running = running.then(job).catch((err: unknown) => deps.logger.error({ err }, `notify: ${what} failed`));
  };
  const poll = guarded('delivery', () => deliverPending(deps, mailer));
  const digest = guarded('deadline digest', async () => {
    const now = deps.clock();
    // Kazakhstan time is UTC+5 all year (almatyDate): the hour of the day there.
    if ((now.getUTCHours() + 5) % 24 < schedule.digestHour) return;
    await notifyDeadlines(deps, almatyDate(now));
  });

  timers.push(setInterval(poll, schedule.pollMs).unref());
  timers.push(setInterval(digest, schedule.digestCheckMs).unref());
  timers.push(setTimeout(digest, Math.min(60_000, schedule.digestCheckMs)).unref());

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await running;
      mailer?.close();
    },
  };
}
