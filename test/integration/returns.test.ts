import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { checkBag, extractTar, extractZip } from '../helpers/bagit-check.js';
import { commitFile } from '../helpers/git.js';
import { acceptedSystem, returnsApp, api, binary, waitForPackage, type People } from './returns-fixtures.js';

let t: TestApp;
let p: People;
const scratch = mkdtempSync(join(tmpdir(), 'qoima-returns-'));
const { git } = returnsApp((app, people) => ((t = app), (p = people)), () => rmSync(scratch, { recursive: true, force: true }));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const notice = { withdrawnOn: '2026-03-02', basis: { number: '45-НҚ', date: '2026-02-27' }, scope: 'last_version' };
const workingDay = async (from: string, add: number) => (await api(t, 'get', `/calendar/working-days?from=${from}&add=${add}`, p.staff.token)).body.date as string;

describe('decommissioning and the return package, with a real git + LFS deposit (Rules p.11–12)', () => {
  it('refuses the notice of another body, and of a system never accepted', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-NEVER', { accept: false });
    const other = await api(t, 'post', `/systems/${s.code}/decommission`, p.grantee.token).send(notice);
    expect(other.status).toBe(404);
    expect(other.body).toEqual((await api(t, 'post', '/systems/NO-SUCH/decommission', p.grantee.token).send(notice)).body);
    expect((await api(t, 'post', `/systems/${s.code}/decommission`, p.archivist.token).send(notice)).status).toBe(404);
    const never = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).set('Accept-Language', 'en').send(notice);
    expect(never.status).toBe(409);
    expect(never.body.error.code).toBe('nothing_accepted');
    expect(never.body.error.message).toContain('has no accepted deposit');
    expect((await api(t, 'get', `/systems/${s.code}`, p.body.token)).body.status).toBe('deposit_received');
    const none = await api(t, 'get', `/systems/${s.code}/return`, p.body.token).set('Accept-Language', 'en');
    expect(none.status).toBe(404);
    expect(none.body.error).toMatchObject({ code: 'return_not_found', message: `No decommissioning notice has been sent for ${s.code}.` });
  });

  it('goes notice → package (zip and tar, valid bags) → downloads → archive transfer', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-RETURN', { versions: 2 });
    // A body that was only granted reuse access (Rules p.10) before the withdrawal.
    const grant = await api(t, 'post', `/systems/${s.code}/grants`, p.staff.token).send({ organization: p.grantee.bin, purpose: 'reuse', basis: 'письмо № 7' });
    expect(grant.status).toBe(201);

    const future = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ ...notice, withdrawnOn: '2026-03-20' });
    expect(future.status).toBe(400);
    expect(Object.keys(future.body.error.fields)).toEqual(['withdrawnOn']);
    const malformed = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-02-30', basis: { number: '', date: '2026-13-01' }, scope: 'all', extra: 1 });
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body.error.fields).sort()).toEqual(['_', 'basis.date', 'basis.number', 'scope', 'withdrawnOn'].sort());

    const sent = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send(notice);
    expect(sent.status).toBe(201);
    expect(sent.body.system.status).toBe('decommission_notified');
    const dl = Object.fromEntries(sent.body.deadlines.map((d: { rule: string }) => [d.rule, d]));
    // Rules p.11: the notice was due 10 working days after the withdrawal (met late); the return 3 after the notice.
    expect(dl.decommission_notice).toMatchObject({ clause: 'p.11', dueDate: await workingDay('2026-03-02', 10), metOn: '2026-03-19', state: 'met_late' });
    expect(dl.return).toMatchObject({ clause: 'p.11', startDate: '2026-03-19', dueDate: await workingDay('2026-03-19', 3), metOn: null, state: 'pending' });
    expect((await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send(notice)).body.error.code).toBe('already_notified');

    expect((await api(t, 'post', `/systems/${s.code}/return`, p.body.token)).status).toBe(404);
    const started = await api(t, 'post', `/systems/${s.code}/return`, p.staff.token);
    expect(started.status).toBe(202);
    expect(started.body.package).toMatchObject({ status: expect.stringMatching(/generating|ready/), bagName: 'IS-RETURN_return_20260319' });
    const twice = await api(t, 'post', `/systems/${s.code}/return`, p.staff.token);
    expect(twice.status).toBe(409);
    expect(['return_in_progress', 'already_returned']).toContain(twice.body.error.code);

    const ret = await waitForPackage(t, s.code, p.staff.token);
    expect(ret.package).toMatchObject({ status: 'ready', error: null, progress: { percent: 100 } });
    expect(ret.system.status).toBe('returned');
    expect(ret.deadlines.find((d: { rule: string }) => d.rule === 'return')).toMatchObject({ metOn: '2026-03-19', state: 'met' });
    expect((await api(t, 'post', `/systems/${s.code}/return`, p.staff.token)).body.error.code).toBe('already_returned');
    const notes = await api(t, 'get', '/notifications', p.body.token);
    expect(notes.body.items.map((n: { kind: string }) => n.kind)).toContain('return_ready');

    // The repository is read-only now: a push is refused.
    await commitFile(git, s.dir, 'source/late.txt', 'too late\n');
    const push = await git.run(['push', 'origin', 'main'], { cwd: s.dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('qoima:');

    // Downloads: the owner, an archivist, operator staff; not a grantee, not the authorized body.
    const zip = await binary(api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token));
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(Number(zip.headers['content-length'])).toBe(ret.package.zip.size);
    expect(zip.headers.etag).toBe(`"${ret.package.zip.sha256}"`);
    expect(sha(zip.body)).toBe(ret.package.zip.sha256);
    const tar = await binary(api(t, 'get', `/systems/${s.code}/return/package.tar`, p.archivist.token));
    expect(tar.status).toBe(200);
    expect(sha(tar.body)).toBe(ret.package.tar.sha256);
    expect((await binary(api(t, 'get', `/systems/${s.code}/return/package.tar`, p.staff.token))).status).toBe(200);
    const missing = (await api(t, 'get', '/systems/NO-SUCH/return/package.zip', p.grantee.token)).body;
    for (const who of [p.grantee, p.viewer]) {
      const denied = await api(t, 'get', `/systems/${s.code}/return/package.zip`, who.token);
      expect(denied.status).toBe(404);
      expect(denied.body).toEqual(missing);
    }
    // Range: resume from byte 100; past the end is 416.
    const part = await binary(api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token).set('Range', 'bytes=100-'));
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-${zip.body.length - 1}/${zip.body.length}`);
    expect(Buffer.compare(part.body, zip.body.subarray(100))).toBe(0);
    const beyond = await api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token).set('Range', `bytes=${zip.body.length}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${zip.body.length}`);
    const downloads = await t.deps.db('audit_events').where({ action: 'return.downloaded', subject_id: String(s.id) });
    expect(downloads).toHaveLength(4);
    expect(JSON.parse(downloads[3].details)).toMatchObject({ format: 'zip', range: { start: 100, end: zip.body.length - 1 } });

    // Both serializations are valid bags, checked by a validator that shares no code with the writer.
    writeFileSync(join(scratch, 'p.zip'), zip.body);
    writeFileSync(join(scratch, 'p.tar'), tar.body);
    const bags = [await extractZip(join(scratch, 'p.zip'), join(scratch, 'zip')), extractTar(join(scratch, 'p.tar'), join(scratch, 'tar'))];
    for (const bag of bags) {
      const report = await checkBag(bag);
      expect(report.errors).toEqual([]);
      const info = new Map(report.info);
      for (const label of ['Source-Organization', 'Organization-Address', 'Contact-Name', 'Contact-Email', 'External-Description', 'Bag-Size']) expect(info.get(label), label).toBeTruthy();
      expect(info.get('External-Identifier')).toBe(s.code);
      expect(info.get('Bagging-Date')).toBe('2026-03-19');
      expect(info.get('Bag-Group-Identifier')).toBe(s.registerNo);
      expect(info.get('Contact-Email')).toBe('escrow@operator.kz');
      expect(info.get('Payload-Oxum')).toBe(`${report.payload.bytes}.${report.payload.files}`);
      expect(info.get('Payload-Oxum')).toBe(ret.package.payloadOxum);
    }
    const bag = bags[1];

    // The bundle: git verifies it, and a clone from it has the accepted commits under their tags.
    const check = git.workdir('verify');
    await git.ok(['init', '-q', check]);
    await git.ok(['bundle', 'verify', join(bag, 'data/repository.bundle')], { cwd: check });
    const restored = join(git.home, 'restored');
    await git.ok(['clone', '-q', join(bag, 'data/repository.bundle'), restored], { env: { GIT_LFS_SKIP_SMUDGE: '1' } });
    expect((await git.ok(['rev-parse', 'deposit/v1^{commit}', 'deposit/v2^{commit}'], { cwd: restored })).trim().split('\n')).toEqual(s.commits);

    // data/deposit/ is v2's tree with the LFS objects as the real files (they hash to their oids).
    const lfs = (await git.ok(['lfs', 'ls-files', '--long', s.commits[1]], { cwd: s.dir })).trim().split('\n').map((l) => ({ oid: l.slice(0, 64), path: l.slice(67) }));
    expect(lfs.map((l) => l.path).sort()).toEqual(['database/dump.sql.gz', 'installers/setup.bin']);
    for (const { oid, path } of lfs) expect(sha(readFileSync(join(bag, 'data/deposit', path)))).toBe(oid);
    expect(sha(readFileSync(join(bag, 'data/deposit/installers/setup.bin')))).toBe(sha(s.installer));
    expect(readFileSync(join(bag, 'data/deposit/source/Main.java'), 'utf8')).toBe('class Main { /* v2 */ }\n');
    expect(readFileSync(join(bag, 'data/deposit/docs/ТЗ 100%.txt'), 'utf8')).toBe('Техникалық тапсырма\n');
    expect(readdirSync(join(bag, 'data')).sort()).toEqual(['deposit', 'records', 'repository.bundle']);

    // data/records/: the acts as accepted, the application, the audit events with their hash chain.
    for (const v of [1, 2]) {
      const dep = await api(t, 'get', `/systems/${s.code}/deposits/v${v}`, p.body.token);
      expect(sha(readFileSync(join(bag, `data/records/acts/deposit-v${v}-act.pdf`)))).toBe(dep.body.actSha256);
    }
    const records = readdirSync(join(bag, 'data/records')).sort();
    expect(records).toEqual(expect.arrayContaining(['README.txt', 'applications', 'audit-chain.json', 'audit-events.jsonl', 'decommission.json', 'deposit-notes.json', 'deposits.json', 'grants.json', 'refs.txt', 'register-entries.json', 'system.json']));
    expect(JSON.parse(readFileSync(join(bag, 'data/records/grants.json'), 'utf8'))[0]).toMatchObject({ organization: { bin: p.grantee.bin }, purpose: 'reuse' });
    expect(readdirSync(join(bag, 'data/records/applications')).some((f) => f.endsWith('.html'))).toBe(true);
    const events = readFileSync(join(bag, 'data/records/audit-events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const e of events) expect(sha(JSON.stringify([e.prev_hash, e.at, e.actor_user_id, e.actor_org_id, e.actor_login, e.action, e.subject_type, e.subject_id, e.details, e.ip]))).toBe(e.hash);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['application.registered', 'deposit.accepted', 'access.granted', 'system.decommission_notified', 'return.started']));

    // Rules p.12: the archivist's list shows it ready for transfer; the transfer archives the system.
    const list = await api(t, 'get', '/returns?status=returned', p.archivist.token);
    expect(list.body.items.map((i: { code: string }) => i.code)).toContain(s.code);
    expect((await api(t, 'post', `/systems/${s.code}/archive-transfer`, p.grantee.token).send({ actNumber: '12', actDate: '2026-03-19' })).status).toBe(404);
    expect((await api(t, 'post', `/systems/${s.code}/archive-transfer`, p.archivist.token).send({ actNumber: '12', actDate: '2026-04-01' })).status).toBe(400);
    const archived = await api(t, 'post', `/systems/${s.code}/archive-transfer`, p.archivist.token).send({ actNumber: 'ГА-12', actDate: '2026-03-19' });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ system: { status: 'archived' }, archive: { actNumber: 'ГА-12', actDate: '2026-03-19' } });
    expect((await api(t, 'post', `/systems/${s.code}/archive-transfer`, p.body.token).send({ actNumber: '13', actDate: '2026-03-19' })).body.error.code).toBe('already_archived');
    expect(execFileSync('tar', ['-tf', join(scratch, 'p.tar')], { encoding: 'utf8' }).split('\n').every((n) => n === '' || n.startsWith('IS-RETURN_return_20260319/'))).toBe(true);
  });
});
