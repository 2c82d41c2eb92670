import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { validForm } from './intake-fixtures.js';

const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let body: Awaited<ReturnType<TestApp['addUser']>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let developer: Awaited<ReturnType<TestApp['addUser']>>;
let viewer: Awaited<ReturnType<TestApp['addUser']>>;

const as = (token: string) => ({ Authorization: `Bearer ${token}` });

async function registered(code: string, overrides: Record<string, unknown> = {}) {
  const sub = await request(t.url).post('/api/v1/applications').set(as(body.token)).send(validForm({ systemCode: code, ...overrides }));
  expect(sub.status).toBe(201);
  const reg = await request(t.url).post(`/api/v1/applications/${sub.body.id}/register`).set(as(staff.token)).send({});
  expect(reg.status).toBe(200);
}

beforeAll(async () => {
  // Intake alone: the repository is formed by an explicit operator action, so the p.8 clock runs.
  t = await startTestApp({ clock, env: { QOIMA_FORM_ON_REGISTER: 'false' } });
  body = await t.addUser({ role: 'body_user' });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
  developer = await t.addUser({ role: 'developer_user' });
  viewer = await t.addUser({ role: 'authority_viewer' });
  await registered('SYS-LINKED', { developer: { kind: 'organization', fullName: 'ТОО «Известный разработчик»', bin: developer.bin } });
  await registered('SYS-TYPED', { complexName: 'Реестр лицензий', developer: { kind: 'person', fullName: 'Сейткали Айгерим Бекболатовна' }, commissioning: { kind: 'portal_registration', date: '2026-03-02' } });
});
afterAll(async () => {
  await t?.stop();
});

describe('the system record', () => {
  it('links a developer known by BIN: its users see the system; a typed-in developer is kept by name', async () => {
    const list = await request(t.url).get('/api/v1/systems').set(as(developer.token));
    expect(list.body.items.map((s: { code: string }) => s.code)).toEqual(['SYS-LINKED']);
    const linked = await request(t.url).get('/api/v1/systems/SYS-LINKED').set(as(developer.token));
    expect(linked.body.developer).toMatchObject({ bin: developer.bin });
    const typed = await request(t.url).get('/api/v1/systems/SYS-TYPED').set(as(body.token));
    expect(typed.body).toMatchObject({ developer: { id: null, name: 'Сейткали Айгерим Бекболатовна' }, commissionedOn: null, portalRegisteredOn: '2026-03-02', warrantyUntil: null });
    expect((await request(t.url).get('/api/v1/systems/SYS-TYPED').set(as(developer.token))).status).toBe(404);
  });

  it('searches by code or name and filters by status, within the caller’s scope', async () => {
    const byName = await request(t.url).get(`/api/v1/systems?q=${encodeURIComponent('лицензий')}`).set(as(staff.token));
    expect(byName.body.items.map((s: { code: string }) => s.code)).toEqual(['SYS-TYPED']);
    const byCode = await request(t.url).get('/api/v1/systems?q=sys-linked').set(as(body.token));
    expect(byCode.body.items.map((s: { code: string }) => s.code)).toEqual(['SYS-LINKED']);
    expect((await request(t.url).get('/api/v1/systems?status=accepted').set(as(staff.token))).body.items).toEqual([]);
    expect((await request(t.url).get('/api/v1/systems?q=%25').set(as(staff.token))).body.items).toEqual([]);
  });

  it('shows nothing to a caller without a link, with the same 404 for a bad code', async () => {
    expect((await request(t.url).get('/api/v1/systems').set(as(viewer.token))).body.items).toEqual([]);
    const hidden = await request(t.url).get('/api/v1/systems/SYS-LINKED').set(as(viewer.token));
    const bad = await request(t.url).get('/api/v1/systems/..%2F..%2Fetc').set(as(viewer.token));
    expect(hidden.status).toBe(404);
    expect(bad.status).toBe(404);
    expect(hidden.body.error.code).toBe('system_not_found');
  });

  it('lists the system’s deadlines and applications on its detail', async () => {
    const res = await request(t.url).get('/api/v1/systems/SYS-LINKED').set(as(staff.token));
    expect(res.body.deadlines.map((d: { rule: string }) => d.rule).sort()).toEqual(['application', 'repository']);
    expect(res.body.applications).toHaveLength(1);
    expect(res.body.status).toBe('registered');
  });
});
