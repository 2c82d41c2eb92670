import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp } from '../helpers/app.js';
import { cloneUrl, formedSystem, gitClient } from '../helpers/git.js';

const t = await startTestApp();
const git = gitClient();
const sys = await formedSystem(t);
const dir = git.workdir('src');
await git.ok(['init', '-q', dir]);
mkdirSync(join(dir, 'v'));
for (let i = 0; i < 25; i++) writeFileSync(join(dir, 'v', `b${i}.bin`), randomBytes(4 << 20));
for (let i = 0; i < 300; i++) writeFileSync(join(dir, `t${i}.txt`), randomBytes(2000).toString('hex'));
await git.ok(['add', '-A'], { cwd: dir });
await git.ok(['commit', '-q', '-m', 'x'], { cwd: dir });
await git.ok(['repack', '-adq'], { cwd: dir });
for (let r = 0; r < 3; r++) {
  const s = Date.now();
  const res = await git.run(['push', '-q', cloneUrl(t, sys.code, sys.owner.token), `main:refs/heads/b${r}`], { cwd: dir, env: { GIT_TRACE2_PERF: '/tmp/prof/trace' + r } });
  console.log('push', r, Date.now() - s, 'ms', res.code);
}
await t.stop();
git.cleanup();
