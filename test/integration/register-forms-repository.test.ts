import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { cloneUrl, gitClient } from '../helpers/git.js';
import { validForm } from './intake-fixtures.js';

// Rules p.8 with the default setting: registering an application forms the repository at once.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
const git = gitClient();
beforeAll(async () => {
  t = await startTestApp({ clock });
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

describe('registration forms the repository (rules p.8) and starts the p.9 clock', () => {
  it('registered on Thursday 2026-03-19: repository formed, p.8 met that day, acceptance due Friday 2026-03-27', async () => {
    const body = await t.addUser({ role: 'body_user' });
    const staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
    const sub = await request(t.url).post('/api/v1/applications').set('Authorization', `Bearer ${body.token}`).send(validForm({ systemCode: 'IS-FORMED', applicationDate: '2026-03-19', commissioning: { kind: 'industrial_operation', date: '2026-03-18' } }));
    expect(sub.status).toBe(201);
    const reg = await request(t.url).post(`/api/v1/applications/${sub.body.id}/register`).set('Authorization', `Bearer ${staff.token}`).send({});
    expect(reg.status).toBe(200);
    expect(reg.body.system).toMatchObject({ code: 'IS-FORMED', status: 'repository_formed' });
    expect(reg.body.repository.commit).toMatch(/^[0-9a-f]{40}$/);

    const system = await request(t.url).get('/api/v1/systems/IS-FORMED').set('Authorization', `Bearer ${body.token}`);
    expect(system.body.status).toBe('repository_formed');
    const deadlines = Object.fromEntries((system.body.deadlines as { rule: string }[]).map((d) => [d.rule, d]));
    expect(deadlines.repository).toMatchObject({ dueDate: '2026-03-27', metOn: '2026-03-19', state: 'met' });
    expect(deadlines.acceptance).toMatchObject({ dueDate: '2026-03-27', metOn: null, state: 'pending' });

    const dir = git.workdir('formed');
    await git.ok(['clone', '-q', cloneUrl(t, 'IS-FORMED', body.token), dir]);
    expect((await git.ok(['ls-tree', '--name-only', 'HEAD'], { cwd: dir })).split('\n').filter(Boolean).sort()).toEqual(
      ['.gitattributes', 'BUILD.md', 'DEPOSIT.md', 'additional', 'database', 'docs', 'installers', 'licensed-config', 'source'].sort(),
    );
  });
});
