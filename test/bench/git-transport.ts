/**
 * Git transport benchmark (issue 4): push and clone of a ~200 MB repository through Qoima vs the same
 * repository served by plain `git http-backend` behind a minimal CGI wrapper, in the same run, with
 * the same git and the same global git config (fsync included) on both sides. Prints a Markdown table
 * for docs/benchmarks.md: wall time, throughput, the ratio Qoima/baseline and the server's peak RSS.
 *
 *   npx tsx test/bench/git-transport.ts [--mb 200] [--runs 3] [--long-push]
 *
 * --long-push also pushes ~36 MB through a throttled proxy so that the push takes longer than Node's
 * default 5-minute request timeout, and checks that it is not cut.
 */
import { spawn } from 'node:child_process';
import { productionNodeFlags } from './lib-server.js';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { loadConfig } from '../../server/config.js';
import { bootstrap, createOrganization, createToken, createUser } from '../../server/accounts/service.js';
import { formRepository } from '../../server/repositories/service.js';
import { migrate, openDb } from '../../storage/db.js';
import { repoPath } from '../../storage/repos.js';
import { projectRoot } from '../../server/paths.js';
import { makeBin } from '../helpers/app.js';
import { clientGitEnv, makeSource, runner, startBaseline, waitForLine } from './lib-git.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = arg('mb', 200);
const RUNS = arg('runs', 3);
const LONG = process.argv.includes('--long-push');
/** --trace <dir>: git's trace2 performance log of both servers' git processes, for finding where time goes. */
const TRACE = process.argv.includes('--trace') ? process.argv[process.argv.indexOf('--trace') + 1] : null;

const work = mkdtempSync(join(tmpdir(), 'qoima-bench-'));
const clientEnv = clientGitEnv(work);
const home = clientEnv.HOME!;

const { run, ok } = runner(clientEnv);

/** CPU seconds (user + system) a process has used so far (its children not included). */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs `fn`, sampling the server's RSS every 20 ms; returns seconds and peak RSS. */
async function measure(pid: number, fn: () => Promise<void>): Promise<{ seconds: number; rss: number; cpu: number }> {
  let peak = rssOf(pid);
  const cpu0 = cpuOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
  const start = process.hrtime.bigint();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rss: Math.max(peak, rssOf(pid)), cpu: cpuOf(pid) - cpu0 };
}

async function main() {
  console.error(`bench: building a ~${MB} MB source repository in ${work}`);
  const source = join(work, 'source');
  const packBytes = await makeSource(source, MB, ok);
  const payloadMb = packBytes / 1024 / 1024;

  // ---- Qoima: storage prepared in-process, then the server in its own process
  const dataDir = join(work, 'qoima');
  const env = { QOIMA_DATA_DIR: dataDir, QOIMA_ADMIN_PASSWORD: 'Qoima-B3nch-' + randomBytes(6).toString('hex'), HOST: '127.0.0.1', PORT: '0', QOIMA_LOG_LEVEL: 'warn', QOIMA_SCRUB_MB_S: '0' };
  const config = loadConfig(env);
  const db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite') });
  await migrate(db);
  const deps = { db, clock: () => new Date(), config };
  await bootstrap(deps, config.adminPassword);
  const actor = { userId: null, orgId: null, login: 'bench', ip: null };
  const org = await createOrganization(deps, actor, { kind: 'government_body', bin: makeBin(424242), nameKk: 'Бенч', nameRu: 'Бенч' });
  const user = await createUser(deps, actor, { organization: org.bin, login: 'bench', fullName: 'Bench', role: 'body_user' });
  const token = (await createToken(deps, actor, user.id, { name: 'bench', scopes: ['git:read', 'git:write'] })).token;
  const systemIds: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const now = new Date().toISOString();
    const [row] = await db('systems').insert({ code: `BENCH-${i}`, name_kk: 'Бенч', name_ru: 'Бенч', owner_org_id: org.id, status: 'registered', created_at: now, updated_at: now }).returning('id');
    const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
    await formRepository(deps, actor, id);
    systemIds.push(id);
  }
  await db.destroy();
  // The server as it runs in production: compiled JavaScript (tsx would add its own memory to the RSS).
  const build = join(work, 'build');
  mkdirSync(build);
  for (const name of ['node_modules', 'templates']) fs.symlinkSync(join(projectRoot, name), join(build, name));
  fs.copyFileSync(join(projectRoot, 'package.json'), join(build, 'package.json'));
  await run(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(projectRoot, 'tsconfig.build.json'), '--outDir', join(build, 'dist'), '--tsBuildInfoFile', join(build, 'tsbuildinfo'), '--sourceMap', 'false'], { env: process.env });
  if (TRACE) {
    const envJs = join(build, 'dist', 'server', 'git', 'env.js');
    fs.writeFileSync(envJs, fs.readFileSync(envJs, 'utf8').replace("GIT_TERMINAL_PROMPT: '0',", `GIT_TERMINAL_PROMPT: '0', GIT_TRACE2_PERF: ${JSON.stringify(join(TRACE, 'qoima'))},`));
  }
  const profile = process.argv.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[process.argv.indexOf('--cpu-prof') + 1]}`] : [];
  // Qoima runs with the Node flags of `npm start`; --node-flag <flag> adds one, to compare settings.
  profile.push(...productionNodeFlags());
  if (process.argv.includes('--node-flag')) profile.push(process.argv[process.argv.indexOf('--node-flag') + 1]);
  const qoima = spawn(process.execPath, [...profile, join(build, 'dist', 'server', 'cli.js'), 'serve'], { cwd: build, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const qoimaUrl = await waitForLine(qoima, /listening on (http:\/\/\S+)/);

  // ---- the baseline: the same skeleton repositories, served by git http-backend
  const baseRoot = join(work, 'baseline');
  mkdirSync(baseRoot);
  for (let i = 0; i < RUNS + 1; i++) await ok('git', ['clone', '-q', '--bare', repoPath(dataDir, systemIds[i]), join(baseRoot, `BENCH-${i}.git`)]);
  const { url: baselineUrl, child: baseline } = await startBaseline(work, baseRoot, join(dataDir, 'git', 'gitconfig'), { HOME: home, ...(TRACE ? { GIT_TRACE2_PERF: join(TRACE, 'baseline') } : {}) }, profile);

  const targets = [
    { name: 'Qoima', pid: qoima.pid!, url: (i: number) => `${qoimaUrl.replace('http://', `http://bench:${token}@`)}/git/BENCH-${i}.git` },
    { name: 'git http-backend (CGI)', pid: baseline.pid!, url: (i: number) => `${baselineUrl}/BENCH-${i}.git` },
  ];
  // Resident memory of each server at rest, after one small request has loaded its code paths.
  await run('git', ['ls-remote', targets[0].url(0)]);
  await run('git', ['ls-remote', targets[1].url(0)]);
  const idle: Record<string, number> = Object.fromEntries(targets.map((t) => [t.name, rssOf(t.pid)]));
  const results: Record<string, { push: number[]; clone: number[]; rss: number[]; cpu: number[] }> = {};
  for (const t of targets) results[t.name] = { push: [], clone: [], rss: [], cpu: [] };

  for (let r = 0; r < RUNS; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) {
      const push = await measure(t.pid, () => ok('git', ['push', '-q', t.url(r), 'main:refs/heads/bench'], { cwd: source }));
      const cloneDir = join(work, `clone-${r}-${t.pid}`);
      const clone = await measure(t.pid, () => ok('git', ['clone', '-q', '--bare', '--no-local', t.url(r), cloneDir]));
      rmSync(cloneDir, { recursive: true, force: true });
      results[t.name].push.push(push.seconds);
      results[t.name].clone.push(clone.seconds);
      results[t.name].rss.push(push.rss, clone.rss);
      results[t.name].cpu.push(push.cpu + clone.cpu);
      console.error(`bench: run ${r + 1} ${t.name}: push ${push.seconds.toFixed(2)} s (server CPU ${push.cpu.toFixed(2)} s), clone ${clone.seconds.toFixed(2)} s (server CPU ${clone.cpu.toFixed(2)} s), peak RSS ${(Math.max(push.rss, clone.rss) / 1048576).toFixed(0)} MB`);
    }
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const q = results.Qoima;
  const b = results['git http-backend (CGI)'];
  const lines = [
    `Payload: ${payloadMb.toFixed(0)} MB packed (${MB} MB of files), ${RUNS} runs each, alternating order; medians.`,
    '',
    '| | push s | push MB/s | clone s | clone MB/s | server CPU per push + clone | server RSS at rest → peak during transfers |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[['Qoima', q], ['git http-backend (CGI)', b]].map(([name, x]) => {
      const v = x as typeof q;
      return `| ${name} | ${median(v.push).toFixed(2)} | ${(payloadMb / median(v.push)).toFixed(1)} | ${median(v.clone).toFixed(2)} | ${(payloadMb / median(v.clone)).toFixed(1)} | ${median(v.cpu).toFixed(2)} s | ${(idle[name as string] / 1048576).toFixed(0)} → ${(Math.max(...v.rss) / 1048576).toFixed(0)} MB |`;
    }),
    '',
    `Throughput ratio Qoima / baseline: push ${(median(b.push) / median(q.push)).toFixed(2)}×, clone ${(median(b.clone) / median(q.clone)).toFixed(2)}×.`,
  ];

  // ---- reads for the browser: isomorphic-git against git, on the pushed repository
  const gitdir = repoPath(dataDir, systemIds[0]);
  const timeIt = async (fn: () => Promise<unknown>) => {
    const s = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - s) / 1e6;
  };
  const isoLog = await timeIt(() => git.log({ fs, gitdir, ref: 'refs/heads/bench' }));
  const cliLog = await timeIt(() => ok('git', ['--git-dir', gitdir, 'log', '--format=%H %s', 'refs/heads/bench']));
  const tree = await git.readTree({ fs, gitdir, oid: (await git.resolveRef({ fs, gitdir, ref: 'refs/heads/bench' })), filepath: 'source/vendor' });
  const isoSizes = await timeIt(async () => {
    for (const e of tree.tree) await git.readBlob({ fs, gitdir, oid: e.oid });
  });
  const cliSizes = await timeIt(() => ok('git', ['--git-dir', gitdir, 'ls-tree', '-l', 'refs/heads/bench', '--', 'source/vendor/']));
  lines.push(
    '',
    '| read (for the browser) | isomorphic-git | git |',
    '| --- | ---: | ---: |',
    `| log of the pushed branch (25 commits) | ${isoLog.toFixed(0)} ms | ${cliLog.toFixed(0)} ms |`,
    `| sizes of ${tree.tree.length} files in a folder (iso-git must read each 4 MB blob) | ${isoSizes.toFixed(0)} ms | ${cliSizes.toFixed(0)} ms |`,
  );

  if (LONG) lines.push('', await longPush(qoimaUrl, token, systemIds[RUNS]));

  console.log(lines.join('\n'));
  await Promise.all([qoima, baseline].map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

/** A push slower than Node's default requestTimeout (300 s), through a throttling TCP proxy. */
async function longPush(qoimaUrl: string, token: string, systemId: number): Promise<string> {
  void systemId;
  const target = new URL(qoimaUrl);
  const rate = 110 * 1024; // bytes per second, client → server
  const proxy = createServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    server.pipe(client);
    client.on('data', (chunk: Buffer) => {
      client.pause();
      server.write(chunk);
      setTimeout(() => client.resume(), (chunk.length / rate) * 1000);
    });
    client.on('end', () => server.end());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  const dir = join(work, 'long');
  await ok('git', ['init', '-q', dir]);
  mkdirSync(join(dir, 'source'));
  for (let i = 0; i < 9; i++) writeFileSync(join(dir, 'source', `part-${i}.bin`), randomBytes(4 * 1024 * 1024));
  await ok('git', ['add', '-A'], { cwd: dir });
  await ok('git', ['commit', '-q', '-m', 'long push'], { cwd: dir });
  const url = `http://bench:${token}@127.0.0.1:${port}/git/BENCH-${RUNS}.git`;
  const start = Date.now();
  const res = await run('git', ['push', '-q', url, 'main:refs/heads/long'], { cwd: dir });
  const seconds = (Date.now() - start) / 1000;
  proxy.close();
  return `Long push through a ${Math.round(rate / 1024)} KB/s proxy: ${seconds.toFixed(0)} s, git exit code ${res.code}${res.code === 0 ? ' (not cut)' : `: ${res.stderr.trim()}`}.`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
