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
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
const home = join(work, 'home');
mkdirSync(home);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.kz\n[init]\n\tdefaultBranch = main\n');
const clientEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? clientEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
async function ok(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A client repository of about `mb` MB: 4 MB incompressible files plus a history of text files. */
async function makeSource(dir: string, mb: number): Promise<number> {
  await ok('git', ['init', '-q', dir]);
  const binaries = Math.round((mb * 0.9) / 4);
  for (let c = 0; c < 5; c++) {
    mkdirSync(join(dir, 'source', 'vendor'), { recursive: true });
    for (let i = c; i < binaries; i += 5) writeFileSync(join(dir, 'source', 'vendor', `blob-${i}.bin`), randomBytes(4 * 1024 * 1024));
    await ok('git', ['add', '-A'], { cwd: dir });
    await ok('git', ['commit', '-q', '--allow-empty', '-m', `vendor ${c}`], { cwd: dir });
  }
  const textBytes = mb * 0.1 * 1024 * 1024;
  for (let c = 0; c < 20; c++) {
    for (let i = 0; i < 100; i++) {
      const d = join(dir, 'source', 'app', `m${i % 10}`);
      mkdirSync(d, { recursive: true });
      const line = `// commit ${c} file ${i} ${randomBytes(24).toString('hex')}\n`;
      writeFileSync(join(d, `f${i}.ts`), line.repeat(Math.ceil(textBytes / 2000 / line.length)));
    }
    await ok('git', ['add', '-A'], { cwd: dir });
    await ok('git', ['commit', '-q', '-m', `app ${c}`], { cwd: dir });
  }
  await ok('git', ['repack', '-a', '-d', '-q'], { cwd: dir });
  const packDir = join(dir, '.git', 'objects', 'pack');
  return readdirSync(packDir).filter((f) => f.endsWith('.pack')).reduce((n, f) => n + statSync(join(packDir, f)).size, 0);
}

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

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

/** The baseline: `git http-backend` as a CGI program behind the smallest Node HTTP server. */
const CGI_WRAPPER = `
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
const [root, gitconfig] = process.argv.slice(2);
process.on('SIGTERM', () => process.exit(0));
createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const child = spawn('git', ['http-backend'], { env: {
    PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: gitconfig,
    GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'bench', REMOTE_ADDR: '127.0.0.1',
    PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.slice(1), REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] || '', HTTP_CONTENT_ENCODING: req.headers['content-encoding'] || '',
    HTTP_GIT_PROTOCOL: req.headers['git-protocol'] || '', ...(process.env.GIT_TRACE2_PERF ? { GIT_TRACE2_PERF: process.env.GIT_TRACE2_PERF } : {}),
  } });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0); let started = false;
  child.stdout.on('data', (chunk) => {
    if (started) { if (!res.write(chunk)) { child.stdout.pause(); res.once('drain', () => child.stdout.resume()); } return; }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    let status = 200; const headers = {};
    for (const line of head.subarray(0, end).toString().split('\\r\\n')) {
      const i = line.indexOf(':'); const k = line.slice(0, i); const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = parseInt(v, 10); else headers[k] = v;
    }
    res.writeHead(status, headers); started = true; res.write(head.subarray(end + 4));
  });
  child.on('close', () => res.end());
});
`;
const cgiServerLines = `.listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });\n`;

async function main() {
  console.error(`bench: building a ~${MB} MB source repository in ${work}`);
  const source = join(work, 'source');
  const packBytes = await makeSource(source, MB);
  const payloadMb = packBytes / 1024 / 1024;

  // ---- Qoima: storage prepared in-process, then the server in its own process
  const dataDir = join(work, 'qoima');
  const env = { QOIMA_DATA_DIR: dataDir, QOIMA_ADMIN_PASSWORD: 'Qoima-B3nch-' + randomBytes(6).toString('hex'), HOST: '127.0.0.1', PORT: '0', QOIMA_LOG_LEVEL: 'warn' };
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
  const qoima = spawn(process.execPath, [...profile, join(build, 'dist', 'server', 'cli.js'), 'serve'], { cwd: build, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const qoimaUrl = await waitForLine(qoima, /listening on (http:\/\/\S+)/);

  // ---- the baseline: the same skeleton repositories, served by git http-backend
  const baseRoot = join(work, 'baseline');
  mkdirSync(baseRoot);
  for (let i = 0; i < RUNS + 1; i++) await ok('git', ['clone', '-q', '--bare', repoPath(dataDir, systemIds[i]), join(baseRoot, `BENCH-${i}.git`)]);
  writeFileSync(join(work, 'cgi.mjs'), CGI_WRAPPER.replace(/\}\);\n$/, `})${cgiServerLines}`));
  const baseline = spawn(process.execPath, [...profile, join(work, 'cgi.mjs'), baseRoot, join(dataDir, 'git', 'gitconfig')], { env: { PATH: process.env.PATH, HOME: home, ...(TRACE ? { GIT_TRACE2_PERF: join(TRACE, 'baseline') } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const baselineUrl = await waitForLine(baseline, /listening on (http:\/\/\S+)/);

  const targets = [
    { name: 'Qoima', pid: qoima.pid!, url: (i: number) => `${qoimaUrl.replace('http://', `http://bench:${token}@`)}/git/BENCH-${i}.git` },
    { name: 'git http-backend (CGI)', pid: baseline.pid!, url: (i: number) => `${baselineUrl}/BENCH-${i}.git` },
  ];
  // Resident memory of each server at rest, after one small request has loaded its code paths.
  await run('git', ['ls-remote', targets[0].url(0)]);
  await run('git', ['ls-remote', targets[1].url(0)]);
  const idle: Record<string, number> = Object.fromEntries(targets.map((t) => [t.name, rssOf(t.pid)]));
  const results: Record<string, { push: number[]; clone: number[]; rss: number[] }> = {};
  for (const t of targets) results[t.name] = { push: [], clone: [], rss: [] };

  for (let r = 0; r < RUNS; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) {
      const push = await measure(t.pid, () => ok('git', ['push', '-q', t.url(r), 'main:refs/heads/bench'], { cwd: source }));
      const cloneDir = join(work, `clone-${r}-${t.pid}`);
      const clone = await measure(t.pid, () => ok('git', ['clone', '-q', '--bare', '--no-local', t.url(r), cloneDir]));
      rmSync(cloneDir, { recursive: true, force: true });
      results[t.name].push.push(push.seconds);
      results[t.name].clone.push(clone.seconds);
      results[t.name].rss.push(push.rss, clone.rss);
      console.error(`bench: run ${r + 1} ${t.name}: push ${push.seconds.toFixed(2)} s (server CPU ${push.cpu.toFixed(2)} s), clone ${clone.seconds.toFixed(2)} s (server CPU ${clone.cpu.toFixed(2)} s), peak RSS ${(Math.max(push.rss, clone.rss) / 1048576).toFixed(0)} MB`);
    }
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const q = results.Qoima;
  const b = results['git http-backend (CGI)'];
  const lines = [
    `Payload: ${payloadMb.toFixed(0)} MB packed (${MB} MB of files), ${RUNS} runs each, alternating order; medians.`,
    '',
    '| | push s | push MB/s | clone s | clone MB/s | server RSS at rest → peak during transfers |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...[['Qoima', q], ['git http-backend (CGI)', b]].map(([name, x]) => {
      const v = x as typeof q;
      return `| ${name} | ${median(v.push).toFixed(2)} | ${(payloadMb / median(v.push)).toFixed(1)} | ${median(v.clone).toFixed(2)} | ${(payloadMb / median(v.clone)).toFixed(1)} | ${(idle[name as string] / 1048576).toFixed(0)} → ${(Math.max(...v.rss) / 1048576).toFixed(0)} MB |`;
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
