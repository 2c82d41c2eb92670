import { createServer, type Server } from 'node:http';
import type { Config } from './config.js';
import { createApp, type App } from './app.js';
import { recoverInterruptedAcceptances } from './deposits/recovery.js';
import { recoverInterruptedRefMoves } from './repositories/recovery.js';
import { removeFinishedScratch } from './returns/job.js';
import * as youngGc from './util/young-gc.js';
import { startScrubSchedule, type ScrubSchedule } from './integrity/scrub-schedule.js';
import { startNotify } from './notify/worker.js';
import { startReportSchedule } from './reports/schedule.js';

export interface Running {
  app: App;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Listens and wires the process: timeouts that let multi-gigabyte uploads and long pushes finish
 * (Node's default requestTimeout of 5 minutes would cut them), and a graceful stop on SIGTERM.
 */
export async function serve(config: Config, opts: Parameters<typeof createApp>[1] & { scrubSchedule?: ScrubSchedule } = {}): Promise<Running> {
  youngGc.enable(); // util/young-gc.ts: dead upload chunks are freed every few MiB, not every 32+ MB (issue 5, RSS)
  const app = await createApp(config, opts);
  // deposits/: acceptances a crash cut are finished or undone before the first request (issue 12).
  await recoverInterruptedAcceptances(app.deps).catch((err: unknown) => app.deps.logger.error({ err }, 'deposits: recovery of interrupted acceptances failed'));
  await recoverInterruptedRefMoves(app.deps).catch((err: unknown) => app.deps.logger.error({ err }, 'repositories: recovery of unrecorded pushes and uploads failed'));
  await removeFinishedScratch(app.deps).catch((err: unknown) => app.deps.logger.error({ err }, 'returns: removing the scratch of finished packages failed'));
  const server = createServer(app.app);
  server.requestTimeout = config.requestTimeoutMs; // 0: no overall limit on a request
  server.headersTimeout = 60_000; // but the headers must arrive within a minute (slow-loris)
  server.keepAliveTimeout = 65_000;
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const notify = startNotify(app.deps); // notify/: e-mail delivery after commit, the daily deadline digest (issue 7)
  const reports = startReportSchedule(app.deps); // reports/: the half-yearly report on the 1st working day of Jan/Jul (issue 9)
  const scrubber = startScrubSchedule(app.deps, opts.scrubSchedule); // integrity/: the fixity scrubber, when QOIMA_SCRUB_MB_S > 0 (issue 12)
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after 30 s are cut; their temp files are cleaned by their own handlers.
        setTimeout(() => server.closeAllConnections(), 30_000).unref();
      });
      await notify.stop();
      await reports.stop();
      await scrubber.stop();
      await app.close();
    })());
  return { app, server, url, stop };
}
