import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { csrfOf, formClient, launchBrowser } from '../helpers/browser.js';
import { formedSystem, gitClient, statusOf } from '../helpers/git.js';

let t: TestApp;
let browser: Browser;
const git = gitClient();
beforeAll(async () => {
  t = await startTestApp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
  git.cleanup();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('upload page', () => {
  it('uploads an installer in the real browser and shows the commit and sha256', async () => {
    const s = await formedSystem(t);
    const file = join(git.home, 'setup-2.0.msi');
    const data = randomBytes(3 * 1024 * 1024);
    writeFileSync(file, data);
    const page = await browser.newPage();
    await page.goto(`${t.url}/login`);
    await page.fill('input[name=login]', s.owner.login);
    await page.fill('input[name=password]', s.owner.password);
    await page.click('form[action="/login"] button[type=submit]');
    await page.goto(`${t.url}/systems/${s.code}/upload`);
    await page.selectOption('select[name=category]', 'installers');
    await page.setInputFiles('input[type=file]', file);
    await page.click('form[data-upload] button[type=submit]');
    await page.waitForSelector('#upload-result', { timeout: 30_000 });
    const text = await page.textContent('#upload-result');
    expect(text).toContain('installers/setup-2.0.msi');
    expect(text).toContain(sha(data));
    expect(await statusOf(t, s.id)).toBe('deposit_received');
    await page.close();
  });

  it('refuses a form without its CSRF token and stores nothing', async () => {
    const s = await formedSystem(t);
    const client = formClient(t.url);
    await client.signIn(s.owner.login, s.owner.password);
    const res = await client.agent.post(`/systems/${s.code}/upload`).field('category', 'docs').attach('file', Buffer.from('doc'), 'a.txt');
    expect(res.status).toBe(403);
    expect(await t.deps.db('audit_events').where({ action: 'deposit.file_uploaded', subject_id: String(s.id) })).toEqual([]);
  });

  it('shows the field error for a bad path and keeps the page usable', async () => {
    const s = await formedSystem(t);
    const client = formClient(t.url, 'en');
    await client.signIn(s.owner.login, s.owner.password);
    const form = await client.agent.get(`/systems/${s.code}/upload`);
    const res = await client.agent
      .post(`/systems/${s.code}/upload`)
      .field('_csrf', csrfOf(form.text))
      .field('category', 'docs')
      .field('path', '../../etc/passwd')
      .attach('file', Buffer.from('doc'), 'a.txt');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Invalid file path');
    expect(await statusOf(t, s.id)).toBe('repository_formed');
  });

  it('gives another body the same 404 as a missing system', async () => {
    const s = await formedSystem(t);
    const stranger = await t.addUser({ role: 'body_user' });
    const client = formClient(t.url);
    await client.signIn(stranger.login, stranger.password);
    expect((await client.agent.get(`/systems/${s.code}/upload`)).status).toBe(404);
    expect((await request(t.url).get(`/systems/${s.code}/upload`)).status).toBe(303);
  });
});
