/**
 * `npm run chaos [-- --kills N]` (issue 12, crash safety): runs the real server as its own process and
 * real git / git-lfs clients against it, kills the server with SIGKILL at a random moment during a push
 * (with an LFS object) or an acceptance, restarts it, and checks after every restart:
 *  - a push the client saw succeed is there (the remote's main is the client's commit);
 *  - a push the client saw fail left main at a commit the client made (never a ref without its objects);
 *  - `qoima fsck` is clean (blobs, git fsck --full, deposit tags and LFS objects, acts, audit chain).
 * Default 50 kills; CI runs `--kills 10`. Prints "kills survived / kills run"; exits non-zero on any failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as accounts from '../../server/accounts/service.js';
import { loadConfig } from '../../server/config.js';
import { SYSTEM_ACTOR } from '../../server/deps.js';
import { projectRoot } from '../../server/paths.js';
import { formRepository } from '../../server/repositories/service.js';
import { migrate, openDb } from '../../storage/db.js';
import { makeBin } from '../helpers/app.js';

const kills = Number(process.argv[process.argv.indexOf('--kills') + 1]) || 50;
const root = mkdtempSync(join(tmpdir(), 'qoima-chaos-'));
const dataDir = join(root, 'data');
const port = 20000 + Math.floor(Math.random() * 20000);
const env: Record<string, string> = { PATH: process.env.PATH!, QOIMA_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', QOIMA_ADMIN_PASSWORD: 'Qoima-Chaos-Pa55word', QOIMA_LOG_LEVEL: 'silent', QOIMA_DEFAULT_LANG: 'en' };
const gitHome = join(root, 'home');
mkdirSync(gitHome);
const gitEnv = { PATH: process.env.PATH!, HOME: gitHome, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'c', GIT_AUTHOR_EMAIL: 'c@x', GIT_COMMITTER_NAME: 'c', GIT_COMMITTER_EMAIL: 'c@x' };

function git(args: string[], cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: (r.stdout ?? '') + (r.stderr ?? '') };
}
function gitAsync(args: string[], cwd: string): Promise<boolean> {
  return new Promise((resolve) => spawn('git', args, { cwd, env: gitEnv, stdio: 'ignore' }).on('close', (code) => resolve(code === 0)));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(): Promise<{ code: string; token: string; adminToken: string }> {
  const config = loadConfig(env);
  const db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite') });
  await migrate(db);
  const deps = { db, clock: () => new Date(), config };
  await accounts.bootstrap(deps, config.adminPassword);
  const org = await accounts.createOrganization(deps, SYSTEM_ACTOR, { kind: 'government_body', bin: makeBin(4242), nameKk: 'Ұйым', nameRu: 'Организация' });
  const now = new Date().toISOString();
  const [row] = await db('systems').insert({ code: 'CHAOS-1', name_kk: 'Жүйе', name_ru: 'Система', owner_org_id: org.id, status: 'registered', created_at: now, updated_at: now }).returning('id');
  await formRepository(deps, SYSTEM_ACTOR, Number(typeof row === 'object' ? (row as { id: number }).id : row));
  const user = await accounts.createUser(deps, SYSTEM_ACTOR, { organization: org.bin, login: 'owner', fullName: 'Owner', role: 'body_user', password: `Pw-${randomBytes(9).toString('hex')}` });
  const token = (await accounts.createToken(deps, SYSTEM_ACTOR, user.id, { name: 'chaos', scopes: ['api', 'git:read', 'git:write'] })).token;
  const adminToken = (await accounts.createToken(deps, SYSTEM_ACTOR, await accounts.userIdByLogin(deps, 'admin'), { name: 'chaos', scopes: ['api'] })).token;
  await db.destroy();
  return { code: 'CHAOS-1', token, adminToken };
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
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (up) return;
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

const { code, token, adminToken } = await setup();
git(['lfs', 'install', '--skip-repo']);
const work = join(root, 'work');
await start();
const url = `http://x:${token}@127.0.0.1:${port}/git/${code}.git`;
if (!git(['clone', '-q', url, work]).ok) throw new Error('clone failed');
git(['lfs', 'track', 'installers/**'], work);
mkdirSync(join(work, 'installers'), { recursive: true });
const made = new Set<string>([git(['rev-parse', 'HEAD'], work).out.trim()]);

let survived = 0;
const failures: string[] = [];
for (let k = 1; k <= kills; k++) {
  writeFileSync(join(work, 'installers', `setup-${k}.bin`), randomBytes(256 * 1024 + Math.floor(Math.random() * 2 * 1024 * 1024)));
  writeFileSync(join(work, `notes-${k}.txt`), randomBytes(4096).toString('base64'));
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', `chaos ${k}`], work);
  const commit = git(['rev-parse', 'HEAD'], work).out.trim();
  made.add(commit);
  // Every third round the kill lands during an acceptance (tag, act, rows) instead of a push.
  const accepting = k % 3 === 0;
  const push = accepting ? Promise.resolve(git(['push', '-q', 'origin', 'HEAD:main'], work).ok) : gitAsync(['push', '-q', 'origin', 'HEAD:main'], work);
  const accept = accepting
    ? fetch(`http://127.0.0.1:${port}/api/v1/systems/${code}/deposits`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ ref: 'main', overrideReason: 'chaos' }) }).then(async (r) => (r.status === 201 ? ((await r.json()) as { tag: string }).tag : null), () => null)
    : Promise.resolve(null);
  await sleep(Math.floor(Math.random() * (accepting ? 2500 : 4000)));
  await kill();
  const pushed = await push;
  const acceptedTag = await accept;
  const check = fsck();
  await start();
  const remote = git(['ls-remote', url, 'refs/heads/main']).out.split(/\s/)[0];
  const problems: string[] = [];
  if (pushed && remote !== commit) problems.push(`push reported success but main is ${remote}, not ${commit}`);
  if (acceptedTag && !git(['ls-remote', url, `refs/tags/${acceptedTag}`]).out.includes(acceptedTag)) problems.push(`acceptance reported ${acceptedTag} but the tag is not there`);
  if (!made.has(remote)) problems.push(`main is ${remote}, a commit the client never made`);
  if (!check.clean) problems.push(`fsck: ${check.out.trim().split('\n').slice(0, 5).join(' | ')}`);
  if (problems.length) failures.push(`kill ${k}: ${problems.join('; ')}`);
  else survived++;
  process.stdout.write(`kill ${k}/${kills}: ${accepting ? `acceptance ${acceptedTag ? 'succeeded' : 'cut'}` : `push ${pushed ? 'succeeded' : 'cut'}`}; ${problems.length ? 'FAILED ' + problems.join('; ') : 'ok'}\n`);
  if (!pushed) git(['fetch', '-q', 'origin'], work); // the next push carries what this one did not
}
await kill();
process.stdout.write(`\nkills survived / kills run: ${survived} / ${kills}\n`);
for (const f of failures) process.stdout.write(`${f}\n`);
rmSync(root, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
