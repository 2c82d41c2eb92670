import request from 'supertest';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { setStatus, type TestUser } from '../helpers/git.js';
import { validForm } from './intake-fixtures.js';

/**
 * A system as the catalogue holds it: applied for by a new body (its user returned), registered by
 * the operator (which forms the repository, Rules p.8), then marked accepted — acceptance itself is
 * server/deposits' transition; here only its outcome, the status, is set.
 */
export async function acceptedSystem(t: TestApp, staffToken: string, code: string, form: Record<string, unknown> = {}): Promise<{ id: number; code: string; owner: TestUser }> {
  const owner = await t.addUser({ role: 'body_user' });
  const sub = await request(t.url).post('/api/v1/applications').set('Authorization', `Bearer ${owner.token}`).send(validForm({ systemCode: code, ...form }));
  expect(sub.status).toBe(201);
  const reg = await request(t.url).post(`/api/v1/applications/${sub.body.id}/register`).set('Authorization', `Bearer ${staffToken}`).send({});
  expect(reg.status).toBe(200);
  expect(reg.body.system.status).toBe('repository_formed');
  await setStatus(t, reg.body.system.id, 'accepted');
  return { id: reg.body.system.id, code, owner };
}

/** Gives a test user an e-mail address (users are created without one by the test helper). */
export async function withEmail(t: TestApp, user: TestUser, email: string): Promise<TestUser> {
  await t.deps.db('users').where({ id: user.userId }).update({ email });
  return user;
}
