import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { setOverride } from '../../server/calendar/service.js';
import { attentionDeadlines, deadlinesOfSystem, meetDeadline, startDeadline } from '../../server/deadlines/service.js';
import * as accounts from '../../server/accounts/service.js';
import { SYSTEM_ACTOR } from '../../server/deps.js';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { validForm } from './intake-fixtures.js';

const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let body: Awaited<ReturnType<TestApp['addUser']>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;

beforeAll(async () => {
  // Intake alone: the repository is formed by an explicit operator action, so the p.8 clock runs.
  t = await startTestApp({ clock, env: { QOIMA_FORM_ON_REGISTER: 'false' } });
  body = await t.addUser({ role: 'body_user' });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
});
afterAll(async () => {
  await t?.stop();
});

const as = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Submits and registers an application on the clock's day; returns the registration answer. */
async function registerOn(day: string, code: string, overrides: Record<string, unknown> = {}) {
  clock.set(`${day}T10:00:00+05:00`);
  const sub = await request(t.url).post('/api/v1/applications').set(as(body.token)).send(validForm({ systemCode: code, applicationDate: day, ...overrides }));
  expect(sub.status).toBe(201);
  const reg = await request(t.url).post(`/api/v1/applications/${sub.body.id}/register`).set(as(staff.token)).send({});
  expect(reg.status).toBe(200);
  return reg.body as { system: { id: number; code: string }; deadlines: { rule: string; dueDate: string; state: string; metOn: string | null; workingDaysLate: number | null }[] };
}
const rule = (r: Awaited<ReturnType<typeof registerOn>>, key: string) => r.deadlines.find((d) => d.rule === key)!;

const operatorPrincipal = () => accounts.authenticateToken(t.deps, staff.token);

describe('deadlines counted in working days of Kazakhstan (fixed clock)', () => {
  it('registered Thursday 2026-03-19: the repository is due Friday 2026-03-27 (21–25 March off)', async () => {
    const r = await registerOn('2026-03-19', 'DL-NAURYZ', { commissioning: { kind: 'industrial_operation', date: '2026-03-18' } });
    expect(rule(r, 'repository')).toMatchObject({ dueDate: '2026-03-27', state: 'pending' });
  });

  it('registered 2026-05-06: due 2026-05-13 (7, 9–11 May off); due soon, overdue, and met late as the days pass', async () => {
    const r = await registerOn('2026-05-06', 'DL-MAY', { commissioning: { kind: 'portal_registration', date: '2026-05-04' } });
    expect(rule(r, 'repository')).toMatchObject({ dueDate: '2026-05-13', state: 'pending' });
    const states = async (day: string) => {
      clock.set(`${day}T12:00:00+05:00`);
      return (await deadlinesOfSystem(t.deps, r.system.id)).find((d) => d.rule === 'repository')!;
    };
    expect(await states('2026-05-11')).toMatchObject({ state: 'pending', workingDaysLeft: 2 });
    expect(await states('2026-05-12')).toMatchObject({ state: 'due_soon', workingDaysLeft: 1 });
    expect(await states('2026-05-13')).toMatchObject({ state: 'due_soon', workingDaysLeft: 0 });
    expect(await states('2026-05-14')).toMatchObject({ state: 'overdue', workingDaysLate: 1 });
    // The dashboard lists it (overdue) for the operator, soonest due first.
    const p = await operatorPrincipal();
    const attention = await attentionDeadlines(t.deps, p);
    expect(attention.map((d) => [d.system.code, d.rule, d.state])).toContainEqual(['DL-MAY', 'repository', 'overdue']);
    expect(attention.map((d) => d.dueDate)).toEqual([...attention.map((d) => d.dueDate)].sort());
    // The repository module meets it on Friday 15 May: two working days late (14, 15).
    const met = await t.deps.db.transaction((trx) => meetDeadline(trx, t.deps, { systemId: r.system.id, rule: 'repository', metOn: '2026-05-15' }));
    expect(met).toMatchObject({ state: 'met_late', workingDaysLate: 2, metOn: '2026-05-15' });
    // Met once: a second call keeps the first day.
    const again = await t.deps.db.transaction((trx) => meetDeadline(trx, t.deps, { systemId: r.system.id, rule: 'repository', metOn: '2026-05-20' }));
    expect(again?.metOn).toBe('2026-05-15');
    // A clock never started cannot be met.
    expect(await t.deps.db.transaction((trx) => meetDeadline(trx, t.deps, { systemId: r.system.id, rule: 'acceptance' }))).toBeNull();
  });

  it('commissioned 2025-12-29: the application was due 2026-01-15 (10 working days across the New Year); arriving on the 20th is 3 working days late', async () => {
    const r = await registerOn('2026-01-20', 'DL-NEWYEAR', { commissioning: { kind: 'industrial_operation', date: '2025-12-29' }, releaseYear: 2025, releaseDate: '2025-12-01' });
    expect(rule(r, 'application')).toMatchObject({ dueDate: '2026-01-15', metOn: '2026-01-20', state: 'met_late', workingDaysLate: 3 });
  });

  it('registers a system commissioned before the calendar’s years without a p.7 deadline (it cannot be counted)', async () => {
    const r = await registerOn('2026-03-20', 'DL-LEGACY', { commissioning: { kind: 'industrial_operation', date: '2018-05-03' }, releaseYear: 2018 });
    expect(r.deadlines.map((d) => d.rule)).toEqual(['repository']);
  });

  it('keeps a fixed due date when the calendar changes later; new deadlines count with the new calendar', async () => {
    const before = await registerOn('2026-06-01', 'DL-DECREE-1', { commissioning: { kind: 'industrial_operation', date: '2026-05-29' } });
    expect(rule(before, 'repository').dueDate).toBe('2026-06-04');
    // A decree makes Wednesday 3 June a day off after the deadline was fixed.
    await setOverride(t.deps, SYSTEM_ACTOR, { date: '2026-06-03', working: false, basis: 'test decree' });
    const stored = (await deadlinesOfSystem(t.deps, before.system.id)).find((d) => d.rule === 'repository')!;
    expect(stored).toMatchObject({ dueDate: '2026-06-04', edition: '146-NK/347-NK-2022', startDate: '2026-06-01' });
    const after = await registerOn('2026-06-01', 'DL-DECREE-2', { commissioning: { kind: 'industrial_operation', date: '2026-05-29' } });
    expect(rule(after, 'repository').dueDate).toBe('2026-06-05');
  });

  it('starting a deadline twice changes nothing: a fixed deadline is history', async () => {
    const r = await registerOn('2026-06-10', 'DL-TWICE', { commissioning: { kind: 'industrial_operation', date: '2026-06-09' } });
    clock.set('2026-06-15T10:00:00+05:00');
    const second = await t.deps.db.transaction((trx) => startDeadline(trx, t.deps, { systemId: r.system.id, rule: 'repository', startDate: '2026-06-15' }));
    expect(second.startDate).toBe('2026-06-10');
    expect(second.dueDate).toBe(rule(r, 'repository').dueDate);
  });
});
