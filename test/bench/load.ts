/**
 * Load (issue 13 §4): Qoima under concurrent git and API traffic, against plain `git http-backend`
 * (lib-git.ts) under the same git load, in the same run:
 *   - 50 concurrent clones of a ~50 MB repository;
 *   - 20 concurrent pushes to 20 repositories, and 10 concurrent pushes to one repository;
 *   - 200 concurrent API readers while 4 uploads of 20 MB run (Qoima only: the baseline has no API).
 * Reports wall time, throughput and its ratio to the baseline, p50/p95 latency per operation, the
 * server's peak RSS, every 5xx (from git's stderr, the HTTP answers and the server's own /metrics)
 * and any git process left behind. Exits non-zero on a 5xx or a leftover process.
 *
 *   npm run bench:load                       (or: npx tsx test/bench/load.ts --mb 50 --clones 50)
 *   --cpu-prof <dir>   also write a V8 CPU profile of the Qoima server into <dir> (written when it stops)
 * Any of the counts may be 0 to skip a part (e.g. `--clones 0 --push-repos 0 --push-one 0` for the API part only).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { bootstrap, createOrganization, createToken, createUser, userIdByLogin } from '../../server/accounts/service.js';
import { formRepository } from '../../server/repositories/service.js';
import { migrate, openDb } from '../../storage/db.js';
import { repoPath } from '../../storage/repos.js';
import { makeBin } from '../helpers/app.js';
import { clientGitEnv, makeSource, runner, startBaseline } from './lib-git.js';
import { buildServer, fmt, productionNodeFlags, rssSampler, startServerProcess } from './lib-server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = arg('mb', 50);
const CLONES = arg('clones', 50);
const PUSH_REPOS = arg('push-repos', 20);
const PUSH_ONE = arg('push-one', 10);
const READERS = arg('readers', 200);
const UPLOADS = arg('uploads', 4);
const UPLOAD_MB = arg('upload-mb', 20);
const cpuProfIndex = process.argv.indexOf('--cpu-prof');
const CPU_PROF_DIR = cpuProfIndex > 0 ? process.argv[cpuProfIndex + 1] : null;

const work = mkdtempSync(join(tmpdir(), 'qoima-load-'));
const clientEnv = clientGitEnv(work);
const { run, ok } = runner(clientEnv);

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);
const now = () => Number(process.hrtime.bigint()) / 1e9;

/** git processes still running under a server process (spawned by it, directly or in its groups). */
function gitLeft(pid: number): string[] {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length > 2);
  const children = new Set([String(pid)]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [p, pp] of rows) {
      if (!children.has(pp) || children.has(p)) continue;
      children.add(p);
      changed = true;
    }
  }
  return rows.filter(([p, , cmd]) => p !== String(pid) && children.has(p) && /git/.test(cmd)).map((f) => f.join(' '));
}

interface Outcome {
  name: string;
  wall: number;
  latencies: number[];
  failures: string[];
  rss: number;
  leftover: number;
  bytes: number;
}

/** Runs `n` operations at once against a server process; each resolves to its git result. */
async function concurrently(name: string, pid: number, n: number, bytesEach: number, op: (i: number) => Promise<{ code: number; stderr: string }>): Promise<Outcome> {
  const rss = rssSampler(pid, 20);
  const latencies: number[] = [];
  const failures: string[] = [];
  const start = now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t0 = now();
      const r = await op(i);
      latencies.push(now() - t0);
      if (r.code !== 0) failures.push(r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 200));
    }),
  );
  const wall = now() - start;
  const peak = rss.stop();
  let leftover = gitLeft(pid).length;
  for (let i = 0; i < 20 && leftover; i++) {
    await new Promise((r) => setTimeout(r, 250));
    leftover = gitLeft(pid).length;
  }
  return { name, wall, latencies, failures, rss: peak, leftover, bytes: n * bytesEach };
}

async function main() {
  console.error(`load: building a ~${MB} MB source repository and a small one for pushes in ${work}`);
  const source = join(work, 'source');
  const packBytes = await makeSource(source, MB, ok);
  const small = join(work, 'small');
  const smallBytes = await makeSource(small, 5, ok);

  // ---- Qoima: storage prepared in-process, then the compiled server in its own process
  const dataDir = join(work, 'qoima');
  const config = loadConfig({ QOIMA_DATA_DIR: dataDir, QOIMA_ADMIN_PASSWORD: 'Bench-Pa55word-Qoima', HOST: '127.0.0.1', PORT: '0' });
  const db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite') });
  await migrate(db);
  const deps = { db, clock: () => new Date(), config };
  await bootstrap(deps, config.adminPassword);
  const actor = { userId: null, orgId: null, login: 'bench', ip: null };
  const org = await createOrganization(deps, actor, { kind: 'government_body', bin: makeBin(515151), nameKk: 'Жүктеме', nameRu: 'Нагрузка' });
  const user = await createUser(deps, actor, { organization: org.bin, login: 'load', fullName: 'Load Bench', role: 'body_user' });
  const token = (await createToken(deps, actor, user.id, { name: 'load', scopes: ['api', 'git:read', 'git:write'] })).token;
  const adminToken = (await createToken(deps, actor, await userIdByLogin(deps, 'admin'), { name: 'load', scopes: ['api'] })).token;
  const names = ['CLONE', 'ONE', 'UPLOAD', ...Array.from({ length: PUSH_REPOS }, (_, i) => `PUSH-${i}`)];
  const ids = new Map<string, number>();
  for (const code of names) {
    const at = new Date().toISOString();
    const [row] = await db('systems').insert({ code, name_kk: code, name_ru: code, owner_org_id: org.id, status: 'registered', created_at: at, updated_at: at }).returning('id');
    const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
    await formRepository(deps, actor, id);
    ids.set(code, id);
  }
  await db.destroy();
  buildServer();
  const server = await startServerProcess(dataDir, {}, [...productionNodeFlags(), ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : [])]);
  const qoimaGit = (code: string) => `${server.url.replace('http://', `http://load:${token}@`)}/git/${code}.git`;
  await ok('git', ['push', '-q', qoimaGit('CLONE'), 'main:refs/heads/load'], { cwd: source });

  // ---- the baseline: copies of the same repositories (after the 50 MB push), served by git http-backend
  const baseRoot = join(work, 'baseline');
  mkdirSync(baseRoot);
  for (const [code, id] of ids) await ok('git', ['clone', '-q', '--bare', repoPath(dataDir, id), join(baseRoot, `${code}.git`)]);
  const baseline = await startBaseline(work, baseRoot, join(dataDir, 'git', 'gitconfig'), { HOME: clientEnv.HOME });
  const baseGit = (code: string) => `${baseline.url}/${code}.git`;
  await run('git', ['ls-remote', qoimaGit('CLONE')]);
  await run('git', ['ls-remote', baseGit('CLONE')]);
  await new Promise((r) => setTimeout(r, 500));
  const idleRss = rssSampler(server.pid).stop();

  const targets = [
    { name: 'Qoima', pid: server.pid, url: qoimaGit },
    { name: 'git http-backend', pid: baseline.child.pid!, url: baseGit },
  ];
  const results: Record<string, Outcome[]> = {};
  for (const t of targets) {
    const out: Outcome[] = [];
    console.error(`load: ${t.name}: ${CLONES} clones`);
    out.push(await concurrently(`${CLONES} concurrent clones of ${fmt(packBytes / 1048576, 0)} MB`, t.pid, CLONES, packBytes, async (i) => {
      const dir = join(work, `clone-${t.pid}-${i}`);
      const r = await run('git', ['clone', '-q', '--bare', '--no-local', t.url('CLONE'), dir]);
      rmSync(dir, { recursive: true, force: true });
      return r;
    }));
    console.error(`load: ${t.name}: ${PUSH_REPOS} pushes to ${PUSH_REPOS} repositories`);
    out.push(await concurrently(`${PUSH_REPOS} concurrent pushes (${fmt(smallBytes / 1048576, 0)} MB) to ${PUSH_REPOS} repositories`, t.pid, PUSH_REPOS, smallBytes, (i) => run('git', ['push', '-q', t.url(`PUSH-${i}`), 'main:refs/heads/load'], { cwd: small })));
    console.error(`load: ${t.name}: ${PUSH_ONE} pushes to one repository`);
    out.push(await concurrently(`${PUSH_ONE} concurrent pushes (${fmt(smallBytes / 1048576, 0)} MB) to one repository`, t.pid, PUSH_ONE, smallBytes, (i) => run('git', ['push', '-q', t.url('ONE'), `main:refs/heads/load-${i}`], { cwd: small })));
    results[t.name] = out;
  }

  // ---- 200 API readers while uploads run (Qoima)
  const scrape = async () => (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${adminToken}` } })).text();
  // prom-client resets its event-loop delay histogram on each scrape: the next one covers this part only
  const apiHandled = (text: string, le: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`qoima_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/api/`))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  const before = await scrape();
  console.error(`load: ${READERS} API readers during ${UPLOADS} uploads of ${UPLOAD_MB} MB`);
  const rss = rssSampler(server.pid, 20);
  const statuses = new Map<number, number>();
  const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const readLat: number[] = [];
  const pathLat = new Map<string, number[]>();
  const upLat: number[] = [];
  const payload = randomBytes(UPLOAD_MB * 1024 * 1024);
  const auth = { Authorization: `Bearer ${token}` };
  const clientLag = monitorEventLoopDelay({ resolution: 10 });
  clientLag.enable();
  const start = now();
  const uploads = Array.from({ length: UPLOADS }, async (_, i) => {
    const t0 = now();
    const r = await fetch(`${server.url}/api/v1/systems/UPLOAD/files/installers/load-${i}.bin`, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: payload });
    await r.arrayBuffer();
    upLat.push(now() - t0);
    count(r.status);
  });
  const paths = ['/api/v1/systems', '/api/v1/systems/CLONE', '/api/v1/systems/CLONE/repository', '/api/v1/me'];
  const readers = Array.from({ length: READERS }, async (_, i) => {
    for (let k = 0; k < 5; k++) {
      const t0 = now();
      const r = await fetch(server.url + paths[(i + k) % paths.length], { headers: auth });
      await r.arrayBuffer();
      readLat.push(now() - t0);
      const path = paths[(i + k) % paths.length];
      pathLat.set(path, [...(pathLat.get(path) ?? []), now() - t0]);
      count(r.status);
    }
  });
  await Promise.all([...uploads, ...readers]);
  const apiWall = now() - start;
  const apiRss = rss.stop();
  clientLag.disable();

  const metrics = await scrape();
  const gauge = (name: string) => Number(new RegExp(`^qoima_${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const server5xx = metrics
    .split('\n')
    .filter((l) => /^qoima_http_requests_total\{.*status="5\d\d"/.test(l) || /^http_requests_total\{.*status="5\d\d"/.test(l))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  const left = gitLeft(server.pid);

  // ---- report
  const q = results.Qoima;
  const b = results['git http-backend'];
  const lines = [
    `${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, ${spawnSync('nproc', [], { encoding: 'utf8' }).stdout.trim()} cores; Qoima compiled, SQLite; Qoima server RSS at rest ${fmt(idleRss, 0)} MB.`,
    '',
    '| load | server | wall s | throughput MB/s | ratio to baseline | p50 s | p95 s | failed | peak RSS MB | git processes left |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  q.forEach((x, i) => {
    for (const [name, o] of [['Qoima', x], ['git http-backend', b[i]]] as const) {
      const thr = o.bytes / 1048576 / o.wall;
      const ratio = name === 'Qoima' ? `${fmt(b[i].wall / x.wall, 2)}×` : '1.00×';
      lines.push(`| ${x.name} | ${name} | ${fmt(o.wall, 1)} | ${fmt(thr, 1)} | ${ratio} | ${fmt(pct(o.latencies, 50), 2)} | ${fmt(pct(o.latencies, 95), 2)} | ${o.failures.length} | ${fmt(o.rss, 0)} | ${o.leftover} |`);
    }
  });
  lines.push(
    '',
    `API: ${READERS} readers × 5 GETs (${readLat.length} requests) during ${UPLOADS} concurrent ${UPLOAD_MB} MB uploads, ${fmt(apiWall, 1)} s: read p50 ${fmt(pct(readLat, 50) * 1000, 0)} ms, p95 ${fmt(pct(readLat, 95) * 1000, 0)} ms; upload p50 ${fmt(pct(upLat, 50), 2)} s; statuses ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; Qoima peak RSS ${fmt(apiRss, 0)} MB.`,
    `API read p50/p95 by path: ${[...pathLat].map(([path, xs]) => `${path} ${fmt(pct(xs, 50) * 1000, 0)}/${fmt(pct(xs, 95) * 1000, 0)} ms`).join('; ')}.`,
    `The benchmark's own event-loop delay meanwhile (its client side): p99 ${fmt(clientLag.percentile(99) / 1e6, 0)} ms, max ${fmt(clientLag.max / 1e6, 0)} ms.`,
    `Of these, handled by Qoima (its request-duration histogram: from the first middleware to the last byte handed to the socket) within 0.25 s: ${apiHandled(metrics, '0.25') - apiHandled(before, '0.25')}, within 1 s: ${apiHandled(metrics, '1') - apiHandled(before, '1')}, within 5 s: ${apiHandled(metrics, '5') - apiHandled(before, '5')}.`,
    `Qoima event-loop delay during the API part: p50 ${fmt(gauge('nodejs_eventloop_lag_p50_seconds') * 1000, 0)} ms, p99 ${fmt(gauge('nodejs_eventloop_lag_p99_seconds') * 1000, 0)} ms, max ${fmt(gauge('nodejs_eventloop_lag_max_seconds') * 1000, 0)} ms.`,
    `5xx answered by Qoima over the whole run (its /metrics): ${server5xx}; git processes left at the end: ${left.length}.`,
  );
  const failures = [...q, ...b].flatMap((o) => o.failures.map((f) => `${o.name}: ${f}`));
  if (failures.length) lines.push('', 'Failures:', ...failures.slice(0, 10).map((f) => `- ${f}`));
  console.log(lines.join('\n'));

  await server.stop();
  await new Promise((resolve) => baseline.child.once('exit', resolve).kill('SIGTERM'));
  rmSync(work, { recursive: true, force: true });
  const bad = server5xx > 0 || left.length > 0 || [...statuses.keys()].some((s) => s >= 500) || q.some((o) => o.failures.length || o.leftover);
  process.exit(bad ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
