/**
 * Large deposits (issue 5): one file of --mb MB (default 2048) uploaded through
 * `PUT /api/v1/systems/:code/files/installers/…` and pushed with `git lfs push`, against `cp` of the
 * same file on the same disk followed by `sync` of the copy (our store fsyncs too), in the same run.
 * Prints throughput, the ratio to cp (goal ≥ 0.7) and the server's peak RSS (goal ≤ 150 MB).
 *
 *   npm run bench -- uploads            (or: npx tsx test/bench/uploads.ts --mb 512)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { validForm } from '../integration/intake-fixtures.js';
import { makeBin } from '../helpers/app.js';
import { buildServer, fmt, mbps, rssSampler, startServerProcess } from './lib-server.js';

const argMb = process.argv.indexOf('--mb');
const SIZE_MB = argMb > 0 ? Number(process.argv[argMb + 1]) : 2048;
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

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function putFile(url: string, token: string, path: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url + path);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Length': statSync(file).size, 'Content-Type': 'application/octet-stream' } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve(res.statusCode) : reject(new Error(`PUT ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req);
  });
}

async function main() {
  const file = join(work, 'installer.bin');
  sh('sh', ['-c', `head -c ${SIZE_MB}M /dev/urandom > '${file}'`]);
  const bytes = statSync(file).size;

  const cpRuns = [1, 2].map((i) => timed(() => {
    const target = join(work, `cp-${i}.bin`);
    copyFileSync(file, target);
    sh('sync', [target]);
    rmSync(target);
  }).ms);
  const cpMs = Math.min(...cpRuns);

  buildServer();
  const server = await startServerProcess(dataDir);
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
    rss.reset();
    const idleRss = rss.peak;
    const put = await timedAsync(() => putFile(server.url, bodyToken, '/api/v1/systems/BENCH-UP/files/installers/setup-api.bin', file));
    const putRss = rss.peak;

    const clone = join(work, 'clone');
    const u = new URL(server.url);
    sh('git', ['lfs', 'install', '--skip-repo']);
    sh('git', ['clone', '-q', `http://x:${bodyToken}@${u.host}/git/BENCH-UP.git`, clone]);
    // A different file for the push (same size), so the server really receives it again.
    sh('sh', ['-c', `head -c ${SIZE_MB}M /dev/urandom > '${join(clone, 'installers', 'setup-lfs.bin')}'`]);
    sh('git', ['add', 'installers/setup-lfs.bin'], clone);
    sh('git', ['commit', '-q', '-m', 'installer via LFS'], clone);
    rss.reset();
    const push = timed(() => sh('git', ['push', '-q', 'origin', 'main'], clone));
    const pushRss = rss.stop();

    const rows = [
      ['cp + sync (baseline)', cpMs, 1, '—'],
      ['PUT /files/installers (API upload)', put.ms, cpMs / put.ms, fmt(putRss)],
      ['git lfs push', push.ms, cpMs / push.ms, fmt(pushRss)],
    ] as const;
    console.log(`${SIZE_MB} MiB file, ${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}; server RSS before the transfers: ${fmt(idleRss)} MB\n`);
    console.log('| path | wall time | throughput | ratio to cp | server peak RSS (MB) |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, ms, ratio, r] of rows) console.log(`| ${name} | ${fmt(ms / 1000, 2)} s | ${fmt(mbps(bytes, ms))} MB/s | ${fmt(ratio, 2)}× | ${r} |`);
  } finally {
    rss.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
