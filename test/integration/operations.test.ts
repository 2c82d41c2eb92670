import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('operations', () => {
  it('exposes Prometheus metrics to operator staff only', async () => {
    await request(t.url).get('/healthz');
    const anon = await request(t.url).get('/metrics');
    expect(anon.status).toBe(401);
    const body = await t.addUser({ role: 'body_user' });
    const denied = await request(t.url).get('/metrics').set('Authorization', `Bearer ${body.token}`);
    expect(denied.status).toBe(403);
    const res = await request(t.url).get('/metrics').set('Authorization', `Bearer ${t.adminToken}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/qoima_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).toMatch(/qoima_http_request_duration_seconds_bucket/);
  });

  it('sets a request id and security headers on every response', async () => {
    const res = await request(t.url).get('/login');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('does not cut long requests at Node’s default timeout, but bounds header time', () => {
    expect(t.server.requestTimeout).toBe(0);
    expect(t.server.headersTimeout).toBe(60_000);
  });

  it('answers an unknown API path with the JSON 404 shape', async () => {
    const res = await request(t.url).get('/api/v1/nothing-here').set('Authorization', `Bearer ${t.adminToken}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
