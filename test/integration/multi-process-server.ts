import { createInterface } from 'node:readline';
import { loadConfig } from '../../server/config.js';
import { serve } from '../../server/main.js';
import { runScheduledReport } from '../../server/reports/service.js';

/**
 * One server process of multi-process.test.ts: the real `serve()` (what `qoima serve` runs) over the
 * data folder and database of the environment. It prints `listening <url>`; on `report <ISO instant>`
 * on stdin it runs the scheduled report job as the schedule would at that instant (the cron fires in
 * every process at the same minute) and prints its outcome as JSON; it stops on end of input.
 */
const running = await serve(loadConfig(process.env));
process.stdout.write(`listening ${running.url}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, at] = line.split(' ');
  if (cmd !== 'report') continue;
  const r = await runScheduledReport(running.app.deps, new Date(at));
  process.stdout.write(`report ${JSON.stringify({ stored: r.stored?.id ?? null, skipped: r.skipped ?? null })}\n`);
}
await running.stop();
process.exit(0);
