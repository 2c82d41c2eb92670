import { walkCommit } from './server/git/inventory.ts';
import { prepareGitHome } from './server/git/env.ts';
import { execFileSync } from 'node:child_process';
const dd = '/tmp/invbench/dd'; prepareGitHome(dd);
const readers = Number(process.argv[2] ?? 2);
const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ls: number[] = [], us: number[] = [], cpu: number[] = [];
for (let i = 0; i < 5; i++) {
  let t0 = performance.now();
  execFileSync('git', ['--git-dir=/tmp/invbench/r.git', 'ls-tree', '-r', '-l', 'main'], { maxBuffer: 1 << 30 });
  ls.push(performance.now() - t0);
  t0 = performance.now(); const c0 = process.cpuUsage(); let n = 0;
  for await (const batch of walkCommit(dd, '/tmp/invbench/r.git', 'main', { readers })) n += batch.length;
  us.push(performance.now() - t0); const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000);
}
console.log('readers', readers, 'ls-tree', med(ls).toFixed(0), 'walk', med(us).toFixed(0), 'node cpu', med(cpu).toFixed(0), 'ratio', (med(us) / med(ls)).toFixed(2));
