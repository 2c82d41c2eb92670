import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';

const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  [t, browser] = await Promise.all([startTestApp({ clock }), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const shots = process.env.QOIMA_E2E_SHOTS ?? mkdtempSync(join(tmpdir(), 'qoima-e2e-intake-'));

async function signedIn(login: string, password: string, locale: string): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const problems: string[] = [];
  // A refused form is answered 400 on purpose (and Chromium logs that): anything else is a problem.
  page.on('console', (m) => m.type() === 'error' && !/status of 400/.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(t.url + '/login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(t.url + '/'), page.click('form[action="/login"] button[type=submit]')]);
  return { page, problems, close: () => context.close() };
}

describe('intake in a real browser', () => {
  it('a body user files the form in Russian, fixes a bad BIN; the operator registers it and prints the register', async () => {
    const body = await t.addUser({ role: 'body_user', lang: 'ru' });
    const staff = await t.addUser({ role: 'operator_staff', bin: '000740001307', lang: 'ru' });

    const b = await signedIn(body.login, body.password, 'ru-RU');
    const page = b.page;
    await page.click('nav.main a[href="/applications"]');
    await page.click('a[href="/applications/new"]');
    expect(await page.textContent('h1')).toBe('Заявка на учет и хранение (приложение 1)');

    const fill = async (name: string, value: string) => page.fill(`[name="${name}"]`, value);
    await fill('applicant', 'Министерство цифрового развития, инноваций и аэрокосмической промышленности');
    await fill('complexName', 'Информационная система «Электронное обращение»');
    await fill('systemCode', 'E2E-APPEAL');
    await page.check('input[name="commissioning.kind"][value="industrial_operation"]');
    await fill('commissioning.date', '2026-03-12');
    await fill('copies', '1');
    await fill('items.0.name', 'Исходные коды, архив tar');
    await fill('items.0.sizeMb', '350');
    await fill('items.1.name', 'Руководство администратора');
    await fill('items.1.paperSheets', '48');
    await page.selectOption('select[name="items.1.original"]', 'copy');
    await fill('owner.bin', '123456789012'); // a wrong check digit
    await fill('owner.address', 'г. Астана, пр. Мангилик Ел, 55/14');
    await fill('owner.phone', '+7 7172 74 99 99');
    await fill('owner.email', 'kense@mdai.gov.kz');
    await fill('owner.contactPerson', 'Ахметов Нурлан Серикович');
    await fill('developer.fullName', 'ТОО «Цифровые решения»');
    await fill('releaseYear', '2026');
    await fill('version', '1.0.0');
    await fill('programmingLanguage', 'Kotlin');
    await fill('annotation', 'Приём и рассмотрение обращений граждан.');
    await page.check('input[name="protection.present"][value="no"]');
    await page.check('input[name="funding"][value="republican_budget"]');
    await fill('signer.fullName', 'Жумабеков Ерлан Маратович');
    await fill('signer.position', 'Вице-министр');

    await Promise.all([page.waitForLoadState('load'), page.click('button[name=action][value=submit]')]);
    expect(await page.textContent('#f-owner-bin-err')).toBe('БИН должен состоять из 12 цифр с верным контрольным разрядом.');
    expect(await page.getAttribute('[name="owner.bin"]', 'aria-invalid')).toBe('true');
    // Everything typed is still there.
    expect(await page.inputValue('[name="items.1.name"]')).toBe('Руководство администратора');
    expect(await page.inputValue('[name="signer.position"]')).toBe('Вице-министр');
    expect(await page.isChecked('input[name="funding"][value="republican_budget"]')).toBe(true);
    await page.screenshot({ path: join(shots, 'intake-form-error-ru.png'), fullPage: true });

    await fill('owner.bin', body.bin);
    await Promise.all([page.waitForURL(/\/applications\/\d+\?done=submitted$/), page.click('button[name=action][value=submit]')]);
    expect(await page.textContent('p.flash')).toContain('Заявка подана и подписана');
    const appUrl = page.url().replace(/\?.*$/, '');
    expect(b.problems).toEqual([]);
    await b.close();

    const s = await signedIn(staff.login, staff.password, 'ru-RU');
    const op = s.page;
    expect(await op.textContent('.dashboard')).toContain('Заявки');
    await op.goto(t.url + '/applications?status=submitted');
    await Promise.all([op.waitForURL(appUrl), op.click(`a[href="${new URL(appUrl).pathname}"]`)]);
    await op.fill('[name=portalRefNo]', 'AP-2026-0042');
    await op.fill('[name=portalRefDate]', '2026-03-19');
    await Promise.all([op.waitForURL(/done=registered$/), op.click('form[action$="/register"] button[type=submit]')]);
    expect(await op.textContent('p.flash')).toContain('Заявка зарегистрирована');
    expect(await op.textContent('table.deadlines')).toContain('27.03.2026');
    await op.screenshot({ path: join(shots, 'application-detail-ru.png'), fullPage: true });
    await op.goto(appUrl + '/print?lang=kk');
    expect(await op.textContent('.annex1 h1')).toContain('есепке алуға және сақтауға өтінім');
    await op.screenshot({ path: join(shots, 'annex1-print-kk.png'), fullPage: true });
    await op.goto(t.url + '/');
    expect(await op.textContent('.dashboard')).toMatch(/1\s+Зарегистрирована/);
    await op.screenshot({ path: join(shots, 'dashboard-ru.png'), fullPage: true });
    await op.goto(appUrl);

    await op.click('a[href^="/register?year=2026"]');
    await op.waitForSelector('table.register');
    const row = await op.textContent('table.register tbody tr');
    expect(row).toContain('19.03.2026');
    expect(row).toContain('Жумабеков Ерлан Маратович, Вице-министр');
    expect(await op.textContent('.annex2 h1')).toBe('Регистрация поступивших заявок');
    await op.emulateMedia({ media: 'print' });
    expect(await op.isVisible('header.top')).toBe(false);
    expect(await op.isVisible('table.register')).toBe(true);
    await op.screenshot({ path: join(shots, 'register-print-ru.png'), fullPage: true });
    const pdf = await op.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await op.emulateMedia({ media: 'screen' });
    expect(s.problems).toEqual([]);
    await s.close();
  });
});
