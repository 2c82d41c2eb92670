import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBin, startTestApp, TEST_ADMIN_PASSWORD, type TestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';
import { validForm } from '../integration/intake-fixtures.js';

// XSS in the text fields the UI renders (issue 13 §2), checked in real headless Chromium: the markup
// a caller typed is shown as text, no element of it reaches the DOM and no script of it runs.
const PAYLOAD = `<img src=x data-xss onerror="window.__xss=1"><script data-xss>window.__xss=2</script>"'><svg data-xss onload="window.__xss=3">`;
let t: TestApp;
let browser: Browser;
let owner: Awaited<ReturnType<TestApp['addUser']>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let appId: number;
let code: string;

async function json(method: string, path: string, token: string, body?: unknown) {
  const r = await fetch(t.url + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function signedIn(login: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'ru' })).newPage();
  await page.goto(t.url + '/login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(t.url + '/'), page.click('form[action="/login"] button[type=submit]')]);
  return page;
}

beforeAll(async () => {
  t = await startTestApp();
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
  owner = await t.addUser({ role: 'body_user' });
  const form = validForm({
    systemCode: 'IS-XSS',
    applicant: `Applicant ${PAYLOAD}`,
    complexName: `Complex ${PAYLOAD}`,
    annotation: `Annotation ${PAYLOAD}`,
    authors: `Authors ${PAYLOAD}`,
    programmingLanguage: `Lang ${PAYLOAD}`,
    items: [{ name: `Item ${PAYLOAD}`, paperSheets: 1, original: 'copy' }],
    signer: { fullName: `Signer ${PAYLOAD}`, position: `Position ${PAYLOAD}` },
  });
  appId = (await json('POST', '/api/v1/applications', owner.token, form)).id as number;
  const reg = await json('POST', `/api/v1/applications/${appId}/register`, staff.token, {});
  code = (reg.system as { code: string }).code;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** Visits each page; returns what went wrong (a dialog, a script that ran, an element of the payload in the DOM). */
async function visit(page: Page, paths: string[]): Promise<{ problems: string[]; shown: number }> {
  const problems: string[] = [];
  let shown = 0;
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  for (const path of paths) {
    const res = await page.goto(t.url + path);
    if (!res || res.status() !== 200) problems.push(`${path}: status ${res?.status()}`);
    const seen = await page.evaluate(() => ({ ran: (window as unknown as { __xss?: number }).__xss ?? null, nodes: document.querySelectorAll('[data-xss]').length, text: document.body.innerText }));
    if (seen.ran !== null) problems.push(`${path}: script ran (${seen.ran})`);
    if (seen.nodes > 0) problems.push(`${path}: ${seen.nodes} payload element(s) in the DOM`);
    if (seen.text.includes('<script data-xss>')) shown++;
  }
  return { problems, shown };
}

describe('XSS in rendered text fields (real browser)', () => {
  it('the owner’s application pages show the markup as text and run nothing', async () => {
    const page = await signedIn(owner.login, owner.password);
    const { problems, shown } = await visit(page, [`/applications/${appId}`, '/applications', `/applications/${appId}/print`]);
    expect(problems).toEqual([]);
    expect(shown).toBeGreaterThanOrEqual(2); // the payload is there, as text
  });

  it('the operator’s register, systems and system pages show the markup as text and run nothing', async () => {
    const page = await signedIn(staff.login, staff.password);
    const { problems, shown } = await visit(page, ['/register', '/systems', `/systems/${code}`, `/applications/${appId}`, '/']);
    expect(problems).toEqual([]);
    expect(shown).toBeGreaterThanOrEqual(2);
  });

  it('organisation and user names, a grant’s basis and a finding’s file name show as text on the operator’s pages', async () => {
    const bin = makeBin(4_242_001);
    await json('POST', '/api/v1/organizations', t.adminToken, { kind: 'government_body', bin, nameKk: `Ұйым ${PAYLOAD}`, nameRu: `Орг ${PAYLOAD}` });
    await json('POST', '/api/v1/users', t.adminToken, { organization: bin, login: 'xss-user', fullName: `User ${PAYLOAD}`, role: 'body_user', password: 'Xss-Us3r-Pa55word!' });
    await json('POST', `/api/v1/systems/${code}/grants`, staff.token, { organization: bin, purpose: 'reuse', basis: `Letter ${PAYLOAD}` });
    // a file name cannot hold `/`, so its payload is an <img> alone; a broken zip makes it a finding
    const file = `<img src=x data-xss onerror=window.__xss=4>.zip`;
    const put = await fetch(`${t.url}/api/v1/systems/${code}/files/source/${encodeURIComponent(file)}`, { method: 'PUT', headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('PK\x03\x04 not really a zip') });
    expect(put.status, await put.text()).toBe(201);
    const page = await signedIn('admin', TEST_ADMIN_PASSWORD);
    const paths = ['/admin/organizations', '/admin/users', `/systems/${code}/access`, `/systems/${code}/inventory`, `/systems/${code}/repository`];
    const { problems } = await visit(page, paths);
    expect(problems).toEqual([]);
    // the payloads are there, as text: the organisation and user lists, the grant, the finding
    const shown: string[] = [];
    for (const path of paths) {
      await page.goto(t.url + path);
      if ((await page.evaluate(() => document.body.innerText)).includes('data-xss')) shown.push(path);
    }
    expect(shown).toEqual(paths);
  });
});
