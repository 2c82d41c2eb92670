import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, expect } from 'vitest';
import { testClock, type TestApp } from '../helpers/app.js';
import { appWithGit, cloneUrl, type GitClient } from '../helpers/git.js';
import type { PackageView, ReturnView } from '../../server/returns/read.js';
import { validForm } from './intake-fixtures.js';

/** Fixtures of the returns tests (issue 8): the people, and a system with accepted versions made the real way. */

/**
 * The app of one returns test file: started before its tests (clock at Thursday 19 March 2026,
 * Almaty — Nauryz, 21–25 March, falls inside the 3 working days of a return), Git LFS installed
 * for its git client, the people made; handed to `ready`; stopped and cleaned after.
 */
export function returnsApp(ready: (t: TestApp, p: People) => void, cleanup: () => void = () => {}) {
  const clock = testClock('2026-03-19T10:00:00+05:00');
  const git: GitClient = appWithGit({ clock }, async (app) => {
    await git.ok(['lfs', 'install', '--skip-repo']);
    ready(app, await people(app));
  });
  afterAll(cleanup);
  return { clock, git };
}

export type User = Awaited<ReturnType<TestApp['addUser']>>;
export const OPERATOR_BIN = '000740001307';

export const api = (t: TestApp, method: 'get' | 'post', path: string, token: string) => request(t.url)[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);

export async function people(t: TestApp) {
  const staff = await t.addUser({ role: 'operator_staff', bin: OPERATOR_BIN });
  // bag-info.txt names the operator (Source-Organization, Organization-Address) and the person who returns it.
  await t.deps.db('users').where({ id: staff.userId }).update({ email: 'escrow@operator.kz' });
  await t.deps.db('organizations').where({ bin: OPERATOR_BIN }).update({ address: 'Астана, Мәңгілік Ел даңғылы, 55/8', phone: '+7 7172 00 00 00' });
  return {
    staff,
    body: await t.addUser({ role: 'body_user' }),
    grantee: await t.addUser({ role: 'body_user' }),
    archivist: await t.addUser({ role: 'archivist' }),
    viewer: await t.addUser({ role: 'authority_viewer' }),
  };
}
export type People = Awaited<ReturnType<typeof people>>;

export interface Accepted {
  code: string;
  id: number;
  registerNo: string;
  /** Accepted commits, v1 first. */
  commits: string[];
  dir: string;
  installer: Buffer;
  dump: Buffer;
}

/**
 * An application registered (which forms the repository), a deposit pushed with git and git-lfs (an
 * installer and a database dump through LFS), accepted as v1; with `versions: 2`, a change pushed and
 * accepted as v2 (the installer replaced).
 */
export async function acceptedSystem(t: TestApp, git: GitClient, p: People, code: string, opts: { versions?: number; accept?: boolean } = {}): Promise<Accepted> {
  const today = t.deps.clock().toISOString().slice(0, 10);
  const sub = await api(t, 'post', '/applications', p.body.token).send(validForm({ systemCode: code, applicationDate: today, commissioning: { kind: 'industrial_operation', date: '2026-03-02' } }));
  expect(sub.status).toBe(201);
  const reg = await api(t, 'post', `/applications/${sub.body.id}/register`, p.staff.token).send({});
  expect(reg.status).toBe(200);
  const dir = git.workdir(code);
  await git.ok(['clone', '-q', cloneUrl(t, code, p.body.token), dir]);
  let installer = randomBytes(200 * 1024);
  const dump = randomBytes(64 * 1024);
  const files: Record<string, Buffer | string> = {
    'BUILD.md': '# Build\n\n| | |\n| --- | --- |\n| Environment | Java |\n| Version | 21 |\n\nmvn package\n',
    'source/Main.java': 'class Main { public static void main(String[] a) {} }\n',
    'source/big.txt': 'x'.repeat(5000) + '\n',
    'installers/setup.bin': installer,
    'database/dump.sql.gz': dump,
    'docs/ТЗ 100%.txt': 'Техникалық тапсырма\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const commits: string[] = [];
  const push = async (message: string) => {
    await git.ok(['add', '-A'], { cwd: dir });
    await git.ok(['commit', '-q', '-m', message], { cwd: dir });
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
    const commit = (await git.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim();
    if (opts.accept !== false) {
      const acc = await api(t, 'post', `/systems/${code}/deposits`, p.staff.token).send({ ref: 'main' });
      expect(acc.status, JSON.stringify(acc.body)).toBe(201);
    }
    commits.push(commit);
  };
  await push('deposit v1');
  if ((opts.versions ?? 1) > 1) {
    installer = randomBytes(210 * 1024);
    writeFileSync(join(dir, 'installers/setup.bin'), installer);
    writeFileSync(join(dir, 'source/Main.java'), 'class Main { /* v2 */ }\n');
    await push('deposit v2');
  }
  const id = Number((await t.deps.db('systems').where({ code }).first('id')).id);
  return { code, id, registerNo: `${reg.body.registerNo}/${reg.body.year}`, commits, dir, installer, dump };
}

/** A return whose package has finished (for a failed one, `zip` and `tar` are null at run time). */
export type Finished = ReturnView & { package: PackageView & { zip: NonNullable<PackageView['zip']>; tar: NonNullable<PackageView['tar']> } };

/**
 * Waits for the package job to leave `generating` — and, when the package is ready, for its zip, which
 * is made from the tar after the return — and returns the return as the API shows it.
 */
export async function waitForPackage(t: TestApp, code: string, token: string): Promise<Finished> {
  for (let i = 0; i < 600; i++) {
    const res = await api(t, 'get', `/systems/${code}/return`, token);
    const pkg = res.status === 200 ? res.body.package : null;
    if (pkg && pkg.status !== 'generating' && (pkg.status !== 'ready' || pkg.zip)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the package of ${code} is still generating`);
}

/** A response body as bytes (supertest leaves binary bodies unparsed otherwise). */
export const binary = (res: request.Test) =>
  res.buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });
