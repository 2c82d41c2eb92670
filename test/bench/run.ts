/**
 * `npm run bench`: runs every benchmark in test/bench/ one after another, each in its own process
 * (so one's memory does not weigh on the next), the load benchmark (load.ts, `npm run bench:load`) among
 * them. `npm run bench -- uploads` runs uploads.ts (an exact name wins), else those whose file name
 * contains the word; further arguments after `--` go to each benchmark.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [filter, ...rest] = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib'))
  .sort();
// `load` names load.ts alone (a bare substring would also pick uploads.ts); otherwise a substring of the name.
const chosen = !filter || filter.startsWith('--') ? benches : benches.includes(`${filter}.ts`) ? [`${filter}.ts`] : benches.filter((f) => f.includes(filter));
const args = filter?.startsWith('--') ? [filter, ...rest] : rest;
let failed = 0;
for (const bench of chosen) {
  process.stdout.write(`\n## ${bench}\n\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
