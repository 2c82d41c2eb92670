import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { checkBag, extractTar } from '../helpers/bagit-check.js';
import { formClient } from '../helpers/browser.js';
import { acceptedSystem, returnsApp, api, binary, waitForPackage, type People } from './returns-fixtures.js';

let t: TestApp;
let p: People;
const scratch = mkdtempSync(join(tmpdir(), 'qoima-returns-ui-'));
const { clock, git } = returnsApp((app, people) => ((t = app), (p = people)), () => rmSync(scratch, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fieldError = (html: string, name: string) => new RegExp(`id="f-${name}-err">([^<]*)</p>`).exec(html)?.[1] ?? null;

describe('the return pages, the full history, a failed build and its retry, the purge', () => {
  it('takes the notice through the form, builds the full history, lists it for the archivist, records the transfer', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-UI', { versions: 2 });
    const body = formClient(t.url, 'ru');
    await body.signIn(p.body.login, p.body.password);
    const mine = await body.agent.get('/returns');
    expect(mine.text).toMatch(new RegExp(`id="notifiable">[\\s\\S]*href="/systems/${s.code}/return"`));
    const page = await body.agent.get(`/systems/${s.code}/return`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="notice-form"');

    const bad = await body.post(`/systems/${s.code}/decommission`, { withdrawnOn: '2026-13-01', basisNumber: '', basisDate: '2030-01-01', scope: 'full_history' }, `/systems/${s.code}/return`);
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'withdrawnOn')).toBe('Введите дату в формате ГГГГ-ММ-ДД.');
    expect(fieldError(bad.text, 'basisDate')).toBe('Дата не может быть в будущем.');
    expect(fieldError(bad.text, 'basisNumber')).toBeTruthy();
    expect(bad.text).toContain('value="full_history" selected');
    const ok = await body.post(`/systems/${s.code}/decommission`, { withdrawnOn: '2026-03-18', basisNumber: '7-П', basisDate: '2026-03-17', scope: 'full_history' }, `/systems/${s.code}/return`);
    expect(ok.status).toBe(303);
    const after = await body.agent.get(ok.headers.location);
    expect(after.text).toContain('Уведомление зарегистрировано');
    expect(after.text).toContain('приказ № 7-П от 17.03.2026');

    const staff = formClient(t.url, 'en');
    await staff.signIn(p.staff.login, p.staff.password);
    const start = await staff.post(`/systems/${s.code}/return`, {}, `/systems/${s.code}/return`);
    expect(start.status).toBe(303);
    const running = await staff.agent.get(`/systems/${s.code}/return`);
    if (/data-status="generating"/.test(running.text)) {
      expect(running.headers.refresh).toBe('3');
      expect(running.text).toContain('<progress id="package-progress"');
    }
    await waitForPackage(t, s.code, p.staff.token);
    const ready = await staff.agent.get(`/systems/${s.code}/return`);
    expect(ready.headers.refresh).toBeUndefined();
    expect(ready.text).toContain(`href="/systems/${s.code}/return/package.tar"`);

    // Every accepted version, each in its own folder.
    const tar = await binary(body.agent.get(`/systems/${s.code}/return/package.tar`));
    expect(tar.status).toBe(200);
    writeFileSync(join(scratch, 'full.tar'), tar.body);
    const bag = extractTar(join(scratch, 'full.tar'), join(scratch, 'full'));
    expect((await checkBag(bag)).errors).toEqual([]);
    expect(readdirSync(join(bag, 'data/deposits')).sort()).toEqual(['v1', 'v2']);
    expect(readFileSync(join(bag, 'data/deposits/v1/source/Main.java'), 'utf8')).toContain('main(String[] a)');
    expect(readFileSync(join(bag, 'data/deposits/v2/source/Main.java'), 'utf8')).toContain('/* v2 */');
    expect(readFileSync(join(bag, 'bag-info.txt'), 'utf8')).toContain('Qoima-Scope: full_history');

    const archivist = formClient(t.url, 'kk');
    await archivist.signIn(p.archivist.login, p.archivist.password);
    const list = await archivist.agent.get('/returns');
    expect(list.status).toBe(200);
    expect(list.text).toMatch(new RegExp(`<table class="grid" id="ready">[\\s\\S]*data-system="${s.code}"`));
    expect((await archivist.agent.get(`/systems/${s.code}`)).status).toBe(200); // archivists read returned systems
    const transfer = await archivist.post(`/systems/${s.code}/archive-transfer`, { actNumber: 'А-3', actDate: '2026-03-19' }, `/systems/${s.code}/return`);
    expect(transfer.status).toBe(303);
    expect((await archivist.agent.get(transfer.headers.location)).text).toContain('№ А-3 актімен берілді');
  });

  it('fails a build whose LFS object no longer matches its oid, and builds again once it is repaired', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-FAIL');
    expect((await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-18', basis: { number: '1', date: '2026-03-18' } })).status).toBe(201);
    const blob = t.deps.blobs.pathOf(sha(s.installer));
    writeFileSync(blob, Buffer.alloc(s.installer.length, 0));
    expect((await api(t, 'post', `/systems/${s.code}/return`, p.staff.token)).status).toBe(202);
    const failed = await waitForPackage(t, s.code, p.staff.token);
    expect(failed.package).toMatchObject({ status: 'failed', error: expect.stringContaining('data/deposit/installers/setup.bin') });
    expect(failed.system.status).toBe('decommission_notified');
    expect(readdirSync(join(t.dataDir, 'returns', String(s.id)))).toEqual([]); // no half-written package left
    expect((await api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token)).status).toBe(404);

    writeFileSync(blob, s.installer);
    expect((await api(t, 'post', `/systems/${s.code}/return`, p.staff.token)).status).toBe(202);
    expect((await waitForPackage(t, s.code, p.staff.token)).package.status).toBe('ready');
    const events = (await t.deps.db('audit_events').where({ subject_id: String(s.id) }).orderBy('id')).map((e) => e.action);
    expect(events.filter((a) => a.startsWith('return.') || a === 'system.returned')).toEqual(['return.started', 'return.failed', 'return.started', 'system.returned', 'return.zip_written']);
  });

  it('marks failed a package a crashed process left generating, so the return can start again', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-CRASH');
    await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-18', basis: { number: '2', date: '2026-03-18' } });
    const ret = await t.deps.db('returns').where({ system_id: s.id }).first();
    const now = clock().toISOString();
    const row = { return_id: ret.id, system_id: s.id, status: 'generating', bag_name: 'IS-CRASH_return_20260319', started_at: now, worker: `${hostname()} 999999999 dead`, heartbeat_at: now, phase: 'deposit', bytes_done: 10, bytes_total: 100, files_done: 1 };
    await t.deps.db('return_packages').insert(row);
    await t.deps.db('return_packages').insert({ ...row, worker: 'elsewhere 1 x', system_id: (await t.deps.db('systems').where({ code: 'IS-UI' }).first()).id });
    const started = await api(t, 'post', `/systems/${s.code}/return`, p.staff.token);
    expect(started.status).toBe(202);
    const rows = await t.deps.db('return_packages').where({ system_id: s.id }).orderBy('id');
    expect(rows[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
    expect((await waitForPackage(t, s.code, p.staff.token)).package.status).toBe('ready');
    // Another host's job is left alone while it may still be running (its heartbeat is fresh).
    expect((await t.deps.db('return_packages').where({ worker: 'elsewhere 1 x' }).first()).status).toBe('generating');
    clock.advance(11 * 60_000);
    await api(t, 'post', `/systems/${s.code}/return`, p.staff.token); // 409 (returned), but recovery ran first
    expect((await t.deps.db('return_packages').where({ worker: 'elsewhere 1 x' }).first()).status).toBe('failed');
  });

  it('purges an archived system on an operator admin\'s word, keeping the records and checksums', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-PURGE');
    await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-18', basis: { number: '3', date: '2026-03-18' } });
    await api(t, 'post', `/systems/${s.code}/return`, p.staff.token);
    const ret = await waitForPackage(t, s.code, p.staff.token);
    expect((await api(t, 'post', `/systems/${s.code}/purge`, t.adminToken).send({ reason: 'x' })).body.error.code).toBe('not_archived');
    await api(t, 'post', `/systems/${s.code}/archive-transfer`, p.body.token).send({ actNumber: '5', actDate: '2026-03-19' });
    expect((await api(t, 'post', `/systems/${s.code}/purge`, p.staff.token).send({ reason: 'x' })).status).toBe(404);
    expect((await api(t, 'post', `/systems/${s.code}/purge`, t.adminToken).send({})).status).toBe(400);
    const admin = formClient(t.url, 'en');
    await admin.signIn('admin', TEST_ADMIN_PASSWORD);
    const purged = await admin.post(`/systems/${s.code}/purge`, { reason: 'Transferred to the state archive, act 5' }, `/systems/${s.code}/return`);
    expect(purged.status).toBe(303);
    expect(existsSync(join(t.dataDir, 'repos', `${s.id}.git`))).toBe(false);
    expect(existsSync(join(t.dataDir, 'returns', String(s.id)))).toBe(false);
    expect(await t.deps.db('lfs_objects').where({ system_id: s.id })).toEqual([]);
    expect((await api(t, 'get', `/systems/${s.code}/return/package.zip`, p.body.token)).status).toBe(404);
    const view = (await api(t, 'get', `/systems/${s.code}/return`, p.body.token)).body;
    expect(view.purge).toMatchObject({ purgedBy: 'admin', reason: 'Transferred to the state archive, act 5' });
    expect(view.package.zip.sha256).toBe(ret.package.zip.sha256);
    const event = await t.deps.db('audit_events').where({ action: 'system.purged', subject_id: String(s.id) }).first();
    expect(JSON.parse(event.details).package.tar.sha256).toBe(ret.package.tar.sha256);
    expect((await api(t, 'get', `/systems/${s.code}/deposits/v1/act.pdf`, p.body.token)).status).toBe(200);
    expect((await api(t, 'post', `/systems/${s.code}/purge`, t.adminToken).send({ reason: 'again' })).body.error.code).toBe('already_purged');
  });
});
