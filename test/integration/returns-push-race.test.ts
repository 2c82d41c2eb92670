import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { commitFile } from '../helpers/git.js';
import { acquireRepoLock, repoPath } from '../../storage/repos.js';
import { acceptedSystem, returnsApp, api, waitForPackage, type People } from './returns-fixtures.js';

/**
 * Issue 8: a push that lands while the return is being started or finished. The push policy reads the
 * system's status before the repository lock, and again under it; the job takes the same lock for its
 * bundle and for its last ref check + `returned` transaction. So a push either lands before the
 * package's snapshot, or is refused — never accepted once a package is being generated or is ready.
 */
let t: TestApp;
let p: People;
const { git } = returnsApp((app, people) => ((t = app), (p = people)));

const notice = { withdrawnOn: '2026-03-02', basis: { number: '45-НҚ', date: '2026-02-27' }, scope: 'last_version' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refs = async (dir: string) => (await git.ok(['ls-remote', 'origin'], { cwd: dir })).trim();

/** Until receive-pack has the pushed objects in its quarantine, i.e. the pre-receive hook is running. */
async function untilQuarantined(repo: string): Promise<void> {
  const objects = join(repo, 'objects');
  for (let i = 0; i < 300; i++) {
    if (existsSync(objects) && readdirSync(objects).some((n) => n.startsWith('tmp_objdir-incoming') || n.startsWith('incoming-'))) return;
    await sleep(20);
  }
  throw new Error('the push never reached its pre-receive hook');
}

describe('pushes racing the return package (issue 8)', () => {
  it('refuses a push that passed its checks before the return started but reached the lock after', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-RACE');
    expect((await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send(notice)).status).toBe(201);
    const before = await refs(s.dir);
    await commitFile(git, s.dir, 'source/late.txt', 'pushed while the package is started\n');

    // Hold the repository's lock: the push passes the status check (no package yet), then waits for it.
    const repo = repoPath(t.deps.config.dataDir, s.id);
    const release = await acquireRepoLock(t.deps.config.dataDir, s.id);
    const pushing = git.run(['push', 'origin', 'main'], { cwd: s.dir, env: { LANG: 'C', LC_ALL: 'C' } });
    let released = false;
    try {
      await untilQuarantined(repo);
      await sleep(300); // the hook's checks are done; it queues for the lock
      // The operator starts the return meanwhile: the package is `generating`, its job queues behind the push.
      const started = await api(t, 'post', `/systems/${s.code}/return`, p.staff.token);
      expect(started.status).toBe(202);
      await release();
      released = true;
    } finally {
      if (!released) await release();
    }
    const push = await pushing;
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('идёт формирование пакета возврата');
    const ret = await waitForPackage(t, s.code, p.staff.token);
    expect(ret.package).toMatchObject({ status: 'ready', error: null });
    expect(ret.system.status).toBe('returned');
    // The package is the repository as it was: the refused push changed nothing.
    expect(await refs(s.dir)).toBe(before);
  });

  it('refuses a push while the package is generating, and after the system is returned', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-RACE-2');
    expect((await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send(notice)).status).toBe(201);
    const before = await refs(s.dir);
    await commitFile(git, s.dir, 'source/late.txt', 'pushed while the package is generating\n');
    // The job waits for the lock to bundle: the package stays `generating` while we hold it.
    const release = await acquireRepoLock(t.deps.config.dataDir, s.id);
    try {
      expect((await api(t, 'post', `/systems/${s.code}/return`, p.staff.token)).status).toBe(202);
      const during = await git.run(['push', 'origin', 'main'], { cwd: s.dir });
      expect(during.code).not.toBe(0);
      expect(during.stderr).toContain('идёт формирование пакета возврата');
      expect((await api(t, 'get', `/systems/${s.code}/return`, p.staff.token)).body.package.status).toBe('generating');
    } finally {
      await release();
    }
    const ret = await waitForPackage(t, s.code, p.staff.token);
    expect(ret.package.status).toBe('ready');
    const after = await git.run(['push', 'origin', 'main'], { cwd: s.dir });
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('система возвращена собственнику');
    expect(await refs(s.dir)).toBe(before);
  });
});
