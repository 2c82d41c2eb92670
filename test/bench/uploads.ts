/**
 * Large deposits (issue 5): one file of --mb MB (default 2048) uploaded through
 * `PUT /api/v1/systems/:code/files/installers/…` (with curl) and pushed with `git lfs push`, against
 * `cp` of the same file on the same disk followed by `sync` of the copy (our store fsyncs too),
 * taken right before each transfer in the same run. Every source file is in the page cache with no
 * dirty pages (synced) when a timing starts. Prints throughput, the ratio to cp (goal ≥ 0.7), the
 * server's peak RSS (goal ≤ 150 MB; sampled every 50 ms while the clients run), the server's CPU
 * seconds and the load average (the machine is shared).
 *
 *   npm run bench -- uploads            (or: npx tsx test/bench/uploads.ts --mb 512 [--cpu-prof <dir>])
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { validForm } from '../integration/intake-fixtures.js';
import { makeBin } from '../helpers/app.js';
import { buildServer, fmt, mbps, productionNodeFlags, rssSampler, startServerProcess } from './lib-server.js';

const argMb = process.argv.indexOf('--mb');
const SIZE_MB = argMb > 0 ? Number(process.argv[argMb + 1]) : 2048;
// --cpu-prof <dir>: the server process writes a V8 CPU profile there when it stops.
const argProf = process.argv.indexOf('--cpu-prof');
const serverArgs = [...productionNodeFlags(), ...(argProf > 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[argProf + 1]}`] : [])];
const work = mkdtempSync(join(projectRoot, '.bench-uploads-')); // the project's disk, as the data folder
const dataDir = join(work, 'data');
const home = join(work, 'home');
mkdirSync(home);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.kz\n[init]\n\tdefaultBranch = main\n');
const clientEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C' };

function sh(cmd: string, args: string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, env: clientEnv, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}
async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** The 1-minute load average (the machine is shared: figures are read against it). */
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
/** User + system CPU seconds a process has used so far (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/**
 * Runs a client without blocking this process's event loop, so the RSS sampler keeps sampling the
 * server during the transfer (a spawnSync would freeze it until the end).
 */
function client(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: clientEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code} ${stderr}`))));
  });
}

/** The API upload with curl (`-T`: a streamed PUT with Content-Length), failing on a non-2xx. */
function putFile(url: string, token: string, path: string, file: string): Promise<void> {
  return client('curl', ['-sS', '--fail-with-body', '-o', '/dev/null', '-T', file, '-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/octet-stream', url + path]);
}

async function main() {
  const file = join(work, 'installer.bin');
  sh('sh', ['-c', `head -c ${SIZE_MB}M /dev/urandom > '${file}'`]);
  const bytes = statSync(file).size;

  // The source is in the page cache (just written) and has no dirty pages left (synced), for the
  // baseline and for the transfers alike, so no run pays for another's writeback.
  sh('sync', [file]);
  // The baseline, taken right before each transfer (other engineers share the 2 cores and the load
  // moves): the better of two `cp` + `sync` of the same file on the same disk.
  const cpBaseline = (source: string) =>
    Math.min(
      ...[1, 2].map((i) => timed(() => {
        const target = join(work, `cp-${i}.bin`);
        sh('cp', [source, target]);
        sh('sync', [target]);
        rmSync(target);
      }).ms),
    );

  buildServer();
  // The fixity scrubber (25 MB/s by default, from 30 s after start) would read and hash the first
  // upload's blob during the push, at a time that varies from run to run: off, to measure the deposit paths.
  const server = await startServerProcess(dataDir, { QOIMA_SCRUB_MB_S: '0' }, serverArgs);
  const rss = rssSampler(server.pid);
  try {
    const adminToken = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), 'token', 'create', '--login', 'admin'], { env: { ...process.env, QOIMA_DATA_DIR: dataDir }, encoding: 'utf8' }).stdout.trim();
    const bin = makeBin(880011);
    await api(server.url, adminToken, 'POST', '/api/v1/organizations', { kind: 'government_body', bin, nameKk: 'Бенчмарк', nameRu: 'Бенчмарк' });
    await api(server.url, adminToken, 'POST', '/api/v1/users', { organization: bin, login: 'bench-body', fullName: 'Bench Body', role: 'body_user' });
    const bodyToken = (await api(server.url, adminToken, 'POST', '/api/v1/tokens', { login: 'bench-body', scopes: ['api', 'git:read', 'git:write'] })).token as string;
    const appId = (await api(server.url, bodyToken, 'POST', '/api/v1/applications', validForm({ systemCode: 'BENCH-UP', applicationDate: new Date().toISOString().slice(0, 10), commissioning: { kind: 'industrial_operation', date: new Date().toISOString().slice(0, 10) } }))).id;
    await api(server.url, adminToken, 'POST', `/api/v1/applications/${appId}/register`, {});

    await new Promise((r) => setTimeout(r, 500));
    const cpPutMs = cpBaseline(file);
    rss.reset();
    const idleRss = rss.peak;
    const loadPut = loadAverage();
    const cpuPut = cpuSeconds(server.pid);
    const put = await timedAsync(() => putFile(server.url, bodyToken, '/api/v1/systems/BENCH-UP/files/installers/setup-api.bin', file));
    const putCpu = cpuSeconds(server.pid) - cpuPut;
    const putRss = rss.peak;

    const clone = join(work, 'clone');
    const u = new URL(server.url);
    sh('git', ['lfs', 'install', '--skip-repo']);
    // The clone does not download the uploaded installer (not measured; 2 × SIZE_MB of writes).
    sh('env', ['GIT_LFS_SKIP_SMUDGE=1', 'git', 'clone', '-q', `http://x:${bodyToken}@${u.host}/git/BENCH-UP.git`, clone]);
    // A different file for the push (same size), so the server really receives it again.
    const lfsFile = join(clone, 'installers', 'setup-lfs.bin');
    sh('sh', ['-c', `head -c ${SIZE_MB}M /dev/urandom > '${lfsFile}'`]);
    sh('git', ['add', 'installers/setup-lfs.bin'], clone);
    sh('git', ['commit', '-q', '-m', 'installer via LFS'], clone);
    const lfsOid = /^oid sha256:([0-9a-f]{64})$/m.exec(sh('git', ['cat-file', '-p', 'HEAD:installers/setup-lfs.bin'], clone))![1];
    const lfsObject = join(clone, '.git', 'lfs', 'objects', lfsOid.slice(0, 2), lfsOid.slice(2, 4), lfsOid);
    sh('sync', [lfsFile, lfsObject]); // what git lfs push reads: cached, nothing dirty
    const cpPushMs = cpBaseline(lfsObject);
    rss.reset();
    const loadPush = loadAverage();
    const cpuPush = cpuSeconds(server.pid);
    const push = await timedAsync(() => client('git', ['push', '-q', 'origin', 'main'], clone));
    const pushCpu = cpuSeconds(server.pid) - cpuPush;
    const pushRss = rss.stop();

    const rows = [
      ['cp + sync, before the PUT (baseline)', cpPutMs, 1, '—', '—', loadPut],
      ['PUT /files/installers (API upload)', put.ms, cpPutMs / put.ms, fmt(putRss), fmt(putCpu, 2), loadPut],
      ['cp + sync, before the push (baseline)', cpPushMs, 1, '—', '—', loadPush],
      ['git lfs push', push.ms, cpPushMs / push.ms, fmt(pushRss), fmt(pushCpu, 2), loadPush],
    ] as const;
    console.log(`${SIZE_MB} MiB file, ${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}; server RSS before the transfers: ${fmt(idleRss)} MB\n`);
    console.log('| path | wall time | throughput | ratio to cp | server peak RSS (MB) | server CPU (s) | load avg (1 min) |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [name, ms, ratio, r, cpu, load] of rows) console.log(`| ${name} | ${fmt(ms / 1000, 2)} s | ${fmt(mbps(bytes, ms))} MB/s | ${fmt(ratio, 2)}× | ${r} | ${cpu} | ${load} |`);
  } finally {
    rss.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

// A failed build or a server that does not start must not leave the multi-GiB work folder behind.
await main().finally(() => rmSync(work, { recursive: true, force: true }));
