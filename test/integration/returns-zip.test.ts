import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { packageFile, workDir } from '../../server/returns/read.js';
import { removeFinishedScratch } from '../../server/returns/job.js';
import { acceptedSystem, returnsApp, api, binary, waitForPackage, type People } from './returns-fixtures.js';

/**
 * Issue 8: the package is ready (system returned) once its tar is written; the zip is made from the
 * tar right after. A zip that a restart cut short is made again on the first download asking for it.
 */
let t: TestApp;
let p: People;
const { git } = returnsApp((app, people) => ((t = app), (p = people)));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the zip made from the tar (issue 8)', () => {
  it('answers 409 zip_pending while the zip is missing, makes it on that request, then serves it', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-ZIP');
    await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-18', basis: { number: '3', date: '2026-03-18' } });
    expect((await api(t, 'post', `/systems/${s.code}/return`, p.staff.token)).status).toBe(202);
    const ret = await waitForPackage(t, s.code, p.staff.token);
    const first = ret.package.zip;
    const events = async () => (await t.deps.db('audit_events').where({ subject_id: String(s.id), action: 'return.zip_written' })).length;
    expect(await events()).toBe(1);

    // As a restart between the tar and the zip leaves it: the package ready, no zip — and, when the
    // kill came between `completeReturn` and the job's cleanup, the build's scratch folder.
    const zipPath = packageFile(t.dataDir, s.id, ret.package.bagName, 'zip');
    rmSync(zipPath);
    const work = workDir(t.dataDir, s.id, ret.package.id);
    mkdirSync(work);
    writeFileSync(join(work, 'repository.bundle'), 'left by a kill');
    // What the start does before the first request (server/main.ts).
    await removeFinishedScratch(t.deps);
    expect(existsSync(work)).toBe(false);
    await t.deps.db('return_packages').where({ id: ret.package.id }).update({ zip_size: null, zip_sha256: null });
    expect((await api(t, 'get', `/systems/${s.code}/return`, p.body.token)).body.package).toMatchObject({ status: 'ready', zip: null, tar: ret.package.tar });
    const pending = await api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token).set('Accept-Language', 'en');
    expect(pending.status).toBe(409);
    expect(pending.headers['retry-after']).toBe('30');
    expect(pending.body.error.code).toBe('zip_pending');
    expect(pending.body.error.message).toContain('the tar is ready');
    // The tar is served meanwhile.
    const tar = await binary(api(t, 'get', `/systems/${s.code}/return/package.tar`, p.body.token));
    expect(tar.status).toBe(200);
    expect(sha(tar.body)).toBe(ret.package.tar.sha256);

    const again = await waitForPackage(t, s.code, p.body.token);
    expect(existsSync(zipPath)).toBe(true);
    // The same bag, the same date: the zip made again is byte for byte the first one.
    expect(again.package.zip).toEqual(first);
    const zip = await binary(api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token));
    expect(zip.status).toBe(200);
    expect(sha(zip.body)).toBe(first.sha256);
    expect(await events()).toBe(2);
  });
});
