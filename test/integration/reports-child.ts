import { createInterface } from 'node:readline';
import { openDb } from '../../storage/db.js';
import { runScheduledReport } from '../../server/reports/service.js';

/**
 * One server process's scheduled job, for reports-schedule.test.ts: opens the shared database
 * (SQLite file or PostgreSQL schema from the environment), says `ready`, waits for `go` on stdin so
 * that both processes start together, runs the job at the fixed instant given, prints the outcome.
 */
const at = new Date(process.argv[2]);
const db = openDb({ databaseUrl: process.env.DATABASE_URL, schema: process.env.QOIMA_DB_SCHEMA, sqliteFile: process.env.QOIMA_TEST_SQLITE ?? '' });
await db.raw('select 1');
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
try {
  const result = await runScheduledReport({ db, clock: () => at });
  process.stdout.write(JSON.stringify({ stored: result.stored?.id ?? null, skipped: result.skipped }) + '\n');
} finally {
  await db.destroy();
}
