/**
 * `npm run chaos [-- --kills N]` (issue 12, crash safety): runs the real server as its own process and
 * real clients against it, and kills the server with SIGKILL at a random moment during one of five
 * operations, in turn: a git push (with an LFS object, uploaded by git-lfs), a Git LFS upload (batch,
 * then the object PUT), an API upload (PUT …/files/installers/…, committed by the service), an
 * acceptance (tag, act, rows), a return-package build (the background job). After every kill:
 *  - `qoima fsck` is clean (blobs, git fsck --full, deposit tags and LFS objects, acts, packages, audit chain);
 *  - the server restarts; what the client saw succeed is fully there (main is the pushed commit, the
 *    LFS object is held and stored, the uploaded file is on main, the tag is there, the package is ready);
 *  - what it saw cut left nothing partial (chaos-checks.ts): no commit on main the client or the
 *    service did not make, no LFS pointer on main to an object not stored or not held, no tag that is
 *    not a recorded deposit, no package left `generating`, no half-written package file.
 * Default 50 kills; CI runs `--kills 10` (.ci/run). SQLite by default, PostgreSQL when DATABASE_URL is set
 * (a fresh schema). Prints survived / run per kind and "kills survived / kills run"; exits non-zero on any failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import * as accounts from '../../server/accounts/service.js';
import { loadConfig } from '../../server/config.js';
import { SYSTEM_ACTOR } from '../../server/deps.js';
import { projectRoot } from '../../server/paths.js';
import { formRepository } from '../../server/repositories/service.js';
import { migrate, openDb } from '../../storage/db.js';
import { makeBin } from '../helpers/app.js';
import { checkPackages, checkRepository, lfsPointersAt } from './chaos-checks.js';

const kills = Number(process.argv[process.argv.indexOf('--kills') + 1]) || 50;
const ALL_KINDS = ['push', 'lfs', 'upload', 'accept', 'return'] as const;
type Kind = (typeof ALL_KINDS)[number];
// `--only upload,lfs`: rounds of those kinds only (for chasing one failure).
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1].split(',') : null;
const KINDS = ALL_KINDS.filter((k) => !only || only.includes(k));
const root = mkdtempSync(join(tmpdir(), 'qoima-chaos-'));
const dataDir = join(root, 'data');
const port = 20000 + Math.floor(Math.random() * 20000);
const schema = process.env.DATABASE_URL ? `chaos_${process.pid}_${Date.now()}` : undefined;
const env: Record<string, string> = {
  PATH: process.env.PATH!, QOIMA_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', QOIMA_ADMIN_PASSWORD: 'Qoima-Chaos-Pa55word', QOIMA_LOG_LEVEL: 'silent', QOIMA_DEFAULT_LANG: 'en',
  ...(schema ? { DATABASE_URL: process.env.DATABASE_URL!, QOIMA_DB_SCHEMA: schema } : {}),
};
const base = `http://127.0.0.1:${port}`;
const gitHome = join(root, 'home');
mkdirSync(gitHome);
// The client never downloads LFS content back (a reset to the remote's main keeps pointers in the work tree).
const gitEnv = { PATH: process.env.PATH!, HOME: gitHome, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_LFS_SKIP_SMUDGE: '1', GIT_AUTHOR_NAME: 'c', GIT_AUTHOR_EMAIL: 'c@x', GIT_COMMITTER_NAME: 'c', GIT_COMMITTER_EMAIL: 'c@x' };

function git(args: string[], cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}
function gitAsync(args: string[], cwd: string): Promise<boolean> {
  return new Promise((resolve) => spawn('git', args, { cwd, env: gitEnv, stdio: 'ignore' }).on('close', (code) => resolve(code === 0)));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const idOf = (row: unknown) => Number(typeof row === 'object' ? (row as { id: number }).id : row);

/** A PUT streamed from a file with its Content-Length (what git-lfs and curl -T send); status 0 when cut. */
function putFile(url: string, file: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(statSync(file).size) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => void (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    createReadStream(file).pipe(req);
  });
}
async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  try {
    const r = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'en' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: (await r.json().catch(() => ({}))) as Record<string, unknown> };
  } catch {
    return { status: 0, json: {} };
  }
}

const returnSystems = Math.ceil(kills / KINDS.length) + 1;
async function setup() {
  const config = loadConfig(env);
  const db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite'), databaseUrl: config.databaseUrl, schema: config.dbSchema });
  await migrate(db);
  const deps = { db, clock: () => new Date(), config };
  await accounts.bootstrap(deps, config.adminPassword);
  const org = await accounts.createOrganization(deps, SYSTEM_ACTOR, { kind: 'government_body', bin: makeBin(4242), nameKk: 'Ұйым', nameRu: 'Организация' });
  const now = new Date().toISOString();
  const systems: { id: number; code: string }[] = [];
  for (const code of ['CHAOS-1', ...Array.from({ length: returnSystems }, (_, i) => `CHAOS-R${i + 1}`)]) {
    const [row] = await db('systems').insert({ code, name_kk: 'Жүйе', name_ru: 'Система', owner_org_id: org.id, status: 'registered', created_at: now, updated_at: now }).returning('id');
    await formRepository(deps, SYSTEM_ACTOR, idOf(row));
    systems.push({ id: idOf(row), code });
  }
  const user = await accounts.createUser(deps, SYSTEM_ACTOR, { organization: org.bin, login: 'owner', fullName: 'Owner', role: 'body_user', password: `Pw-${randomBytes(9).toString('hex')}` });
  const token = (await accounts.createToken(deps, SYSTEM_ACTOR, user.id, { name: 'chaos', scopes: ['api', 'git:read', 'git:write'] })).token;
  const adminToken = (await accounts.createToken(deps, SYSTEM_ACTOR, await accounts.userIdByLogin(deps, 'admin'), { name: 'chaos', scopes: ['api'] })).token;
  return { db, systems, token, adminToken };
}

let server: ChildProcess | null = null;
// Whatever happens, the server this script started does not outlive it.
process.on('exit', () => void server?.kill('SIGKILL'));
async function start(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), 'serve'], { cwd: projectRoot, env: { ...env, QOIMA_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => void (log = (log + c.toString()).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => void (log = (log + c.toString()).slice(-4000)));
  server = child;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited at start (${child.exitCode}): ${log}`);
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`the server did not come up in 60 s: ${log}`);
}
async function kill(): Promise<void> {
  if (!server) return;
  const exited = new Promise((r) => server!.once('exit', r));
  server.kill('SIGKILL');
  await exited;
  server = null;
}
function fsck(): { clean: boolean; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), 'fsck'], { cwd: projectRoot, env, encoding: 'utf8', timeout: 300_000 });
  return { clean: r.status === 0, out: r.stdout + r.stderr };
}

const started = Date.now();
const { db, systems, token, adminToken } = await setup();
const [main, ...forReturns] = systems;
git(['lfs', 'install', '--skip-repo']);
const work = join(root, 'work');
const files = join(root, 'files');
mkdirSync(files);
await start();
const url = `http://x:${token}@127.0.0.1:${port}/git/${main.code}.git`;
if (!git(['clone', '-q', url, work]).ok) throw new Error('clone failed');
git(['lfs', 'track', 'installers/**'], work);
mkdirSync(join(work, 'installers'), { recursive: true });
const made = new Set<string>([git(['rev-parse', 'HEAD'], work).out.trim()]);
const lfsAuth = { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` };

/** A random file of `min`…`max` MiB in the scratch folder. */
function randomFile(name: string, minMb: number, maxMb: number): { path: string; oid: string; size: number } {
  const content = randomBytes(Math.floor((minMb + Math.random() * (maxMb - minMb)) * 1024 * 1024));
  const path = join(files, name);
  writeFileSync(path, content);
  return { path, oid: sha256(content), size: content.length };
}
/** The client's clone on the remote's main (uploads move it), with a new commit carrying an LFS file. */
function newCommit(k: number): string {
  git(['fetch', '-q', 'origin'], work);
  git(['reset', '-q', '--hard', 'origin/main'], work);
  writeFileSync(join(work, 'installers', `setup-${k}.bin`), randomBytes(256 * 1024 + Math.floor(Math.random() * 2 * 1024 * 1024)));
  writeFileSync(join(work, `notes-${k}.txt`), randomBytes(4096).toString('base64'));
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', `chaos ${k}`], work);
  const commit = git(['rev-parse', 'HEAD'], work).out.trim();
  made.add(commit);
  return commit;
}

/** One round: starts the operation, kills the server at a random moment, says what the client saw and how to check it. */
type Round = { seen: 'succeeded' | 'cut' | 'refused'; check: () => Promise<string[]> };
let returning = 0; // index into forReturns of the system whose return is being built
const prepared = new Set<number>();

async function round(kind: Kind, k: number): Promise<Round> {
  if (kind === 'push') {
    const commit = newCommit(k);
    const push = gitAsync(['push', '-q', 'origin', 'HEAD:main'], work);
    await sleep(Math.random() * 1200);
    await kill();
    const ok = await push;
    return { seen: ok ? 'succeeded' : 'cut', check: async () => (ok && remoteMain() !== commit ? [`push reported success but main is ${remoteMain()}, not ${commit}`] : []) };
  }
  if (kind === 'lfs') {
    const f = randomFile(`lfs-${k}.bin`, 8, 40);
    const b = await fetch(`http://127.0.0.1:${port}/git/${main.code}.git/info/lfs/objects/batch`, { method: 'POST', headers: { ...lfsAuth, accept: 'application/vnd.git-lfs+json', 'content-type': 'application/vnd.git-lfs+json' }, body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid: f.oid, size: f.size }] }) });
    const action = ((await b.json()) as { objects: { actions: { upload: { href: string; header: Record<string, string> } } }[] }).objects[0].actions.upload;
    const put = putFile(action.href, f.path, action.header);
    await sleep(Math.random() * 700);
    await kill();
    const r = await put;
    return {
      seen: r.status === 200 ? 'succeeded' : r.status === 0 ? 'cut' : 'refused',
      check: async () => {
        const row = await db('lfs_objects').where({ system_id: main.id, oid: f.oid }).first('size');
        const stored = statSafe(join(dataDir, 'blobs', f.oid.slice(0, 2), f.oid.slice(2, 4), f.oid));
        if (r.status === 200 && (!row || Number(row.size) !== f.size || stored !== f.size)) return [`LFS upload answered 200 but the object is ${row ? 'held' : 'not held'} with ${stored ?? 'no'} bytes stored`];
        if (row && stored !== f.size) return [`the LFS object is held but ${stored ?? 'no'} bytes are stored (a row without its blob)`];
        return [];
      },
    };
  }
  if (kind === 'upload') {
    const f = randomFile(`api-${k}.bin`, 8, 40);
    const path = `installers/api-${k}.bin`;
    const put = putFile(`${base}/api/v1/systems/${main.code}/files/${path}`, f.path, { authorization: `Bearer ${token}` });
    await sleep(Math.random() * 900);
    await kill();
    const r = await put;
    return {
      seen: r.status === 201 ? 'succeeded' : r.status === 0 ? 'cut' : 'refused',
      check: async () => {
        if (r.status !== 201) return []; // whatever landed is checked by checkRepository
        const commit = (JSON.parse(r.body) as { commit: string }).commit;
        const problems: string[] = [];
        if (!git(['--git-dir', repoOf(main.id), 'merge-base', '--is-ancestor', commit, 'main']).ok) problems.push(`upload answered 201 with ${commit}, which is not on main`);
        const p = lfsPointersAt(dataDir, main.id, 'main').get(path);
        if (p?.oid !== f.oid) problems.push(`upload answered 201 but main's ${path} is ${p ? p.oid : 'missing'} (${r.body}; main has ${[...lfsPointersAt(dataDir, main.id, 'main').keys()].join(',')})`);
        return problems;
      },
    };
  }
  if (kind === 'accept') {
    const commit = newCommit(k);
    const pushed = git(['push', '-q', 'origin', 'HEAD:main'], work).ok;
    const accept = api('POST', `/systems/${main.code}/deposits`, adminToken, { ref: 'main', overrideReason: 'chaos' });
    await sleep(Math.random() * 1500);
    await kill();
    const r = await accept;
    const tag = r.status === 201 ? String(r.json.tag) : null;
    return {
      seen: tag ? 'succeeded' : r.status === 0 ? 'cut' : 'refused',
      check: async () => {
        const problems: string[] = [];
        if (pushed && remoteMain() !== commit) problems.push(`the push before the acceptance succeeded but main is ${remoteMain()}`);
        if (tag && !git(['--git-dir', repoOf(main.id), 'rev-parse', '--verify', '--quiet', `refs/tags/${tag}`]).ok) problems.push(`acceptance reported ${tag} but the tag is not there`);
        if (tag && !(await db('deposits').where({ system_id: main.id, tag }).first('id'))) problems.push(`acceptance reported ${tag} but no deposit row`);
        return problems;
      },
    };
  }
  // return: a system with an accepted version and a decommission notice, then the package job.
  const sys = forReturns[returning];
  if (!prepared.has(sys.id)) {
    for (const i of [1, 2]) {
      const f = randomFile(`r-${sys.code}-${i}.bin`, 12, 16);
      const up = await putFile(`${base}/api/v1/systems/${sys.code}/files/installers/setup-${i}.bin`, f.path, { authorization: `Bearer ${token}` });
      if (up.status !== 201) throw new Error(`preparing ${sys.code}: upload answered ${up.status} ${up.body}`);
    }
    const acc = await api('POST', `/systems/${sys.code}/deposits`, adminToken, { ref: 'main', overrideReason: 'chaos' });
    if (acc.status !== 201) throw new Error(`preparing ${sys.code}: acceptance answered ${acc.status} ${JSON.stringify(acc.json)}`);
    const today = new Date().toISOString().slice(0, 10);
    const notice = await api('POST', `/systems/${sys.code}/decommission`, token, { withdrawnOn: today, basis: { number: 'chaos-1', date: today }, scope: 'last_version' });
    if (notice.status !== 201) throw new Error(`preparing ${sys.code}: notice answered ${notice.status} ${JSON.stringify(notice.json)}`);
    prepared.add(sys.id);
  }
  const begun = await api('POST', `/systems/${sys.code}/return`, adminToken, {});
  if (begun.status !== 202) throw new Error(`${sys.code}: starting the return answered ${begun.status} ${JSON.stringify(begun.json)}`);
  const packageId = Number((begun.json.package as { id: number }).id);
  await sleep(Math.random() * 1500);
  await kill();
  const status = async () => String((await db('return_packages').where({ id: packageId }).first('status'))?.status);
  const wasReady = (await status()) === 'ready';
  if (wasReady) returning++; // that system is returned; the next return round takes the next one
  return {
    seen: wasReady ? 'succeeded' : 'cut',
    check: async () => {
      // Recovery runs as the restarted server comes up: the job must leave `generating` within seconds.
      for (let i = 0; i < 100 && (await status()) === 'generating'; i++) await sleep(100);
      const problems = await checkPackages(db, dataDir, sys);
      if (wasReady && (await status()) !== 'ready') problems.push(`package ${packageId} was ready before the kill and is ${await status()} after`);
      return problems;
    },
  };
}

const repoOf = (id: number) => join(dataDir, 'repos', `${id}.git`);
const remoteMain = () => git(['ls-remote', url, 'refs/heads/main']).out.split(/\s/)[0];
function statSafe(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

const stats = new Map<Kind, { run: number; survived: number; succeeded: number; cut: number }>(KINDS.map((k) => [k, { run: 0, survived: 0, succeeded: 0, cut: 0 }]));
const failures: string[] = [];
let survived = 0;
for (let k = 1; k <= kills; k++) {
  const kind = KINDS[(k - 1) % KINDS.length];
  const r = await round(kind, k);
  const check = fsck();
  await start();
  const problems = await r.check();
  if (!check.clean) problems.push(`fsck: ${check.out.trim().split('\n').slice(0, 5).join(' | ')}`);
  for (const s of [main, ...forReturns.slice(0, returning + 1)]) {
    const repo = await checkRepository(db, dataDir, s, s === main ? made : null);
    problems.push(...repo.problems);
  }
  const s = stats.get(kind)!;
  s.run++;
  if (r.seen === 'succeeded') s.succeeded++;
  else s.cut++;
  if (problems.length) failures.push(`kill ${k} (${kind}): ${problems.join('; ')}`);
  else {
    survived++;
    s.survived++;
  }
  process.stdout.write(`kill ${k}/${kills}: ${kind} ${r.seen}; ${problems.length ? 'FAILED ' + problems.join('; ') : 'ok'}\n`);
  rmSync(files, { recursive: true, force: true });
  mkdirSync(files);
}
await kill();
const seconds = Math.round((Date.now() - started) / 1000);
process.stdout.write(`\n${'kind'.padEnd(8)} survived/run  (client saw: succeeded / cut)\n`);
for (const [kind, s] of stats) process.stdout.write(`${kind.padEnd(8)} ${`${s.survived}/${s.run}`.padEnd(12)}  (${s.succeeded} / ${s.cut})\n`);
process.stdout.write(`\nkills survived / kills run: ${survived} / ${kills} in ${seconds} s on ${schema ? 'PostgreSQL' : 'SQLite'}\n`);
for (const f of failures) process.stdout.write(`${f}\n`);
await db.destroy();
if (schema) {
  const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL! });
  await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.destroy();
}
if (!process.env.QOIMA_CHAOS_KEEP) rmSync(root, { recursive: true, force: true });
else process.stdout.write(`kept ${root}\n`);
process.exit(failures.length ? 1 : 0);
