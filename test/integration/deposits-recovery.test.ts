import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { actPath } from '../../server/deposits/act.js';
import { recoverInterruptedAcceptances } from '../../server/deposits/recovery.js';
import { createAnnotatedTag, tagRefOid } from '../../server/git/tag.js';
import { repoPath } from '../../storage/repos.js';
import { testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, commitFile, appWithGit, formedSystem } from '../helpers/git.js';

/**
 * An acceptance cut by a crash (issue 12): the journal row `deposit_intents` is written before the
 * tag and the act, so the next start finishes what committed and undoes what did not. The states a
 * SIGKILL leaves are made here with the same functions acceptance uses (the chaos script, `npm run
 * chaos`, kills the real server at random moments and checks the same).
 */
let t: TestApp;
const git = appWithGit({ clock: testClock('2026-04-14T10:00:00+05:00') }, (app) => void (t = app));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const accept = (code: string, ref: string) =>
  request(t.url).post(`/api/v1/systems/${code}/deposits`).set('Authorization', `Bearer ${t.adminToken}`).send({ ref, overrideReason: 'Test deposit with the skeleton only' });
const journal = async (systemId: number) => (await t.deps.db('deposit_intents').where({ system_id: systemId }).select('version')).map((r: { version: number }) => Number(r.version));
const remoteTags = async (code: string, token: string) => (await git.ok(['ls-remote', '--tags', cloneUrl(t, code, token)])).split('\n').filter(Boolean).map((l) => l.split('\t')[1]);

async function pushedSystem() {
  const s = await formedSystem(t);
  const dir = git.workdir('recovery');
  await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
  const commit = await commitFile(git, dir, 'source/main.c', 'int main(void) { return 0; }\n');
  await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
  return { ...s, head: commit };
}

describe('acceptances cut by a crash', () => {
  it('a cut before the transaction committed is undone: no tag deposit/vN, no staged act, no journal row; the next acceptance is vN', async () => {
    const s = await pushedSystem();
    expect((await accept(s.code, 'main')).status).toBe(201);
    const repo = repoPath(t.deps.config.dataDir, s.id);

    // What a kill after the tag and the staged act, before the commit, leaves behind.
    await t.deps.db('deposit_intents').insert({ system_id: s.id, version: 2, tag: 'deposit/v2', started_at: new Date().toISOString() });
    await createAnnotatedTag(t.deps.config.dataDir, repo, { name: 'deposit/v2', commit: s.head, tagger: { name: 'Operator', email: 'op@qoima.local' }, when: new Date(), message: 'cut\n' }, null);
    const staged = join(dirname(actPath(t.deps.config.dataDir, s.id, 2)), '.v2.0123456789ab.tmp');
    writeFileSync(staged, '%PDF-1.7 half an act');
    expect(await remoteTags(s.code, s.owner.token)).toContain('refs/tags/deposit/v2');

    expect(await recoverInterruptedAcceptances(t.deps)).toBe(1);
    expect(await tagRefOid(t.deps.config.dataDir, repo, 'deposit/v2')).toBeNull();
    expect(await remoteTags(s.code, s.owner.token)).not.toContain('refs/tags/deposit/v2');
    expect(existsSync(staged)).toBe(false);
    expect(await journal(s.id)).toEqual([]);
    // v1 is untouched, and the next acceptance takes the number the cut one had.
    expect(await tagRefOid(t.deps.config.dataDir, repo, 'deposit/v1')).toMatch(/^[0-9a-f]{40}$/);
    expect(await recoverInterruptedAcceptances(t.deps)).toBe(0);
  });

  it('a cut after the commit, before the act was renamed into place, is finished: the act with the recorded SHA-256 is published', async () => {
    const s = await pushedSystem();
    const res = await accept(s.code, 'main');
    expect(res.status).toBe(201);
    const act = actPath(t.deps.config.dataDir, s.id, 1);
    const recorded = (await t.deps.db('deposits').where({ system_id: s.id, version: 1 }).first('act_sha256')).act_sha256 as string;
    expect(sha(act)).toBe(recorded);

    // What a kill between the commit and the rename leaves: the act still under its temp name.
    const staged = join(dirname(act), '.v1.abcdefabcdef.tmp');
    renameSync(act, staged);
    await t.deps.db('deposit_intents').insert({ system_id: s.id, version: 1, tag: 'deposit/v1', started_at: new Date().toISOString() });

    expect(await recoverInterruptedAcceptances(t.deps)).toBe(1);
    expect(existsSync(act) && sha(act)).toBe(recorded);
    expect(readdirSync(dirname(act)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await journal(s.id)).toEqual([]);
    const after = await request(t.url).get(`/api/v1/systems/${s.code}/deposits/1/act.pdf`).set('Authorization', `Bearer ${t.adminToken}`).buffer(true);
    expect(after.status).toBe(200);
  });

  it('a journal row a crashed process left while this one runs is settled by the next acceptance of that system', async () => {
    const s = await pushedSystem();
    expect((await accept(s.code, 'main')).status).toBe(201);
    const repo = repoPath(t.deps.config.dataDir, s.id);
    await t.deps.db('deposit_intents').insert({ system_id: s.id, version: 2, tag: 'deposit/v2', started_at: new Date().toISOString() });
    const cut = await createAnnotatedTag(t.deps.config.dataDir, repo, { name: 'deposit/v2', commit: s.head, tagger: { name: 'Operator', email: 'op@qoima.local' }, when: new Date(), message: 'cut\n' }, null);

    const dir = git.workdir('recovery-next');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    await commitFile(git, dir, 'source/more.c', 'int more(void) { return 1; }\n');
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
    const res = await accept(s.code, 'main');
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(2);
    const recorded = (await t.deps.db('deposits').where({ system_id: s.id, version: 2 }).first('tag_oid')).tag_oid as string;
    expect(await tagRefOid(t.deps.config.dataDir, repo, 'deposit/v2')).toBe(recorded);
    expect(recorded).not.toBe(cut);
    expect(await journal(s.id)).toEqual([]);
  });

  it('a finished acceptance leaves no journal row, and a failed one (a ref that does not exist) writes none', async () => {
    const s = await pushedSystem();
    expect((await accept(s.code, 'refs/heads/nothing-here')).status).toBe(404);
    expect(await journal(s.id)).toEqual([]);
    expect((await accept(s.code, 'main')).status).toBe(201);
    expect(await journal(s.id)).toEqual([]);
  });
});
