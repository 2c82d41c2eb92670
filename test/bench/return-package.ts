/**
 * The return package (issue 8): a deposit with --mb MB (default 2048) of Git LFS objects, uploaded
 * through the API and accepted, is returned — the job builds the BagIt bag as zip and tar — against
 * `tar cf` (then fsync of the tar, as the job fsyncs its files) over the same LFS object files on the
 * same disk, in the same run. Prints the job's wall time, its throughput over the payload and over
 * the bytes it writes (both packages), the ratios to tar (goal ≥ 0.7) and the server's peak RSS
 * while it builds (goal ≤ 150 MB).
 *
 *   npm run bench -- return-package            (or: npx tsx test/bench/return-package.ts --mb 512)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
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
const step = (what: string) => process.stderr.write(`[return-package] ${what}\n`);

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
      sh('tar', ['cf', out, ...objects]);
      sh('sync', [out]);
      const ms = now() - t0;
      rmSync(out);
      return ms;
    });
    const tarMs = Math.min(...tarRuns);

    // A fresh server process for the job, so that its RSS is the job's and not what the uploads left.
    rss.stop();
    await server.stop();
    server = await startServerProcess(dataDir);
    rss = rssSampler(server.pid);
    await new Promise((r) => setTimeout(r, 500));
    rss.reset();
    const idleRss = rss.peak;
    step('building the return package');
    const t0 = now();
    await api(server.url, adminToken, 'POST', '/api/v1/systems/BENCH-RET/return');
    let ret: { package: { status: string; zip: { size: number }; tar: { size: number }; error: string | null; payloadOxum: string } };
    for (;;) {
      ret = await api(server.url, adminToken, 'GET', '/api/v1/systems/BENCH-RET/return');
      if (ret.package.status !== 'generating') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const jobMs = now() - t0;
    const jobRss = rss.stop();
    if (ret.package.status !== 'ready') throw new Error(`package ${ret.package.status}: ${ret.package.error}`);
    const payload = Number(ret.package.payloadOxum.split('.')[0]);
    const written = ret.package.zip.size + ret.package.tar.size;

    console.log(`${SIZE_MB} MiB of LFS objects (${objects.length} files), ${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, ${sh('nproc', []).trim()} cores; server RSS before: ${fmt(idleRss)} MB\n`);
    console.log('| path | wall time | payload throughput | written (MB/s) | ratio to tar cf | server peak RSS (MB) |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(`| tar cf + fsync (baseline, ${fmt(bytes / 1048576, 0)} MB) | ${fmt(tarMs / 1000, 2)} s | ${fmt(mbps(bytes, tarMs))} MB/s | ${fmt(mbps(bytes, tarMs))} | 1.00× | — |`);
    console.log(`| return package job (zip + tar, ${fmt(payload / 1048576, 0)} MB payload) | ${fmt(jobMs / 1000, 2)} s | ${fmt(mbps(payload, jobMs))} MB/s | ${fmt(mbps(written, jobMs))} | ${fmt(tarMs / jobMs * (payload / bytes), 2)}× payload, ${fmt(tarMs / jobMs * (written / bytes), 2)}× written | ${fmt(jobRss)} |`);
  } finally {
    rss.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
