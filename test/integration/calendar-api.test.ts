import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { listAudit } from '../../server/audit/service.js';

let t: TestApp;
let body: { token: string };
let staff: { token: string };
beforeAll(async () => {
  t = await startTestApp({ clock: testClock('2026-03-19T10:00:00+05:00') });
  body = await t.addUser({ role: 'body_user' });
  staff = await t.addUser({ role: 'operator_staff' });
});
afterAll(async () => {
  await t?.stop();
});

const api = () => request(t.url);
const as = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('GET /api/v1/calendar/:year', () => {
  it('gives any signed-in caller the year: count, days off by kind with names, working weekend days', async () => {
    const res = await api().get('/api/v1/calendar/2026').set(as(body.token));
    expect(res.status).toBe(200);
    expect(res.body.year).toBe(2026);
    expect(res.body.workingDays).toBe(247);
    expect(res.body.workingWeekendDays).toEqual([]);
    expect(res.body.daysOff).toHaveLength(19);
    expect(res.body.daysOff.find((d: { date: string }) => d.date === '2026-03-25')).toEqual({
      date: '2026-03-25',
      kind: 'substitute',
      name: 'Наурыз мейрамы (перенос)',
      names: { kk: 'Наурыз мейрамы (ауыстырылған демалыс)', ru: 'Наурыз мейрамы (перенос)', en: 'Nauryz (substitute)' },
    });
    const y2025 = await api().get('/api/v1/calendar/2025').set(as(body.token)).set('Accept-Language', 'en');
    expect(y2025.body.workingDays).toBe(246);
    expect(y2025.body.workingWeekendDays).toEqual(['2025-01-05']);
    expect(y2025.body.daysOff.find((d: { date: string }) => d.date === '2025-01-03')).toMatchObject({ kind: 'transfer', name: 'Day off moved from Sunday 5 January' });
  });

  it('refuses a year that is not four digits or outside 2020–2100, naming the field, and anonymous callers', async () => {
    for (const year of ['20266', '2019', '2101', 'abcd']) {
      const res = await api().get(`/api/v1/calendar/${year}`).set(as(body.token)).set('Accept-Language', 'en');
      expect(res.status, year).toBe(400);
      expect(Object.keys(res.body.error.fields), year).toEqual(['year']);
      expect(res.body.error.fields.year, year).toBe({ '20266': 'Wrong format.', '2019': 'At least 2020.', '2101': 'At most 2100.', abcd: 'Wrong format.' }[year]);
    }
    expect((await api().get('/api/v1/calendar/2026')).status).toBe(401);
  });
});

describe('GET /api/v1/calendar/working-days', () => {
  it('answers the Nth working day after a date', async () => {
    const res = await api().get('/api/v1/calendar/working-days?from=2026-03-19&add=3').set(as(body.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ from: '2026-03-19', add: 3, date: '2026-03-27' });
    const newYear = await api().get('/api/v1/calendar/working-days').query({ from: '2025-12-29', add: '10' }).set(as(body.token));
    expect(newYear.body.date).toBe('2026-01-15');
  });

  it('refuses a bad date, a negative or huge count with 400 naming the field', async () => {
    const cases: [Record<string, string>, string, string, string][] = [
      [{ from: '2026-02-30', add: '3' }, 'from', 'Wrong format.', 'validation_failed'],
      [{ from: '19.03.2026', add: '3' }, 'from', 'Wrong format.', 'validation_failed'],
      [{ from: '2019-12-31', add: '3' }, 'from', 'A date from 2020-01-01 to 2100-12-31.', 'calendar_out_of_range'],
      [{ add: '3' }, 'from', 'Required.', 'validation_failed'],
      [{ from: '2026-03-19', add: '-1' }, 'add', 'At least 0.', 'validation_failed'],
      [{ from: '2026-03-19', add: '1001' }, 'add', 'At most 1000.', 'validation_failed'],
      [{ from: '2026-03-19', add: 'three' }, 'add', 'Wrong format.', 'validation_failed'],
      [{ from: '2026-03-19', add: '2.5' }, 'add', 'Wrong format.', 'validation_failed'],
      [{ from: '2026-03-19' }, 'add', 'Required.', 'validation_failed'],
    ];
    for (const [query, field, message, code] of cases) {
      const res = await api().get('/api/v1/calendar/working-days').query(query).set(as(body.token)).set('Accept-Language', 'en');
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.code, JSON.stringify(query)).toBe(code);
      expect(res.body.error.fields, JSON.stringify(query)).toEqual({ [field]: message });
    }
    const past = await api().get('/api/v1/calendar/working-days').query({ from: '2100-12-01', add: '1000' }).set(as(body.token)).set('Accept-Language', 'en');
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('calendar_out_of_range');
    expect(past.body.error.fields).toEqual({ add: 'The result falls after 2100-12-31.' });
  });
});

describe('overrides: Government decrees entered by operator admins', () => {
  const decree = { date: '2026-03-26', working: false, basis: 'Government decree No. 123 of 20.03.2026' };

  it('are refused to everyone but operator admins (403), and nothing changes', async () => {
    for (const token of [body.token, staff.token]) {
      const res = await api().post('/api/v1/calendar/overrides').set(as(token)).send(decree);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('role_required');
      expect((await api().delete('/api/v1/calendar/overrides/2026-03-26').set(as(token))).status).toBe(403);
    }
    expect((await api().get('/api/v1/calendar/overrides').set(as(body.token))).body.items).toEqual([]);
  });

  it('refuses a bad body naming each field', async () => {
    const res = await api().post('/api/v1/calendar/overrides').set(as(t.adminToken)).set('Accept-Language', 'en').send({ date: '2026-13-01', working: 'yes', basis: ' ' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['basis', 'date', 'working']);
    expect(res.body.error.fields.date).toBe('Wrong format.');
    const early = await api().post('/api/v1/calendar/overrides').set(as(t.adminToken)).set('Accept-Language', 'ru').send({ date: '2019-05-01', working: true, basis: 'x' });
    expect(early.status).toBe(400);
    expect(early.body.error.fields).toEqual({ date: 'Дата с 2020-01-01 по 2100-12-31.' });
  });

  it('an admin decree changes the next working-days answer and the year, with one audit event; deleting it restores them', async () => {
    const set = await api().post('/api/v1/calendar/overrides').set(as(t.adminToken)).send(decree);
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ ...decree, createdBy: 'admin', createdAt: '2026-03-19T05:00:00.000Z' });

    const after = await api().get('/api/v1/calendar/working-days?from=2026-03-19&add=3').set(as(body.token));
    expect(after.body.date).toBe('2026-03-30');
    const year = await api().get('/api/v1/calendar/2026').set(as(body.token));
    expect(year.body.workingDays).toBe(246);
    expect(year.body.daysOff.find((d: { date: string }) => d.date === '2026-03-26')).toMatchObject({ kind: 'override', basis: decree.basis, name: 'Выходной день (решение Правительства)' });
    const events = await listAudit(t.deps, { action: 'calendar.override_set', subjectId: '2026-03-26' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorLogin: 'admin', subjectType: 'calendar_day', details: { working: false, basis: decree.basis, replaced: null } });

    const replaced = await api().post('/api/v1/calendar/overrides').set(as(t.adminToken)).send({ ...decree, basis: 'Decree No. 124' });
    expect(replaced.status).toBe(200);
    expect((await api().get('/api/v1/calendar/overrides').set(as(body.token))).body.items).toEqual([expect.objectContaining({ date: '2026-03-26', basis: 'Decree No. 124' })]);

    const removed = await api().delete('/api/v1/calendar/overrides/2026-03-26').set(as(t.adminToken));
    expect(removed.status).toBe(204);
    expect(await listAudit(t.deps, { action: 'calendar.override_removed', subjectId: '2026-03-26' })).toHaveLength(1);
    expect((await api().get('/api/v1/calendar/working-days?from=2026-03-19&add=3').set(as(body.token))).body.date).toBe('2026-03-27');
    expect((await api().get('/api/v1/calendar/2026').set(as(body.token))).body.workingDays).toBe(247);

    const again = await api().delete('/api/v1/calendar/overrides/2026-03-26').set(as(t.adminToken)).set('Accept-Language', 'kk');
    expect(again.status).toBe(404);
    expect(again.body.error).toEqual({ code: 'calendar_override_not_found', message: '2026-03-26 күніне шешім енгізілмеген.' });
    expect((await api().delete('/api/v1/calendar/overrides/not-a-date').set(as(t.adminToken))).status).toBe(400);
  });

  it('a decree can make a Saturday a working day', async () => {
    const res = await api().post('/api/v1/calendar/overrides').set(as(t.adminToken)).send({ date: '2026-12-19', working: true, basis: 'Decree No. 200' });
    expect(res.status).toBe(201);
    const year = await api().get('/api/v1/calendar/2026').set(as(body.token));
    expect(year.body.workingWeekendDays).toEqual(['2026-12-19']);
    expect(year.body.workingDays).toBe(248);
    expect((await api().delete('/api/v1/calendar/overrides/2026-12-19').set(as(t.adminToken))).status).toBe(204);
  });
});

describe('OpenAPI', () => {
  it('documents the calendar routes from their schemas', async () => {
    const doc = (await api().get('/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/calendar/{year}'].get).toBeTruthy();
    const params = doc.paths['/api/v1/calendar/working-days'].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(params).toEqual(['add', 'from']);
    expect(doc.paths['/api/v1/calendar/overrides'].post.requestBody.content['application/json'].schema.properties.working).toBeTruthy();
  });
});
