/**
 * The return package (issue 8): a deposit with --mb MB (default 2048) of Git LFS objects, uploaded
 * through the API and accepted, is returned — the job builds the BagIt bag as a tar (the package is
 * ready and the system returned then), and the zip from that tar right after — against `tar cf` (then
 * fsync of the tar, as the job fsyncs its files) over the same LFS object files on the same disk, in
 * the same run. Prints the job's wall time to ready, its throughput over the payload and over the
 * bytes it writes, the ratios to tar (goal ≥ 0.7), the zip's extra time, and the server's peak RSS
 * over both (goal ≤ 150 MB).
 *
 *   npm run bench -- return-package            (or: npx tsx test/bench/return-package.ts --mb 512)
 *
 * `--strategies` also times, in a plain `node` process over the same object files, the tar (BagWriter)
 * and the zip made from it (zipFromTar). `--profile <dir>` writes the job server's CPU profile into <dir>. */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { validForm } from '../integration/intake-fixtures.js';
import { makeBin } from '../helpers/app.js';
import { buildServer, fmt, mbps, rssSampler, startServerProcess } from './lib-server.js';

const argMb = process.argv.indexOf('--mb');
const SIZE_MB = argMb > 0 ? Number(process.argv[argMb + 1]) : 2048;
const FILE_MB = Math.min(256, SIZE_MB);
const work = mkdtempSync(join(projectRoot, '.bench-return-')); // the project's disk, as the data folder
const dataDir = join(work, 'data');

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const now = () => Number(process.hrtime.bigint() / 1_000_000n);
/** CPU seconds (user + system) a process used, with its waited-for children (git, tar): /proc/<pid>/stat. */
function cpuSeconds(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
  return (f[11] + f[12] + f[13] + f[14]) / 100; // utime stime cutime cstime, at USER_HZ = 100
}
const step = (what: string) => process.stderr.write(`[return-package] ${what}\n`);

/** Preloaded into the job's server by --profile: profiles from start to SIGTERM. */
const PROFILER = `
const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
process.prependListener('SIGTERM', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) fs.writeFileSync(process.env.QOIMA_BENCH_PROFILE, JSON.stringify(res.profile));
  });
});
`;

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function putFile(url: string, token: string, path: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url + path);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Length': statSync(file).size, 'Content-Type': 'application/octet-stream' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req);
  });
}

/**
 * The bag built three ways over the same files, each in a plain `node` process running the compiled
 * BagWriter (as the server does; under tsx a CommonJS dependency may load twice and the native CRC-32
 * would miss archiver's copy); wall time of each.
 */
function strategies(files: string[], dir: string): [string, number][] {
  const script = `
    import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
    import { join } from 'node:path';
    const { BagWriter } = await import(${JSON.stringify(join(projectRoot, 'dist/server/returns/bag-writer.js'))});
    const { zipFromTar } = await import(${JSON.stringify(join(projectRoot, 'dist/server/returns/archives.js'))});
    const [dir, ...files] = process.argv.slice(1);
    const timed = async (fn) => { const t0 = Date.now(); await fn(); return Date.now() - t0; };
    const work = join(dir, 'one-work');
    mkdirSync(work);
    const tar = join(dir, 'one.tar');
    const out = [];
    out.push(await timed(async () => {
      const w = new BagWriter({ bag: 'one', work, tarPath: tar, date: new Date(), onBytes: () => undefined });
      await w.start();
      for (const [i, file] of files.entries()) await w.addPayload({ path: 'deposit/f' + i + '.bin', size: statSync(file).size, open: () => createReadStream(file, { highWaterMark: 1 << 20 }) });
      await w.finish([]);
    }));
    out.push(await timed(() => zipFromTar(tar, join(dir, 'one.zip'), { date: new Date(), zip64: false })));
    for (const f of [tar, join(dir, 'one.zip')]) rmSync(f);
    rmSync(work, { recursive: true });
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir, ...files], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`strategies: ${r.stderr}`);
  const [tar, zip] = JSON.parse(r.stdout.trim()) as number[];
  return [
    ['the tar in one pass (BagWriter: SHA-256 here, SHA-512 and the tar SHA-256 on workers)', tar],
    ['the zip from that tar (zipFromTar: CRC-32 native, SHA-256 on the same thread)', zip],
  ];
}

async function main() {
  step('building the server');
  buildServer();
  let server = await startServerProcess(dataDir);
  let rss = rssSampler(server.pid);
  try {
    const adminToken = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), 'token', 'create', '--login', 'admin'], { env: { ...process.env, QOIMA_DATA_DIR: dataDir }, encoding: 'utf8' }).stdout.trim();
    const bin = makeBin(880023);
    await api(server.url, adminToken, 'POST', '/api/v1/organizations', { kind: 'government_body', bin, nameKk: 'Бенчмарк', nameRu: 'Бенчмарк' });
    await api(server.url, adminToken, 'POST', '/api/v1/users', { organization: bin, login: 'bench-body', fullName: 'Bench Body', role: 'body_user' });
    const bodyToken = (await api(server.url, adminToken, 'POST', '/api/v1/tokens', { login: 'bench-body', scopes: ['api'] })).token as string;
    const today = new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 10);
    const appId = (await api(server.url, bodyToken, 'POST', '/api/v1/applications', validForm({ systemCode: 'BENCH-RET', applicationDate: today, commissioning: { kind: 'industrial_operation', date: today } }))).id;
    await api(server.url, adminToken, 'POST', `/api/v1/applications/${appId}/register`, {});

    step('uploading the deposit');
    // The deposit: source and docs, BUILD.md, and --mb MB of installers that become LFS objects.
    const src = join(work, 'src');
    mkdirSync(src);
    for (let i = 0; i * FILE_MB < SIZE_MB; i++) {
      const file = join(src, `setup-${i}.bin`);
      sh('sh', ['-c', `head -c ${FILE_MB}M /dev/urandom > '${file}'`]);
      await putFile(server.url, bodyToken, `/api/v1/systems/BENCH-RET/files/installers/setup-${i}.bin`, file);
      rmSync(file);
    }
    const small = join(src, 'small.txt');
    for (const path of ['source/Main.java', 'docs/spec.txt']) {
      sh('sh', ['-c', `echo '${path}' > '${small}'`]);
      await putFile(server.url, bodyToken, `/api/v1/systems/BENCH-RET/files/${path}`, small);
    }
    step('accepting it');
    await api(server.url, adminToken, 'POST', '/api/v1/systems/BENCH-RET/deposits', { ref: 'main', overrideReason: 'benchmark deposit' });
    await api(server.url, bodyToken, 'POST', '/api/v1/systems/BENCH-RET/decommission', { withdrawnOn: today, basis: { number: 'B-1', date: today } });

    step('tar cf baseline');
    // The baseline: tar cf over the same LFS object files (then fsync of the tar), twice; the faster counts.
    const objects = sh('sh', ['-c', `find '${join(dataDir, 'blobs')}' -type f -size +1M`]).trim().split('\n');
    const bytes = objects.reduce((s, f) => s + statSync(f).size, 0);
    const tarRuns = [1, 2].map((i) => {
      const out = join(work, `baseline-${i}.tar`);
      const t0 = now();
      const c0 = cpuSeconds('self');
      sh('tar', ['cf', out, ...objects]);
      sh('sync', [out]);
      const run = { ms: now() - t0, cpu: cpuSeconds('self') - c0 };
      rmSync(out);
      return run;
    });
    const tarMs = Math.min(...tarRuns.map((r) => r.ms));
    const tarCpu = Math.min(...tarRuns.map((r) => r.cpu));

    // A fresh server process for the job, so that its RSS is the job's and not what the uploads left.
    rss.stop();
    await server.stop();
    // --profile <dir>: the job's server writes a V8 CPU profile there when it stops (NODE_OPTIONS does not
    // take --cpu-prof, so a preloaded script drives the inspector).
    const profile = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : null;
    const preload = join(work, 'profile.cjs');
    if (profile) writeFileSync(preload, PROFILER);
    server = await startServerProcess(dataDir, profile ? { NODE_OPTIONS: `--require ${preload}`, QOIMA_BENCH_PROFILE: join(profile, 'server.cpuprofile') } : {});
    rss = rssSampler(server.pid);
    await new Promise((r) => setTimeout(r, 500));
    rss.reset();
    const idleRss = rss.peak;
    step('building the return package');
    const c0 = cpuSeconds(server.pid);
    await api(server.url, adminToken, 'POST', '/api/v1/systems/BENCH-RET/return');
    let ret: { package: { status: string; zip: { size: number }; tar: { size: number }; error: string | null; payloadOxum: string; startedAt: string; finishedAt: string } };
    // Polled once a second, as the page does every 3 s: the job's own start and finish stamps time it.
    for (;;) {
      ret = await api(server.url, adminToken, 'GET', '/api/v1/systems/BENCH-RET/return');
      if (ret.package.status !== 'generating') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const jobMs = Date.parse(ret.package.finishedAt) - Date.parse(ret.package.startedAt);
    const jobCpu = cpuSeconds(server.pid) - c0;
    if (ret.package.status !== 'ready') throw new Error(`package ${ret.package.status}: ${ret.package.error}`);
    // The zip is made from the tar after the package is ready (the system is returned by then): timed
    // from the job's finish stamp to the first poll (every 100 ms) that shows it.
    const readyAt = Date.now();
    while (!ret.package.zip) {
      await new Promise((r) => setTimeout(r, 100));
      ret = await api(server.url, adminToken, 'GET', '/api/v1/systems/BENCH-RET/return');
    }
    const zipMs = Date.now() - readyAt;
    const totalCpu = cpuSeconds(server.pid) - c0;
    const jobRss = rss.stop();
    const payload = Number(ret.package.payloadOxum.split('.')[0]);
    const written = ret.package.tar.size;

    console.log(`${SIZE_MB} MiB of LFS objects (${objects.length} files), ${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, ${sh('nproc', []).trim()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; server RSS before: ${fmt(idleRss)} MB\n`);
    console.log('| path | wall time | CPU (user+sys) | payload throughput | written (MB/s) | ratio to tar cf | server peak RSS (MB) |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    console.log(`| tar cf + fsync (baseline, ${fmt(bytes / 1048576, 0)} MB) | ${fmt(tarMs / 1000, 2)} s | ${fmt(tarCpu, 2)} s | ${fmt(mbps(bytes, tarMs))} MB/s | ${fmt(mbps(bytes, tarMs))} | 1.00× | — |`);
    console.log(`| return package job → ready, tar (${fmt(payload / 1048576, 0)} MB payload) | ${fmt(jobMs / 1000, 2)} s | ${fmt(jobCpu, 2)} s | ${fmt(mbps(payload, jobMs))} MB/s | ${fmt(mbps(written, jobMs))} | ${fmt(tarMs / jobMs * (payload / bytes), 2)}× payload, ${fmt(tarMs / jobMs * (written / bytes), 2)}× written | ${fmt(jobRss)} |`);
    console.log(`| then the zip from the tar | +${fmt(zipMs / 1000, 2)} s | ${fmt(totalCpu - jobCpu, 2)} s | — | ${fmt(mbps(ret.package.zip.size, zipMs))} | both formats: ${fmt(tarMs / (jobMs + zipMs) * (payload / bytes), 2)}× payload | (same run) |`);
    if (process.argv.includes('--strategies')) {
      const rows = strategies(objects, work);
      console.log('\n| way of building the bag (compiled BagWriter in its own process, same files) | wall time | payload throughput |');
      console.log('| --- | --- | --- |');
      for (const [name, ms] of rows) console.log(`| ${name} | ${fmt(ms / 1000, 2)} s | ${fmt(mbps(bytes, ms))} MB/s |`);
    }
  } finally {
    rss.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
