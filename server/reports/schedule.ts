import cron from 'node-cron';
import type { AppDeps } from '../deps.js';
import { createReportMailer, deliverReportMail } from './mail.js';
import { runScheduledReport } from './service.js';

/**
 * The report's schedule, started by `serve()` (server/main.ts). node-cron fires in Asia/Almaty every
 * hour of the working day in January and July; `runScheduledReport` (a plain function of a date,
 * which tests call with a fixed clock) does nothing until the first working day of the month and
 * once the half-year's report is stored — so a process that was down at 09:00 catches up, and
 * several processes store it once. A first run two minutes after start covers a restart on that day.
 * The report e-mails (mail.ts) are looked at every half minute.
 */
export const REPORT_CRON = '5 9-18 * 1,7 *';
export const REPORT_TIMEZONE = 'Asia/Almaty';

export interface ReportSchedule {
  cron: string;
  /** First run after start (ms); 0: none. */
  startDelayMs: number;
  mailPollMs: number;
}

export const DEFAULT_REPORT_SCHEDULE: ReportSchedule = { cron: REPORT_CRON, startDelayMs: 120_000, mailPollMs: 30_000 };

export function startReportSchedule(deps: AppDeps, schedule: ReportSchedule = DEFAULT_REPORT_SCHEDULE) {
  const mailer = createReportMailer(deps.config);
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const guarded = (what: string, job: () => Promise<unknown>) => () => {
    if (stopped) return running;
    running = running.then(job).catch((err: unknown) => deps.logger.error({ err }, `reports: ${what} failed`));
    return running;
  };
  // Fired by the wall clock, the job is run at the wall clock's time (in production that is deps.clock;
  // a test's fixed clock is for the tests that call runScheduledReport with their own date).
  const report = guarded('scheduled report', async () => {
    const result = await runScheduledReport(deps, new Date());
    if (result.stored) deps.logger.info({ period: result.period, id: result.stored.id, sha256: result.stored.sha256 }, 'reports: half-yearly report stored (Rules p.13)');
  });
  const mail = guarded('report e-mail', () => deliverReportMail(deps, mailer));

  const task = cron.schedule(schedule.cron, () => void report(), { timezone: REPORT_TIMEZONE, name: 'qoima-half-yearly-report', noOverlap: true });
  const timers: NodeJS.Timeout[] = [setInterval(() => void mail(), schedule.mailPollMs).unref()];
  if (schedule.startDelayMs > 0) timers.push(setTimeout(() => void report(), schedule.startDelayMs).unref());

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await task.destroy();
      await running;
      mailer?.close();
    },
  };
}
