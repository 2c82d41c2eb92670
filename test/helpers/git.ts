import { spawn } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, afterAll } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import type { Role, Scope } from '../../server/accounts/roles.js';
import type { SystemStatus } from '../../server/systems/policy.js';
import { formRepository } from '../../server/repositories/service.js';

export type TestUser = Awaited<ReturnType<TestApp['addUser']>>;

export interface TestSystem {
  id: number;
  code: string;
  owner: TestUser;
  developer: TestUser | null;
}

let seq = 0;

/**
 * A system row inserted directly, owned by a new government body (with one body_user) and, when
 * asked, developed by a new developer organisation. Until intake's own flow is used here, this is
 * how git tests get a system: status `registered`, ready for `formRepository`.
 */
export async function createSystem(t: TestApp, opts: { code?: string; developer?: boolean; ownerScopes?: Scope[] } = {}): Promise<TestSystem> {
  seq++;
  const owner = await t.addUser({ role: 'body_user', scopes: opts.ownerScopes });
  const developer = opts.developer ? await t.addUser({ role: 'developer_user' }) : null;
  const code = opts.code ?? `SYS-${process.pid}-${seq}`;
  const now = t.deps.clock().toISOString();
  const [row] = await t.deps.db('systems')
    .insert({ code, name_kk: `Жүйе ${seq}`, name_ru: `Система ${seq}`, owner_org_id: owner.orgId, developer_org_id: developer?.orgId ?? null, status: 'registered', created_at: now, updated_at: now })
    .returning('id');
  const id = Number(typeof row === 'object' ? (row as { id: number }).id : row);
  return { id, code, owner, developer };
}

/** A system with its repository formed (status `repository_formed`, skeleton commit on main). */
export async function formedSystem(t: TestApp, opts: Parameters<typeof createSystem>[1] = {}): Promise<TestSystem & { commit: string }> {
  const system = await createSystem(t, opts);
  const { commit } = await formRepository(t.deps, { userId: null, orgId: null, login: 'admin', ip: null }, system.id);
  return { ...system, commit };
}

export async function setStatus(t: TestApp, id: number, status: SystemStatus): Promise<void> {
  await t.deps.db('systems').where({ id }).update({ status });
}

export async function statusOf(t: TestApp, id: number): Promise<SystemStatus> {
  return (await t.deps.db('systems').where({ id }).first()).status as SystemStatus;
}

/** A user of another organisation kind with a token, for tenant checks. */
export function userOf(t: TestApp, role: Role, scopes?: Scope[]): Promise<TestUser> {
  return t.addUser({ role, scopes });
}

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The app and git client of one test file: the app started (with `opts`) before its tests and handed
 * to `ready`, stopped after them; the client's folders removed.
 */
export function appWithGit(opts: Parameters<typeof startTestApp>[0], ready: (t: TestApp) => void | Promise<void>) {
  const git = gitClient();
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp(opts);
    await ready(app);
  });
  afterAll(async () => {
    await app?.stop();
    git.cleanup();
  });
  return git;
}

/**
 * The real git client with a throwaway HOME (no user config, no credential helpers, no prompts).
 * Each test file makes one and removes it at the end.
 */
export function gitClient() {
  const home = mkdtempSync(join(tmpdir(), 'qoima-git-client-'));
  writeFileSync(
    join(home, '.gitconfig'),
    '[user]\n\tname = Test Pusher\n\temail = pusher@example.kz\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n[protocol]\n\tversion = 2\n',
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LANG: 'C.UTF-8', GIT_ASKPASS: '/bin/false' };

  function run(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<GitRun> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd: opts.cwd ?? home, env: { ...env, ...opts.env } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.on('error', () => undefined); // git may exit without reading its input
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Runs git and fails the test with git's own output when it does not succeed. */
  async function ok(args: string[], opts: Parameters<typeof run>[1] = {}): Promise<string> {
    const r = await run(args, opts);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stdout;
  }

  /** A fresh working folder under the client's HOME. */
  function workdir(name: string): string {
    return mkdtempSync(join(home, `${name}-`));
  }

  return { home, env, run, ok, workdir, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export type GitClient = ReturnType<typeof gitClient>;

/** The clone URL with the token as the password (any user name, contract.md). */
export function cloneUrl(t: TestApp, code: string, token?: string): string {
  const u = new URL(t.url);
  return `http://${token ? `x:${encodeURIComponent(token)}@` : ''}${u.host}/git/${code}.git`;
}

/** Commits a file in a work tree (creating folders) and returns the new commit id. */
export function commitFile(git: GitClient, dir: string, path: string, content: string | Buffer, message = `add ${path}`): Promise<string> {
  return commitFiles(git, dir, { [path]: content }, message);
}

/** Writes files (path → content, creating folders) into a work tree, commits them, returns the commit id. */
export async function commitFiles(git: GitClient, dir: string, files: Record<string, string | Buffer>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git.ok(['add', '--', ...Object.keys(files)], { cwd: dir });
  await git.ok(['commit', '-q', '-m', message], { cwd: dir });
  return (await git.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim();
}

// ------------------------------------------------------------------ raw HTTP

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One HTTP request with the path sent exactly as given (no `..` normalisation, no encoding), for
 * the traversal and protocol tests that a real client would clean up before sending.
 */
export function raw(base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const basic = (token: string, user = 'x') => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** A pkt-line (gitprotocol-common(5)): four hex digits of length, then the data. */
export function pkt(line: string): string {
  return (Buffer.byteLength(line) + 4).toString(16).padStart(4, '0') + line;
}
