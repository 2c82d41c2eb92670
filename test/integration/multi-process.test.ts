import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as accounts from '../../server/accounts/service.js';
import { loadConfig } from '../../server/config.js';
import { SYSTEM_ACTOR } from '../../server/deps.js';
import { projectRoot } from '../../server/paths.js';
import { formRepository } from '../../server/repositories/service.js';
import { migrate, openDb, type Db } from '../../storage/db.js';
import { makeBin } from '../helpers/app.js';
import { gitClient } from '../helpers/git.js';

/**
 * Several processes, one truth (issue 12 §4): two real server processes over one data folder and one
 * database — a PostgreSQL schema when DATABASE_URL is set, else one SQLite file in WAL mode, which
 * several processes may share — take git pushes and API uploads to the same repository at once.
 * None is lost, none is duplicated, main stays linear (a push that lost the race is refused and the
 * client rebases; a service commit is a compare-and-swap on the ref under the cross-process
 * repository lock, retried), and the scheduled report, fired in both at the same instant, is stored once.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'qoima-multi-'));
const schema = process.env.DATABASE_URL ? `mp_${process.pid}_${Date.now()}` : undefined;
const env: Record<string, string> = {
  PATH: process.env.PATH!, QOIMA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QOIMA_ADMIN_PASSWORD: 'Qoima-Multi-Pa55word', QOIMA_LOG_LEVEL: 'warn', QOIMA_DEFAULT_LANG: 'en',
  ...(schema ? { DATABASE_URL: process.env.DATABASE_URL!, QOIMA_DB_SCHEMA: schema } : {}),
};
const git = gitClient();
const CODE = 'MULTI-1';
let db: Db;
let systemId: number;
let token: string;
interface Server {
  url: string;
  child: ChildProcess;
  send(line: string): void;
  next(prefix: string): Promise<string>;
}
const servers: Server[] = [];

function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test/integration/multi-process-server.ts')], { cwd: projectRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-4000)));
  const waiting: { prefix: string; resolve: (rest: string) => void }[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const i = waiting.findIndex((w) => line.startsWith(`${w.prefix} `));
    if (i < 0) return;
    const w = waiting.splice(i, 1)[0];
    w.resolve(line.slice(w.prefix.length + 1));
  });
  const next = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      waiting.push({ prefix, resolve: (rest) => resolve(rest.trim()) });
      child.once('exit', (code) => reject(new Error(`server process exited (${code}): ${err}`)));
    });
  const server = { child, url: '', send: (line: string) => void child.stdin!.write(`${line}\n`), next };
  return next('listening').then((url) => ({ ...server, url }));
}

beforeAll(async () => {
  const config = loadConfig(env);
  db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite'), databaseUrl: config.databaseUrl, schema: config.dbSchema });
  await migrate(db);
  const deps = { db, clock: () => new Date(), config };
  await accounts.bootstrap(deps, config.adminPassword);
  const org = await accounts.createOrganization(deps, SYSTEM_ACTOR, { kind: 'government_body', bin: makeBin(5151), nameKk: 'Ұйым', nameRu: 'Организация' });
  const now = new Date().toISOString();
  const [row] = await db('systems').insert({ code: CODE, name_kk: 'Жүйе', name_ru: 'Система', owner_org_id: org.id, status: 'registered', created_at: now, updated_at: now }).returning('id');
  systemId = Number(typeof row === 'object' ? (row as { id: number }).id : row);
  await formRepository(deps, SYSTEM_ACTOR, systemId);
  const user = await accounts.createUser(deps, SYSTEM_ACTOR, { organization: org.bin, login: 'owner', fullName: 'Owner', role: 'body_user', password: `Pw-${randomBytes(9).toString('hex')}` });
  token = (await accounts.createToken(deps, SYSTEM_ACTOR, user.id, { name: 'multi', scopes: ['api', 'git:read', 'git:write'] })).token;
  // One after the other: the first applies the migrations (none left), the second finds them applied.
  servers.push(await startServer());
  servers.push(await startServer());
  await git.ok(['lfs', 'install', '--skip-repo']);
}, 120_000);

afterAll(async () => {
  for (const s of servers) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.stdin!.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    s.child.kill('SIGKILL');
  }
  await db?.destroy();
  if (schema) {
    const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL! });
    await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.destroy();
  }
  git.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const repo = () => join(dataDir, 'repos', `${systemId}.git`);

function put(base: string, path: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/v1/systems/${CODE}/files/${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => void (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A client pushing `n` commits through one server; a push refused because main moved is rebased and sent again. */
async function pusher(server: Server, name: string, n: number): Promise<{ commits: number; retries: number }> {
  const dir = git.workdir(name);
  await git.ok(['clone', '-q', `${server.url.replace('http://', `http://x:${token}@`)}/git/${CODE}.git`, dir]);
  let retries = 0;
  for (let i = 1; i <= n; i++) {
    writeFileSync(join(dir, 'source', `${name}-${i}.txt`), `${name} ${i} ${randomBytes(8).toString('hex')}\n`);
    await git.ok(['add', '-A'], { cwd: dir });
    await git.ok(['commit', '-q', '-m', `${name} ${i}`], { cwd: dir });
    for (let attempt = 1; ; attempt++) {
      const r = await git.run(['push', '-q', 'origin', 'HEAD:main'], { cwd: dir });
      if (r.code === 0) break;
      if (attempt >= 30) throw new Error(`${name} ${i}: push failed ${attempt} times: ${r.stderr}`);
      retries++;
      await git.ok(['pull', '-q', '--rebase', 'origin', 'main'], { cwd: dir });
    }
  }
  return { commits: n, retries };
}

describe('two server processes over one data folder and one database', () => {
  it(`pushes and API uploads to one repository through both at once: none lost, none duplicated, main linear (${schema ? 'PostgreSQL' : 'SQLite WAL'})`, async () => {
    const [a, b] = servers;
    const uploads = Array.from({ length: 8 }, (_, i) => ({ via: i % 2 ? b : a, path: i % 2 ? `installers/setup-${i}.bin` : `docs/note-${i}.txt`, body: i % 2 ? randomBytes(2 * 1024 * 1024) : Buffer.from(`note ${i} ${randomBytes(2048).toString('hex')}\n`) }));
    const [pa, pb, ...answers] = await Promise.all([pusher(a, 'alpha', 5), pusher(b, 'beta', 5), ...uploads.map((u) => put(u.via.url, u.path, u.body))]);
    for (const [i, r] of answers.entries()) expect(r.status, `${uploads[i].path}: ${r.body}`).toBe(201);

    // Linear: no merge commit on main; every commit once.
    expect((await git.ok(['--git-dir', repo(), 'rev-list', '--min-parents=2', 'main'])).trim()).toBe('');
    const subjects = (await git.ok(['--git-dir', repo(), 'log', '--format=%s', 'main'])).trim().split('\n');
    const expected = [...Array.from({ length: 5 }, (_, i) => [`alpha ${i + 1}`, `beta ${i + 1}`]).flat(), ...uploads.map((u) => u.path)];
    for (const s of expected) expect(subjects.filter((x) => x === s), s).toHaveLength(1);
    expect(subjects).toHaveLength(expected.length + 1); // and the forming commit
    // Each uploaded file is on main with its bytes (LFS: the pointer names its sha256, and the object is held).
    for (const u of uploads) {
      const content = await git.ok(['--git-dir', repo(), 'cat-file', 'blob', `main:${u.path}`]);
      if (u.path.startsWith('installers/')) {
        expect(content).toContain(`oid sha256:${sha(u.body)}`);
        expect(await db('lfs_objects').where({ system_id: systemId, oid: sha(u.body) }).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(1);
      } else expect(content).toBe(u.body.toString());
    }
    expect(await db('audit_events').where({ action: 'deposit.file_uploaded' }).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(uploads.length);
    expect(pa.commits + pb.commits).toBe(10);
    await git.ok(['--git-dir', repo(), 'fsck', '--full', '--no-dangling']);
    // Both processes served: the retries show the two pushers and the uploads really raced.
    process.stdout.write(`multi-process: 10 pushes (${pa.retries + pb.retries} refused as main moved, rebased and sent again) and ${uploads.length} uploads through 2 processes\n`);
  }, 180_000);

  it('the scheduled report, fired in both processes at the same instant, is stored once', async () => {
    const at = '2027-01-05T09:05:00+05:00';
    const outcomes = servers.map((s) => s.next('report'));
    for (const s of servers) s.send(`report ${at}`);
    const results = (await Promise.all(outcomes)).map((o) => JSON.parse(o) as { stored: number | null; skipped: string | null });
    expect(results.filter((r) => r.stored !== null)).toHaveLength(1);
    expect(results.filter((r) => r.skipped === 'already_stored')).toHaveLength(1);
    expect(await db('reports').where({ period: '2026-H2' }).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(1);
    expect(await db('audit_events').where({ action: 'report.stored' }).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(1);
  }, 120_000);
});
