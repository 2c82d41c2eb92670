import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { basic, cloneUrl, commitFile, formedSystem, gitClient, pkt, raw, setStatus, statusOf, userOf, type TestSystem } from '../helpers/git.js';
import { listAudit } from '../../server/audit/service.js';

let t: TestApp;
const git = gitClient();

beforeAll(async () => {
  // A 1 MB limit for blobs outside LFS, so the test needs only a small file to exceed it.
  t = await startTestApp({ env: { QOIMA_MAX_BLOB_MB: '1' } });
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

/** A formed system and a clone of it by its owner. */
async function cloned(opts: { lang?: 'kk' | 'ru' | 'en' } = {}): Promise<{ sys: TestSystem & { commit: string }; dir: string }> {
  const sys = await formedSystem(t);
  if (opts.lang) await t.deps.db('users').where({ id: sys.owner.userId }).update({ lang: opts.lang });
  const dir = git.workdir('w');
  await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), dir]);
  return { sys, dir };
}

const remoteRef = async (dir: string, ref: string) => (await git.ok(['ls-remote', 'origin', ref], { cwd: dir })).split('\t')[0];

describe('a successful push', () => {
  it('records who pushed which refs (old → new) and moves the system to deposit_received', async () => {
    const { sys, dir } = await cloned();
    expect(await statusOf(t, sys.id)).toBe('repository_formed');
    const head = await commitFile(git, dir, 'BUILD.md', '# build\nOpenJDK 17\n');
    const push = await git.run(['push', 'origin', 'main', 'main:refs/heads/feature', '--follow-tags'], { cwd: dir });
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toContain('remote: qoima: депозит получен');
    expect(await statusOf(t, sys.id)).toBe('deposit_received');
    const events = await listAudit(t.deps, { action: 'repository.pushed', subjectId: String(sys.id) });
    expect(events).toHaveLength(1);
    expect(events[0].actorLogin).toBe(sys.owner.login);
    expect(events[0].details).toMatchObject({
      code: sys.code,
      statusFrom: 'repository_formed',
      statusTo: 'deposit_received',
      refs: expect.arrayContaining([
        { ref: 'refs/heads/main', old: sys.commit, new: head },
        { ref: 'refs/heads/feature', old: '0'.repeat(40), new: head },
      ]),
    });
  });

  it('takes tags, but only the operator may push deposit/* tags', async () => {
    const { sys, dir } = await cloned({ lang: 'en' });
    await git.ok(['tag', 'v1.0'], { cwd: dir });
    await git.ok(['tag', 'deposit/1'], { cwd: dir });
    const owner = await git.run(['push', 'origin', 'refs/tags/deposit/1'], { cwd: dir });
    expect(owner.code).not.toBe(0);
    expect(owner.stderr).toContain('remote: qoima: refs/tags/deposit/1: deposit/* tags are reserved for the operator.');
    expect(await remoteRef(dir, 'refs/tags/deposit/1')).toBe('');
    expect((await git.run(['push', 'origin', 'refs/tags/v1.0'], { cwd: dir })).code).toBe(0);

    const staff = await userOf(t, 'operator_staff');
    await git.ok(['remote', 'add', 'operator', cloneUrl(t, sys.code, staff.token)], { cwd: dir });
    await setStatus(t, sys.id, 'accepted');
    const op = await git.run(['push', 'operator', 'refs/tags/deposit/1'], { cwd: dir });
    expect(op.code, op.stderr).toBe(0);
    expect(await statusOf(t, sys.id)).toBe('accepted'); // marking a version is not a new deposit
    // …while a new commit after acceptance is a new version: deposit_received again.
    await commitFile(git, dir, 'docs/v2.md', 'v2\n');
    expect((await git.run(['push', 'origin', 'main'], { cwd: dir })).code).toBe(0);
    expect(await statusOf(t, sys.id)).toBe('deposit_received');
  });
});

describe('pushes the policy refuses, with remote: qoima: in the pusher’s language and no ref changed', () => {
  it('refuses a force push', async () => {
    const { sys, dir } = await cloned({ lang: 'kk' });
    await git.ok(['commit', '-q', '--amend', '-m', 'rewritten'], { cwd: dir });
    const push = await git.run(['push', '--force', 'origin', 'main'], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: qoima: refs/heads/main: мәжбүрлі жіберуге (тарихты қайта жазуға) тыйым салынған');
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit);
  });

  it('refuses deleting a branch and moving a tag', async () => {
    const { dir } = await cloned({ lang: 'en' });
    await git.ok(['push', '-q', 'origin', 'main:refs/heads/topic', 'main:refs/tags/t1'], { cwd: dir });
    const del = await git.run(['push', 'origin', ':refs/heads/topic'], { cwd: dir });
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('remote: qoima: refs/heads/topic: deleting is not allowed.');
    expect(await remoteRef(dir, 'refs/heads/topic')).toHaveLength(40);
    const next = await commitFile(git, dir, 'docs/a.md', 'a\n');
    const move = await git.run(['push', '--force', 'origin', `${next}:refs/tags/t1`], { cwd: dir });
    expect(move.code).not.toBe(0);
    expect(move.stderr).toContain('remote: qoima: refs/tags/t1: a tag cannot be moved.');
  });

  it('refuses refs outside refs/heads and refs/tags', async () => {
    const { dir } = await cloned({ lang: 'en' });
    for (const ref of ['refs/notes/commits', 'refs/for/main', 'refs/qoima/x']) {
      const push = await git.run(['push', 'origin', `main:${ref}`], { cwd: dir });
      expect(push.code, ref).not.toBe(0);
      expect(push.stderr).toContain(`remote: qoima: ${ref}: only branches (refs/heads/*) and tags (refs/tags/*) may be pushed.`);
    }
  });

  it('refuses a blob above the limit outside LFS, naming the file, and takes the rest of the push nowhere', async () => {
    const { sys, dir } = await cloned({ lang: 'ru' });
    await commitFile(git, dir, 'source/small.txt', 'small\n');
    await commitFile(git, dir, 'installers/setup.bin', randomBytes(1536 * 1024));
    const push = await git.run(['push', 'origin', 'main'], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('remote: qoima: installers/setup.bin: 1.5 МБ больше предела 1.0 МБ; большие файлы храните через Git LFS');
    expect(push.stderr).toContain('remote: qoima: отправка отклонена');
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit);
  });

  it('refuses a tree with a .GIT entry (in any spelling)', async () => {
    const { sys, dir } = await cloned({ lang: 'en' });
    for (const name of ['.GIT', '.git. ', '.g\u200cit']) {
      const blob = (await git.ok(['hash-object', '-w', '--stdin'], { cwd: dir, input: '[core]\n' })).trim();
      const inner = (await git.ok(['mktree'], { cwd: dir, input: `100644 blob ${blob}\tconfig\n` })).trim();
      const root = (await git.ok(['mktree'], { cwd: dir, input: `040000 tree ${inner}\t${name}\n` })).trim();
      const commit = (await git.ok(['commit-tree', root, '-p', 'HEAD', '-m', 'sneaky'], { cwd: dir })).trim();
      const push = await git.run(['push', 'origin', `${commit}:refs/heads/main`], { cwd: dir });
      expect(push.code, name).not.toBe(0);
      expect(push.stderr).toContain(`remote: qoima: a folder or file named “${name}” is not allowed.`);
    }
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit);
  });

  it('refuses any push once the system is returned (and archived)', async () => {
    const { sys, dir } = await cloned({ lang: 'en' });
    await commitFile(git, dir, 'docs/late.md', 'late\n');
    for (const status of ['returned', 'archived'] as const) {
      await setStatus(t, sys.id, status);
      const push = await git.run(['push', 'origin', 'main'], { cwd: dir });
      expect(push.code).not.toBe(0);
      expect(push.stderr).toContain(`remote: qoima: the system has been handed back (status “${status}”)`);
    }
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit); // and it can still be fetched
  });

  it('refuses a truncated pack and changes no ref', async () => {
    const { sys, dir } = await cloned();
    const next = await commitFile(git, dir, 'source/x.txt', randomBytes(4096).toString('hex'));
    const full = execFileSync('git', ['pack-objects', '--stdout', '--revs'], { cwd: dir, input: `${next}\n^${sys.commit}\n`, env: git.env });
    const body = Buffer.concat([Buffer.from(pkt(`${sys.commit} ${next} refs/heads/main\0report-status\n`) + '0000'), full.subarray(0, Math.floor(full.length / 2))]);
    const res = await raw(t.url, 'POST', `/git/${sys.code}.git/git-receive-pack`, {
      headers: { Authorization: basic(sys.owner.token), 'Content-Type': 'application/x-git-receive-pack-request' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.body.toString()).not.toContain('unpack ok');
    expect(res.body.toString()).toMatch(/unpack (?!ok)/);
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit);
    expect(await statusOf(t, sys.id)).toBe('repository_formed');
  });
});

describe('the hooks', () => {
  it('refuse a receive-pack that was not started by the server for an authorized request', async () => {
    const { sys, dir } = await cloned();
    await commitFile(git, dir, 'docs/by-hand.md', 'x\n');
    const hooks = join(t.dataDir, 'git', 'hooks');
    const push = await git.run(['push', `--receive-pack=git -c core.hooksPath=${hooks} receive-pack`, join(t.dataDir, 'repos', `${sys.id}.git`), 'main'], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('qoima: push refused: not received through the Qoima server');
    expect(await remoteRef(dir, 'refs/heads/main')).toBe(sys.commit);
  });
});

describe('concurrent pushes to one repository', () => {
  it('lets one win and gives the others a clean rejection', async () => {
    const sys = await formedSystem(t);
    const dirs = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const dir = git.workdir(`race${i}`);
        await git.ok(['clone', '-q', cloneUrl(t, sys.code, sys.owner.token), dir]);
        await commitFile(git, dir, `source/racer${i}.txt`, randomBytes(256 * 1024).toString('hex'));
        return dir;
      }),
    );
    const results = await Promise.all(dirs.map((dir) => git.run(['push', 'origin', 'main'], { cwd: dir })));
    const winners = results.filter((r) => r.code === 0);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.code !== 0)) {
      expect(loser.stderr).toMatch(/qoima: refs\/heads\/main|\[rejected\]|fetch first|failed to update ref/);
    }
    const winner = dirs[results.findIndex((r) => r.code === 0)];
    const tip = (await git.ok(['rev-parse', 'HEAD'], { cwd: winner })).trim();
    expect(await remoteRef(winner, 'refs/heads/main')).toBe(tip);
    expect(await listAudit(t.deps, { action: 'repository.pushed', subjectId: String(sys.id) })).toHaveLength(1);
  });
});
