import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareGitHome } from '../../server/git/env.js';
import { listRefs } from '../../server/git/browse.js';
import { countObjects } from '../../server/git/maintenance.js';

/**
 * listRefs shares one git process between concurrent callers (docs/benchmarks.md, "Load"): the
 * answers must stay those of a listing made after each call began, and HEAD must be named whether
 * or not its branch has a commit.
 */
let dir: string;
let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, GIT_DIR: repo }, encoding: 'utf8' }).trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qoima-refs-'));
  prepareGitHome(dir);
  repo = join(dir, 'r.git');
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', repo]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listRefs', () => {
  it('names the unborn default branch of an empty repository', async () => {
    expect(await listRefs(dir, repo)).toEqual({ head: 'main', branches: [], tags: [] });
  });

  it('gives concurrent callers the same answer, and a later caller every ref created before it asked', async () => {
    const tree = git('mktree');
    const commit = execFileSync('git', ['commit-tree', tree, '-m', 'first'], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir, GIT_DIR: repo, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' }, encoding: 'utf8' }).trim();
    git('update-ref', 'refs/heads/main', commit);
    const first = await Promise.all(Array.from({ length: 20 }, () => listRefs(dir, repo)));
    for (const r of first) expect(r.branches.map((b) => b.name)).toEqual(['main']);
    expect(first[0].head).toBe('main');

    // A listing is running; a branch is created; a caller that asks afterwards must see it.
    const running = listRefs(dir, repo);
    git('update-ref', 'refs/heads/later', commit);
    const after = await listRefs(dir, repo);
    await running;
    expect(after.branches.map((b) => b.name).sort()).toEqual(['later', 'main']);
    expect(after.head).toBe('main');
  });

  it('counts loose objects and packs as git count-objects does', async () => {
    const counted = await countObjects(repo);
    const byGit = git('count-objects', '-v');
    expect(counted.loose).toBe(Number(/^count: (\d+)$/m.exec(byGit)![1]));
    expect(counted.packs).toBe(Number(/^packs: (\d+)$/m.exec(byGit)![1]));
  });
});
