import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { expect } from 'vitest';
import type { TestApp, testClock } from '../helpers/app.js';
import { cloneUrl, type GitClient, type TestUser } from '../helpers/git.js';
import * as accounts from '../../server/accounts/service.js';
import { validForm } from './intake-fixtures.js';

const SYSTEM = { userId: null, orgId: null, login: 'test', ip: null };

/**
 * A fixed history across the two half-years of 2026, built through the real services over the API
 * and the real `git` (every step at 10:00 Asia/Almaty on its day), with the year's holidays in the
 * way of its deadlines: the substitute day off after 8 March (9 March), Nauryz (21–25 March), Capital
 * Day (6 July), Republic Day's substitute (26 October) and Independence Day (16 December).
 *
 *  2026-H1  S1 (body A): committed 02.03, applied 19.03 (p.7 due 17.03: 2 WD late), registered and
 *           formed 19.03, two files uploaded 20.03, accepted 30.03 (p.9 due 27.03 across Nauryz: 1 WD
 *           late) despite errors. S2 (body B): committed 01.04, applied 10.04, registered 13.04, one
 *           upload 14.04, accepted 15.04 (on time) despite errors. Body C applied 05.05, rejected 06.05;
 *           body B saved a draft 15.05. Grants: S1 → C reuse 20.05; S2 → A recovery 10.06. S3 (body A):
 *           committed 22.06, applied 29.06, registered and formed 30.06 (p.9 due 03.07: open at 30.06).
 *  2026-H2  S3 pushed 07.07, accepted 08.07 (2 WD late: 6 July is a holiday) with no errors. S1 v2:
 *           upload 03.08, accepted 04.08 despite errors. Grant S1 → C revoked 01.09; S3 → B reuse
 *           02.09. S2 withdrawn 12.10, notice 30.10 (p.11 due 27.10: 3 WD late), returned 02.11 (due
 *           04.11), transferred to the archive 10.11. S4 (body C): committed 20.11, applied 01.12,
 *           registered and formed 02.12, never accepted (p.9 due 07.12: 17 WD overdue on 31.12).
 */
export type Clock = ReturnType<typeof testClock>;

export const at = (date: string) => `${date}T10:00:00+05:00`;

export interface History {
  /** The operator admin (`admin`), with a token that outlives the year of history. */
  admin: { token: string; userId: number };
  staff: TestUser;
  A: TestUser;
  B: TestUser;
  C: TestUser;
  codes: { S1: string; S2: string; S3: string; S4: string };
  /** Bytes and files of each accepted version, as the deposits API reports them. */
  versions: Record<string, { files: number; bytes: number }>;
}

const BUILD = '# Build\n\n| | |\n| --- | --- |\n| Орта / Среда / Environment | Go |\n| Нұсқа / Версия / Version | 1.22.3 |\n\ncd source && go build ./...\n';

/** The user with a token valid for ten years (the helper's last 90 days; a test here spans a year). */
export async function longLived<U extends { userId: number; token: string }>(t: TestApp, u: U): Promise<U> {
  const token = await accounts.createToken(t.deps, SYSTEM, u.userId, { name: 'reports', scopes: ['api', 'git:read', 'git:write'], expiresInDays: 3650 });
  return { ...u, token: token.token };
}

/** The operator admin `admin` with a ten-year token. */
export async function adminOf(t: TestApp): Promise<{ userId: number; token: string }> {
  return longLived(t, { userId: await accounts.userIdByLogin(t.deps, 'admin'), token: '' });
}

export async function buildHistory(t: TestApp, clock: Clock, git: GitClient): Promise<History> {
  const api = () => request(t.url);
  const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
  // The year of history outlives the helper's 90-day tokens: each party gets one for ten years.
  const long = <U extends { userId: number; token: string }>(u: U) => longLived(t, u);
  const admin = await adminOf(t);
  const staff = await long(await t.addUser({ role: 'operator_staff' }));
  const [A, B, C] = [await long(await t.addUser({ role: 'body_user' })), await long(await t.addUser({ role: 'body_user' })), await long(await t.addUser({ role: 'body_user' }))];
  const codes = { S1: 'RPT-S1', S2: 'RPT-S2', S3: 'RPT-S3', S4: 'RPT-S4' };
  const versions: History['versions'] = {};

  const on = (date: string) => clock.set(at(date));
  async function submit(who: TestUser, code: string, commissioned: string, date: string): Promise<number> {
    on(date);
    const res = await api().post('/api/v1/applications').set(as(who)).send(validForm({ systemCode: code, applicationDate: date, commissioning: { kind: 'industrial_operation', date: commissioned } }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as number;
  }
  async function register(id: number, date: string): Promise<void> {
    on(date);
    const res = await api().post(`/api/v1/applications/${id}/register`).set(as(staff)).send({});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.system.status).toBe('repository_formed');
  }
  async function upload(who: TestUser, code: string, path: string, content: string, date: string): Promise<void> {
    on(date);
    const res = await api().put(`/api/v1/systems/${code}/files/${path}`).set(as(who)).set('Content-Type', 'application/octet-stream').send(Buffer.from(content));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  async function accept(code: string, date: string, overrideReason?: string): Promise<void> {
    on(date);
    const res = await api().post(`/api/v1/systems/${code}/deposits`).set(as(staff)).send({ ref: 'main', ...(overrideReason ? { overrideReason } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.overridden).toBe(Boolean(overrideReason));
    const list = await api().get(`/api/v1/systems/${code}/deposits`).set(as(staff));
    const v = list.body.items.find((d: { version: number }) => d.version === res.body.version);
    versions[`${code}/v${res.body.version}`] = { files: v.fileCount, bytes: v.bytes };
  }
  async function grant(code: string, to: TestUser, purpose: 'reuse' | 'recovery', date: string): Promise<number> {
    on(date);
    const res = await api().post(`/api/v1/systems/${code}/grants`).set(as(staff)).send({ organization: to.bin, purpose, basis: `Хат № ${date}` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as number;
  }

  // ---- 2026-H1
  const s1 = await submit(A, codes.S1, '2026-03-02', '2026-03-19');
  await register(s1, '2026-03-19');
  await upload(A, codes.S1, 'source/main.go', 'package main\n\nfunc main() {}\n', '2026-03-20');
  await upload(A, codes.S1, 'docs/ТЗ.txt', 'Техникалық тапсырма: қ ң ү ұ ғ ә ө һ і\n', '2026-03-20');
  await accept(codes.S1, '2026-03-30', 'BUILD.md күтілуде / описание сборки будет дополнено');
  const s2 = await submit(B, codes.S2, '2026-04-01', '2026-04-10');
  await register(s2, '2026-04-13');
  await upload(B, codes.S2, 'source/app.py', 'print("ok")\n', '2026-04-14');
  await accept(codes.S2, '2026-04-15', 'Документация будет передана отдельно');
  const r = await submit(C, 'RPT-R', '2026-04-28', '2026-05-05');
  on('2026-05-06');
  expect((await api().post(`/api/v1/applications/${r}/reject`).set(as(staff)).send({ reason: 'Не введена в промышленную эксплуатацию' })).status).toBe(200);
  on('2026-05-15');
  expect((await api().post('/api/v1/applications/drafts').set(as(B)).send({ systemCode: 'RPT-DRAFT' })).status).toBe(201);
  const g1 = await grant(codes.S1, C, 'reuse', '2026-05-20');
  await grant(codes.S2, A, 'recovery', '2026-06-10');
  const s3 = await submit(A, codes.S3, '2026-06-22', '2026-06-29');
  await register(s3, '2026-06-30');

  // ---- 2026-H2
  on('2026-07-07');
  const dir = git.workdir('rpt-s3');
  await git.ok(['clone', '-q', cloneUrl(t, codes.S3, A.token), dir]);
  for (const [path, content] of Object.entries({ 'BUILD.md': BUILD, 'source/main.go': 'package main\n', 'docs/spec.md': '# ТЗ\n' })) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await git.ok(['add', '-A'], { cwd: dir });
  await git.ok(['commit', '-q', '-m', 'deposit'], { cwd: dir });
  await git.ok(['push', '-q', 'origin', 'main'], { cwd: dir });
  await accept(codes.S3, '2026-07-08');
  await upload(A, codes.S1, 'source/v2.go', 'package main // v2\n', '2026-08-03');
  await accept(codes.S1, '2026-08-04', 'Новая версия: описание сборки прежнее');
  on('2026-09-01');
  expect((await api().delete(`/api/v1/systems/${codes.S1}/grants/${g1}`).set(as(staff)).send({ reason: 'Работы завершены' })).status).toBe(200);
  await grant(codes.S3, B, 'reuse', '2026-09-02');
  return { admin, staff, A, B, C, codes, versions };
}

/** Rules p.11–12 for S2 (server/returns): notice 30.10, return 02.11, archive transfer 10.11; then S4. */
export async function finishHistory(t: TestApp, clock: Clock, h: History): Promise<void> {
  const api = () => request(t.url);
  const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
  const on = (date: string) => clock.set(at(date));
  on('2026-10-30');
  const notice = await api().post(`/api/v1/systems/${h.codes.S2}/decommission`).set(as(h.B)).send({ withdrawnOn: '2026-10-12', basis: { number: 'Бұйрық № 12', date: '2026-10-12' } });
  expect(notice.status, JSON.stringify(notice.body)).toBe(201);
  on('2026-11-02');
  const started = await api().post(`/api/v1/systems/${h.codes.S2}/return`).set(as(h.staff)).send({});
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  for (let i = 0; ; i++) {
    const state = await api().get(`/api/v1/systems/${h.codes.S2}/return`).set(as(h.staff));
    const status = state.body.package?.status;
    if (status === 'ready') break;
    if (status === 'failed' || i > 200) throw new Error(`return package: ${JSON.stringify(state.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  on('2026-11-10');
  const transfer = await api().post(`/api/v1/systems/${h.codes.S2}/archive-transfer`).set(as(h.B)).send({ actNumber: 'А-7', actDate: '2026-11-10' });
  expect(transfer.status, JSON.stringify(transfer.body)).toBe(200);

  on('2026-12-01');
  const res = await api().post('/api/v1/applications').set(as(h.C)).send(validForm({ systemCode: h.codes.S4, applicationDate: '2026-12-01', commissioning: { kind: 'industrial_operation', date: '2026-11-20' } }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  on('2026-12-02');
  expect((await api().post(`/api/v1/applications/${res.body.id}/register`).set(as(h.staff)).send({})).status).toBe(200);
}
