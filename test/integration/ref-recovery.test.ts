import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { uploadLine } from '../../server/repositories/intents.js';
import { insertRefIntent } from '../../server/repositories/queries.js';
import { recoverInterruptedRefMoves } from '../../server/repositories/recovery.js';
import { repoPath } from '../../storage/repos.js';
import { testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, commitFile, appWithGit, formedSystem } from '../helpers/git.js';

/**
 * A push or an API upload cut between git and the database (issue 12 §3): git moved the ref, the
 * process died before the transaction that records it (audit event, status). The journal row
 * `ref_intents`, written before the move, lets the next start record what landed and forget what
 * did not. The states a SIGKILL leaves are made here by hand (the chaos script kills the real server).
 */
let t: TestApp;
const git = appWithGit({ clock: testClock('2026-04-14T10:00:00+05:00') }, (app) => void (t = app));

const actor = { userId: null, orgId: null, login: 'body-user', ip: '127.0.0.1' };
const journal = async (systemId: number) => t.deps.db('ref_intents').where({ system_id: systemId });
const events = async (systemId: number, action: string) =>
  (await t.deps.db('audit_events').where({ action, subject_type: 'system', subject_id: String(systemId) }).orderBy('id')).map((r) => JSON.parse(r.details) as Record<string, unknown>);
const bare = (id: number) => ['--git-dir', repoPath(t.config.dataDir, id)];
/** A commit on top of `parent` made in the bare repository itself (what receive-pack or update-ref leaves). */
async function commitIn(id: number, parent: string, message: string): Promise<string> {
  const env = { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@x' };
  return (await git.ok([...bare(id), 'commit-tree', `${parent}^{tree}`, '-p', parent, '-m', message], { env })).trim();
}
const tip = async (id: number) => (await git.ok([...bare(id), 'rev-parse', 'refs/heads/main'])).trim();

describe('pushes and uploads cut before their record (issue 12 §3)', () => {
  it('leaves no journal row after a push and an upload that finished, and marks the upload commit', async () => {
    const s = await formedSystem(t);
    const dir = git.workdir('journal');
    await git.ok(['clone', '-q', cloneUrl(t, s.code, s.owner.token), dir]);
    await commitFile(git, dir, 'source/a.c', 'int a;\n');
    await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
    const up = await request(t.url).put(`/api/v1/systems/${s.code}/files/docs/readme.txt`).set('Authorization', `Bearer ${s.owner.token}`).set('Content-Type', 'application/octet-stream').send('hello');
    expect(up.status).toBe(201);
    expect(await journal(s.id)).toEqual([]);
    expect(await events(s.id, 'repository.pushed')).toHaveLength(1);
    expect(await events(s.id, 'deposit.file_uploaded')).toEqual([expect.objectContaining({ commit: up.body.commit, path: 'docs/readme.txt' })]);
    const message = await git.ok([...bare(s.id), 'log', '-1', '--format=%B', up.body.commit]);
    expect(message).toMatch(/^Qoima-Upload: \d+$/m);
    // a refused upload (a path that clashes with a file) leaves no row either
    const clash = await request(t.url).put(`/api/v1/systems/${s.code}/files/docs/readme.txt/inner`).set('Authorization', `Bearer ${s.owner.token}`).set('Content-Type', 'application/octet-stream').send('x');
    expect(clash.status).toBe(409);
    expect(await journal(s.id)).toEqual([]);
  });

  it('records a push whose refs moved, forgets one whose refs did not', async () => {
    const s = await formedSystem(t);
    const before = await tip(s.id);
    const landed = await commitIn(s.id, before, 'pushed, then the server died');
    const moved = { ref: 'refs/heads/main', old: before, new: landed };
    const lost = { ref: 'refs/heads/feature', old: '0'.repeat(40), new: await commitIn(s.id, before, 'never landed') };
    await insertRefIntent(t.deps.db, { systemId: s.id, kind: 'push', actor, details: { updates: [moved, lost] }, startedAt: t.deps.clock().toISOString() });
    await git.ok([...bare(s.id), 'update-ref', 'refs/heads/main', landed, before]);
    const other = await formedSystem(t);
    await insertRefIntent(t.deps.db, { systemId: other.id, kind: 'push', actor, details: { updates: [{ ref: 'refs/heads/main', old: other.commit, new: await commitIn(other.id, other.commit, 'cut before the ref moved') }] }, startedAt: t.deps.clock().toISOString() });

    expect(await recoverInterruptedRefMoves(t.deps)).toBe(2);
    expect(await events(s.id, 'repository.pushed')).toEqual([expect.objectContaining({ refs: [moved], recovered: true, statusTo: 'deposit_received' })]);
    expect((await t.deps.db('systems').where({ id: s.id }).first('status')).status).toBe('deposit_received');
    expect(await events(other.id, 'repository.pushed')).toEqual([]);
    expect((await t.deps.db('systems').where({ id: other.id }).first('status')).status).toBe('repository_formed');
    expect(await journal(s.id)).toEqual([]);
    expect(await journal(other.id)).toEqual([]);
    expect(await recoverInterruptedRefMoves(t.deps)).toBe(0);
  });

  it('records an upload whose commit landed (found by its line), forgets one that never committed', async () => {
    const s = await formedSystem(t);
    const details = { path: 'installers/setup.bin', category: 'installers', sha256: 'a'.repeat(64), size: 10, lfs: true };
    const id = await insertRefIntent(t.deps.db, { systemId: s.id, kind: 'upload', actor, details, startedAt: t.deps.clock().toISOString() });
    const before = await tip(s.id);
    const commit = await commitIn(s.id, before, `installers/setup.bin\n\n${uploadLine(id)}\n`);
    await git.ok([...bare(s.id), 'update-ref', 'refs/heads/main', commit, before]);
    // A later commit on top (another upload) does not hide it.
    await git.ok([...bare(s.id), 'update-ref', 'refs/heads/main', await commitIn(s.id, commit, 'later'), commit]);
    const never = await insertRefIntent(t.deps.db, { systemId: s.id, kind: 'upload', actor, details: { ...details, path: 'docs/never.txt' }, startedAt: t.deps.clock().toISOString() });
    expect(never).toBeGreaterThan(id);

    expect(await recoverInterruptedRefMoves(t.deps)).toBe(2);
    expect(await events(s.id, 'deposit.file_uploaded')).toEqual([{ code: s.code, ...details, commit, recovered: true }]);
    expect((await t.deps.db('systems').where({ id: s.id }).first('status')).status).toBe('deposit_received');
    expect(await journal(s.id)).toEqual([]);
  });

  it('settles a row a crashed process left before the next upload to that system records its own', async () => {
    const s = await formedSystem(t);
    const before = await tip(s.id);
    const cut = await commitIn(s.id, before, 'cut');
    await insertRefIntent(t.deps.db, { systemId: s.id, kind: 'push', actor, details: { updates: [{ ref: 'refs/heads/main', old: before, new: cut }] }, startedAt: t.deps.clock().toISOString() });
    await git.ok([...bare(s.id), 'update-ref', 'refs/heads/main', cut, before]);
    const up = await request(t.url).put(`/api/v1/systems/${s.code}/files/docs/next.txt`).set('Authorization', `Bearer ${s.owner.token}`).set('Content-Type', 'application/octet-stream').send('next');
    expect(up.status).toBe(201);
    expect(await events(s.id, 'repository.pushed')).toEqual([expect.objectContaining({ recovered: true })]);
    expect(await events(s.id, 'deposit.file_uploaded')).toHaveLength(1);
    expect(await journal(s.id)).toEqual([]);
  });
});
