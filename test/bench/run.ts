/**
 * `npm run bench`: runs every benchmark in test/bench/ one after another, each in its own process
 * (so one's memory does not weigh on the next). `npm run bench -- uploads` runs those whose file name
 * contains "uploads"; further arguments after `--` go to each benchmark.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [filter, ...rest] = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib'))
  .filter((f) => !filter || filter.startsWith('--') || f.includes(filter))
  .sort();
const args = filter?.startsWith('--') ? [filter, ...rest] : rest;
let failed = 0;
for (const bench of benches) {
  process.stdout.write(`\n## ${bench}\n\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
