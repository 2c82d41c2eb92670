import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { validForm } from './intake-fixtures.js';

const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let body: Awaited<ReturnType<TestApp['addUser']>>;
let otherBody: Awaited<ReturnType<TestApp['addUser']>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let bodyUi: ReturnType<typeof formClient>;
let staffUi: ReturnType<typeof formClient>;

beforeAll(async () => {
  t = await startTestApp({ clock });
  body = await t.addUser({ role: 'body_user', lang: 'ru' });
  otherBody = await t.addUser({ role: 'body_user' });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307', lang: 'kk' });
  bodyUi = formClient(t.url);
  await bodyUi.signIn(body.login, body.password);
  staffUi = formClient(t.url);
  await staffUi.signIn(staff.login, staff.password);
});
afterAll(async () => {
  await t?.stop();
});

/** The form's fields as a browser sends them: dotted names, lists repeated, yes/no radios. */
function fields(form: Record<string, unknown>, prefix = ''): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(form)) {
    const name = prefix + k;
    if (k === 'funding') out[name] = v as string[];
    else if (Array.isArray(v)) v.forEach((row, i) => Object.assign(out, fields(row as Record<string, unknown>, `${name}.${i}.`)));
    else if (v && typeof v === 'object') Object.assign(out, fields(v as Record<string, unknown>, name + '.'));
    else if (typeof v === 'boolean') out[name] = v ? 'yes' : 'no';
    else out[name] = String(v);
  }
  return out;
}

/** The error shown under a field (intake/field.eta), or null. */
function fieldError(html: string, name: string): string | null {
  const m = new RegExp(`id="f-${name.replace(/\./g, '-')}-err">([^<]*)</p>`).exec(html);
  return m ? m[1] : null;
}

describe('the application form', () => {
  it('shows a bad BIN next to its field in Russian, keeps every value, and creates nothing', async () => {
    const page = await bodyUi.agent.get('/applications/new');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="ru">');
    expect(page.text).toContain(`name="organization" value="${body.bin}"`);
    const form = validForm({ systemCode: 'UI-ONE', owner: { ...(validForm().owner as object), bin: '123456789012' } });
    const res = await bodyUi.post('/applications/new', { ...fields(form), action: 'submit' }, '/applications/new');
    expect(res.status).toBe(400);
    expect(fieldError(res.text, 'owner.bin')).toBe('БИН должен состоять из 12 цифр с верным контрольным разрядом.');
    expect(res.text).toContain('Исправьте поля с ошибками (1)');
    expect(res.text).toContain('value="UI-ONE"');
    expect(res.text).toContain('value="123456789012"');
    expect(res.text).toContain('value="Исходные коды (архив)"');
    expect(res.text).toMatch(/value="republican_budget" checked/);
    expect(Number((await t.deps.db('applications').count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('saves a half-filled draft with values kept, then submits it signed', async () => {
    const draft = await bodyUi.post('/applications/new', { systemCode: 'UI-DRAFT', applicant: 'Черновой заявитель', 'owner.email': 'not-yet@', action: 'draft' }, '/applications/new');
    expect(draft.status).toBe(303);
    const edit = draft.headers.location as string;
    expect(edit).toMatch(/^\/applications\/\d+\/edit\?saved=1$/);
    const page = await bodyUi.agent.get(edit);
    expect(page.text).toContain('Черновик сохранён.');
    expect(page.text).toContain('value="Черновой заявитель"');
    expect(page.text).toContain('value="not-yet@"');
    const action = edit.replace('?saved=1', '');
    const submitted = await bodyUi.post(action, { ...fields(validForm({ systemCode: 'UI-DRAFT' })), action: 'submit' }, action);
    expect(submitted.status).toBe(303);
    const detail = await bodyUi.agent.get(submitted.headers.location as string);
    expect(detail.text).toContain('Заявка подана и подписана.');
    expect(detail.text).toMatch(/SHA-256 [0-9a-f]{64}/);
    expect(detail.text).toContain('форма не изменялась после подписания');
  });
});

describe('the operator', () => {
  let appId: number;
  it('lists submitted applications with filters, registers one, and sees it in the register (Kazakh)', async () => {
    const list = await staffUi.agent.get('/applications?status=submitted&q=ui-draft');
    expect(list.status).toBe(200);
    const m = /href="\/applications\/(\d+)"/.exec(list.text);
    expect(m).not.toBeNull();
    appId = Number(m![1]);
    const registered = await staffUi.post(`/applications/${appId}/register`, { receivedOn: '', portalRefNo: '', portalRefDate: '' }, `/applications/${appId}`);
    expect(registered.status).toBe(303);
    const detail = await staffUi.agent.get(registered.headers.location as string);
    expect(detail.text).toContain('Өтінім тізілімге тіркелді');
    expect(detail.text).toContain('Репозиторийді қалыптастыру');
    // A second registration (an old tab) is refused on the page, in the user's language.
    const again = await staffUi.post(`/applications/${appId}/register`, {}, `/applications/${appId}`);
    expect(again.status).toBe(409);
    expect(again.text).toContain('Өтінім бұрын тіркелген.');
    const forged = await staffUi.agent.post(`/applications/${appId}/register`).type('form').send({});
    expect(forged.status).toBe(403); // no CSRF token
    const register = await staffUi.agent.get('/register?year=2026&lang=kk');
    expect(register.status).toBe(200);
    for (const col of ['р/с №', 'Өтінім нөмірі', 'Келіп түскен күні', 'Мемлекеттік органның атауы', 'Өтінім беруші (өтінімге қол қойған басшы)', 'Қабылдады', 'Аты-жөні, тегі (болған жағдайда)', 'Қолы'])
      expect(register.text).toContain(col);
    expect(register.text).toContain('19.03.2026');
    const ru = await staffUi.agent.get('/register?year=2026&lang=ru');
    expect(ru.text).toContain('Регистрация поступивших заявок');
    const csv = await staffUi.agent.get('/register.csv?year=2026&lang=ru');
    expect(csv.text).toContain('№ п/п,Номер заявки');
  });

  it('prints the Annex 1 form in Kazakh and Russian', async () => {
    const kk = await staffUi.agent.get(`/applications/${appId}/print?lang=kk`);
    expect(kk.text).toContain('есепке алуға және сақтауға өтінім');
    expect(kk.text).toContain('<u class="chosen">республикалық бюджет</u>');
    const ru = await bodyUi.agent.get(`/applications/${appId}/print?lang=ru`);
    expect(ru.text).toContain('Заявка на учет и хранение');
    expect(ru.text).toContain('Подписано в электронной форме');
  });

  it('sees counts and deadlines on the home dashboard; the body sees its system', async () => {
    let home = await staffUi.agent.get('/');
    expect(home.text).toContain('Мерзімі өткен немесе жақындаған міндеттер жоқ.');
    // A week later (sessions have expired meanwhile) the repository is due the next day: on the list.
    clock.set('2026-03-26T10:00:00+05:00');
    staffUi = formClient(t.url);
    await staffUi.signIn(staff.login, staff.password);
    bodyUi = formClient(t.url);
    await bodyUi.signIn(body.login, body.password);
    home = await staffUi.agent.get('/');
    expect(home.text).toContain('/systems/UI-DRAFT');
    expect(home.text).toContain('Мерзімі жақын');
    expect(home.text).toMatch(/<span class="n">1<\/span> Тіркелді/);
    const systems = await bodyUi.agent.get('/systems');
    expect(systems.text).toContain('UI-DRAFT');
    const detail = await bodyUi.agent.get('/systems/UI-DRAFT');
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('Формирование репозитория');
    expect(detail.text).toMatch(/\/git\/UI-DRAFT\.git/);
  });

  it('hides other bodies’ systems and applications (404) and the register from bodies (403)', async () => {
    const other = formClient(t.url);
    await other.signIn(otherBody.login, otherBody.password);
    expect((await other.agent.get('/systems/UI-DRAFT')).status).toBe(404);
    expect((await other.agent.get(`/applications/${appId}`)).status).toBe(404);
    expect((await other.agent.get(`/applications/${appId}/print`)).status).toBe(404);
    expect((await bodyUi.agent.get('/register')).status).toBe(403);
  });
});
