import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';

let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  [t, browser] = await Promise.all([startTestApp(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe('in a real browser', () => {
  it('signs in, switches to Kazakh, and keeps Kazakh across reloads and sign-ins', async () => {
    const u = await t.addUser({ role: 'body_user' });
    // The browser asks for English; only the user's choice may turn the pages Kazakh.
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    const signIn = async () => {
      await page.fill('input[name=login]', u.login);
      await page.fill('input[name=password]', u.password);
      await Promise.all([page.waitForURL(t.url + '/'), page.click('form[action="/login"] button[type=submit]')]);
    };

    await page.goto(t.url + '/');
    expect(page.url()).toBe(t.url + '/login?next=%2F');
    await signIn();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe(`Welcome, User ${u.login}!`);

    await page.click('button[name=lang][value=kk]');
    await page.waitForSelector('html[lang=kk]');
    expect(page.url()).toBe(t.url + '/');
    expect(await page.textContent('h1')).toBe(`Қош келдіңіз, User ${u.login}!`);
    expect(await page.textContent('main h2')).toBe('Мұнда не істеуге болады');
    expect(await page.getAttribute('button[name=lang][value=kk]', 'aria-pressed')).toBe('true');

    await page.reload();
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    expect(await page.textContent('main h2')).toBe('Мұнда не істеуге болады');

    // Screenshots for a human look: QOIMA_E2E_SHOTS=/some/dir keeps them there.
    const shots = process.env.QOIMA_E2E_SHOTS ?? mkdtempSync(join(tmpdir(), 'qoima-e2e-'));
    await page.screenshot({ path: join(shots, 'home-kk.png'), fullPage: true });

    // Sign out, forget every cookie: the language now comes from the user's record alone.
    await Promise.all([page.waitForURL(t.url + '/login'), page.click('form[action="/logout"] button')]);
    await context.clearCookies();
    await page.goto(t.url + '/login');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await signIn();
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    expect(await page.textContent('h1')).toBe(`Қош келдіңіз, User ${u.login}!`);

    // The one script of the UI runs under the CSP (script-src 'self'): the copy button appears.
    await page.goto(t.url + '/tokens');
    await page.fill('#tk-name', 'e2e');
    await Promise.all([page.waitForURL(t.url + '/tokens'), page.click('form[action="/tokens"] button[type=submit]')]);
    expect(await page.textContent('#new-token')).toMatch(/^qoima_/);
    await page.waitForSelector('button[data-copy="new-token"]:not([hidden])');
    await page.screenshot({ path: join(shots, 'tokens-kk.png'), fullPage: true });

    expect(problems).toEqual([]);
    await context.close();
  });
});
