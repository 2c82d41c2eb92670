import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { listAudit } from '../../server/audit/service.js';
import { canonicalJson, sha256Hex } from '../../server/util/canonical-json.js';
import { makeBin, startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { validForm } from './intake-fixtures.js';

// Thursday 19 March 2026, 10:00 in Almaty.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let body: Awaited<ReturnType<TestApp['addUser']>>;
let otherBody: Awaited<ReturnType<TestApp['addUser']>>;
let staff: Awaited<ReturnType<TestApp['addUser']>>;
let developer: Awaited<ReturnType<TestApp['addUser']>>;

beforeAll(async () => {
  // Intake alone: the repository is formed by an explicit operator action, so the p.8 clock runs.
  t = await startTestApp({ clock, env: { QOIMA_FORM_ON_REGISTER: 'false' } });
  body = await t.addUser({ role: 'body_user' });
  otherBody = await t.addUser({ role: 'body_user' });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
  developer = await t.addUser({ role: 'developer_user' });
});
afterAll(async () => {
  await t?.stop();
});

const api = () => request(t.url);
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
let codeSeq = 0;
const nextCode = () => `IS-TEST-${++codeSeq}`;

async function submit(token: string, overrides: Record<string, unknown> = {}, lang = 'en') {
  return api().post('/api/v1/applications').set(as(token)).set('Accept-Language', lang).send(validForm({ systemCode: nextCode(), ...overrides }));
}

describe('submitting an application (Annex 1)', () => {
  it('a body user submits for their own organisation: 201, signed with the SHA-256 of the canonical form, one audit event', async () => {
    const res = await submit(body.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'submitted', organization: { bin: body.bin }, onBehalf: false });
    expect(res.body.number).toMatch(/^Q2026-\d{5}$/);
    expect(res.body.form.organization).toBe(body.bin);
    expect(res.body.form.items).toHaveLength(2);
    expect(res.body.form.protection.present).toBe(true);
    expect(res.body.signature.sha256).toBe(sha256Hex(canonicalJson(res.body.form)));
    expect(res.body.signature).toMatchObject({ signedBy: `User ${body.login}`, valid: true, signedAt: '2026-03-19T05:00:00.000Z' });
    const events = await listAudit(t.deps, { subjectType: 'application', subjectId: String(res.body.id) });
    expect(events.map((e) => e.action)).toEqual(['application.submitted']);
    expect(events[0].details.sha256).toBe(res.body.signature.sha256);
  });

  it('names every missing required field', async () => {
    const res = await api().post('/api/v1/applications').set(as(body.token)).set('Accept-Language', 'en').send({});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    for (const f of ['applicant', 'complexName', 'systemCode', 'copies', 'owner', 'developer', 'releaseYear', 'version', 'programmingLanguage', 'annotation', 'protection', 'funding', 'applicationDate', 'commissioning', 'signer'])
      expect(res.body.error.fields[f], f).toBeTruthy();
    const nested = await submit(body.token, { owner: { fullName: 'X' }, signer: {} });
    expect(Object.keys(nested.body.error.fields).sort()).toEqual(['owner.address', 'owner.contactPerson', 'owner.email', 'owner.phone', 'signer.fullName']);
    expect(nested.body.error.fields['signer.fullName']).toBe('Required.');
  });

  it('rejects a bad BIN, e-mail, phone, system code, date, funding source and negative sizes, naming each field in the asked language', async () => {
    const form = validForm({
      systemCode: '-bad code',
      owner: { ...(validForm().owner as object), bin: '123456789012', email: 'not-an-email', phone: 'call me' },
      developer: { fullName: 'Dev', bin: '000000000001' },
      releaseDate: '2026-02-30',
      applicationDate: '2026-04-01',
      commissioning: { kind: 'industrial_operation', date: '2026-03-20' },
      funding: ['republican_budget', 'lottery'],
      items: [{ name: 'CD', sizeMb: -1, paperSheets: -3, original: 'original' }],
    });
    const res = await api().post('/api/v1/applications').set(as(body.token)).set('Accept-Language', 'en').send(form);
    expect(res.status).toBe(400);
    const f = res.body.error.fields;
    expect(f).toMatchObject({
      systemCode: expect.stringMatching(/^Code: Latin letters/),
      'owner.bin': 'A BIN is 12 digits with a valid check digit.',
      'owner.email': expect.any(String),
      'owner.phone': expect.any(String),
      'developer.bin': 'A BIN is 12 digits with a valid check digit.',
      releaseDate: 'A date is written YYYY-MM-DD.',
      applicationDate: 'The date cannot be later than today.',
      'commissioning.date': 'The date cannot be later than today.',
      'funding.1': 'Unknown source of funding.',
      'items.0.sizeMb': 'The value cannot be negative.',
      'items.0.paperSheets': 'The value cannot be negative.',
    });
    const ru = await api().post('/api/v1/applications').set(as(body.token)).set('Accept-Language', 'ru').send(form);
    expect(ru.body.error.fields['funding.1']).toBe('Неизвестный источник финансирования.');
    const kk = await api().post('/api/v1/applications').set(as(body.token)).set('Accept-Language', 'kk').send(form);
    expect(kk.body.error.fields.systemCode).toMatch(/^Код: латын әріптері/);
    const noFunding = await submit(body.token, { funding: [] });
    expect(noFunding.body.error.fields.funding).toBe('Tick at least one source of funding.');
    const future = await submit(body.token, { releaseYear: 2027 });
    expect(future.body.error.fields.releaseYear).toBe('The date cannot be later than today.');
  });

  it('refuses an owner BIN other than the organisation and unknown fields', async () => {
    const other = await submit(body.token, { owner: { ...(validForm().owner as object), bin: otherBody.bin } });
    expect(other.status).toBe(400);
    expect(Object.keys(other.body.error.fields)).toEqual(['owner.bin']);
    const extra = await submit(body.token, { colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.fields._).toMatch(/colour/);
  });

  it("refuses a body user's application for another body's organisation with 403", async () => {
    const res = await submit(body.token, { organization: otherBody.bin });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('application_other_organization');
    const draft = await api().post('/api/v1/applications/drafts').set(as(body.token)).send({ organization: otherBody.bin });
    expect(draft.status).toBe(403);
  });

  it('refuses applications from roles that do not file them', async () => {
    expect((await submit(developer.token)).status).toBe(403);
    expect((await api().get('/api/v1/applications').set(as(developer.token))).status).toBe(403);
    expect((await api().post('/api/v1/applications').send(validForm())).status).toBe(401);
  });

  it('answers a 1 MB text field with 413, not a crash, and a long one under the body limit with 400', async () => {
    const huge = await submit(body.token, { annotation: 'я'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('body_too_large');
    const long = await submit(body.token, { annotation: 'a'.repeat(20_000) });
    expect(long.status).toBe(400);
    expect(long.body.error.fields.annotation).toMatch(/10000/);
    expect((await api().get('/healthz')).status).toBe(200);
  });

  it('lets operator staff enter a paper application on a body’s behalf, but only for a government body', async () => {
    const missing = await submit(staff.token);
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields.organization).toBeTruthy();
    const unknown = await submit(staff.token, { organization: makeBin(991199) });
    expect(unknown.body.error.fields.organization).toBeTruthy();
    const notBody = await submit(staff.token, { organization: developer.bin });
    expect(notBody.body.error.fields.organization).toBe('An application can only be filed for a government body.');
    const ok = await submit(staff.token, { organization: body.bin });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ onBehalf: true, organization: { bin: body.bin } });
    // The body sees it as its own; another body does not.
    expect((await api().get(`/api/v1/applications/${ok.body.id}`).set(as(body.token))).status).toBe(200);
    expect((await api().get(`/api/v1/applications/${ok.body.id}`).set(as(otherBody.token))).status).toBe(404);
  });
});

describe('drafts', () => {
  it('saves a half-filled draft, updates it, then submits it in full', async () => {
    const code = nextCode();
    const created = await api().post('/api/v1/applications/drafts').set(as(body.token)).send({ systemCode: code, owner: { email: 'half-typed@' }, copies: 'two' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', number: null, signature: null });
    const id = created.body.id;
    const updated = await api().put(`/api/v1/applications/${id}`).set(as(body.token)).send({ systemCode: code, applicant: 'Orgname' });
    expect(updated.status).toBe(200);
    expect(updated.body.form).toEqual({ systemCode: code, applicant: 'Orgname' });
    // A draft is not visible to another body, nor to the operator.
    expect((await api().get(`/api/v1/applications/${id}`).set(as(otherBody.token))).status).toBe(404);
    expect((await api().get(`/api/v1/applications/${id}`).set(as(staff.token))).status).toBe(404);
    const bad = await api().post(`/api/v1/applications/${id}/submit`).set(as(body.token)).send({ systemCode: code });
    expect(bad.status).toBe(400);
    const submitted = await api().post(`/api/v1/applications/${id}/submit`).set(as(body.token)).send(validForm({ systemCode: code }));
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe('submitted');
    expect((await api().put(`/api/v1/applications/${id}`).set(as(body.token)).send({})).status).toBe(409);
    expect((await api().post(`/api/v1/applications/${id}/submit`).set(as(body.token)).send(validForm({ systemCode: code }))).status).toBe(409);
  });

  it('refuses a draft with a text field beyond its size', async () => {
    const res = await api().post('/api/v1/applications/drafts').set(as(body.token)).send({ annotation: 'x'.repeat(10_001) });
    expect(res.status).toBe(400);
  });
});

describe('registering (Annex 2, Rules p.8)', () => {
  it('gives running numbers per year, creates the system, fixes the p.7 and p.8 deadlines (Nauryz: due Friday 27 March)', async () => {
    clock.set('2026-03-19T10:00:00+05:00');
    const a = await submit(body.token, { systemCode: 'IS-NAURYZ' });
    const b = await submit(body.token);
    const ra = await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).send({ portalRefNo: 'AP-2026-77', portalRefDate: '2026-03-19' });
    expect(ra.status).toBe(200);
    const rb = await api().post(`/api/v1/applications/${b.body.id}/register`).set(as(staff.token)).send({});
    expect(rb.body.registerNo).toBe(ra.body.registerNo + 1);
    expect(ra.body).toMatchObject({ year: 2026, system: { code: 'IS-NAURYZ', status: 'registered', created: true } });
    const p8 = ra.body.deadlines.find((d: { rule: string }) => d.rule === 'repository');
    expect(p8).toMatchObject({ clause: 'p.8', workingDays: 3, startDate: '2026-03-19', dueDate: '2026-03-27', metOn: null, state: 'pending', edition: '146-NK/347-NK-2022' });
    const p7 = ra.body.deadlines.find((d: { rule: string }) => d.rule === 'application');
    // Commissioned Tuesday 10 March: the 10th working day after it, Nauryz (21–25 March) skipped, is Friday 27 March.
    expect(p7).toMatchObject({ clause: 'p.7', startDate: '2026-03-10', dueDate: '2026-03-27', metOn: '2026-03-19', state: 'met' });
    const system = await api().get('/api/v1/systems/IS-NAURYZ').set(as(body.token));
    expect(system.status).toBe(200);
    expect(system.body).toMatchObject({ status: 'registered', owner: { bin: body.bin }, commissionedOn: '2026-03-10', warrantyUntil: '2027-03-10' });
    expect(system.body.cloneUrl).toMatch(/\/git\/IS-NAURYZ\.git$/);
    expect(system.body.applications.map((x: { id: number }) => x.id)).toEqual([a.body.id]);
    const events = await listAudit(t.deps, { subjectType: 'application', subjectId: String(a.body.id) });
    expect(events.map((e) => e.action)).toEqual(['application.registered', 'application.submitted']);
    const reg = await api().get('/api/v1/register?year=2026').set(as(staff.token));
    const row = reg.body.items.find((r: { applicationId: number }) => r.applicationId === a.body.id);
    expect(row).toMatchObject({ no: ra.body.registerNo, receivedOn: '2026-03-19', applicant: 'Жумабеков Ерлан Маратович, Вице-министр', acceptedBy: `User ${staff.login}`, portalRefNo: 'AP-2026-77', portalRefDate: '2026-03-19', bodyBin: body.bin });
  });

  it('gives distinct running numbers to registrations made at the same moment, and one system to one new code', async () => {
    const code = nextCode();
    const apps = await Promise.all([submit(body.token, { systemCode: code }), submit(body.token, { systemCode: code }), submit(body.token)]);
    const regs = await Promise.all(apps.map((a) => api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).send({})));
    expect(regs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(regs.map((r) => r.body.registerNo)).size).toBe(3);
    expect(regs.filter((r) => r.body.system.code === code).map((r) => r.body.system.created).sort()).toEqual([false, true]);
  });

  it('refuses a second registration with 409, a body user with 403, and a rejection after registration with 409', async () => {
    const a = await submit(body.token);
    expect((await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(body.token)).send({})).status).toBe(403);
    expect((await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).send({})).status).toBe(200);
    const again = await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).set('Accept-Language', 'ru').send({});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'application_already_registered', message: 'Заявка уже зарегистрирована.' });
    expect((await api().post(`/api/v1/applications/${a.body.id}/reject`).set(as(staff.token)).send({ reason: 'late' })).status).toBe(409);
    expect((await api().post('/api/v1/applications/999999/register').set(as(staff.token)).send({})).status).toBe(404);
    expect((await api().post('/api/v1/applications/abc/register').set(as(staff.token)).send({})).status).toBe(404);
  });

  it('rejects with a reason; a rejected application cannot be registered', async () => {
    const a = await submit(body.token);
    expect((await api().post(`/api/v1/applications/${a.body.id}/reject`).set(as(staff.token)).send({})).status).toBe(400);
    const r = await api().post(`/api/v1/applications/${a.body.id}/reject`).set(as(staff.token)).send({ reason: 'Не заполнен перечень' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'rejected', rejectReason: 'Не заполнен перечень' });
    const reg = await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).send({});
    expect(reg.status).toBe(409);
    expect(reg.body.error.code).toBe('application_already_rejected');
  });

  it('attaches a second application for a known code to the same system; refuses a code of another owner', async () => {
    const code = nextCode();
    const first = await submit(body.token, { systemCode: code });
    await api().post(`/api/v1/applications/${first.body.id}/register`).set(as(staff.token)).send({});
    const second = await submit(body.token, { systemCode: code, version: '3.0' });
    const r2 = await api().post(`/api/v1/applications/${second.body.id}/register`).set(as(staff.token)).send({});
    expect(r2.body.system).toMatchObject({ code, created: false });
    expect(r2.body.deadlines.map((d: { rule: string }) => d.rule)).toEqual(['application']);
    const foreign = await submit(otherBody.token, { systemCode: code, owner: { ...(validForm().owner as object) } });
    const r3 = await api().post(`/api/v1/applications/${foreign.body.id}/register`).set(as(staff.token)).set('Accept-Language', 'en').send({});
    expect(r3.status).toBe(409);
    expect(r3.body.error).toMatchObject({ code: 'system_code_taken', message: `The system code “${code}” belongs to another owner's system.` });
    // Nothing of the refused registration stayed.
    expect((await api().get(`/api/v1/applications/${foreign.body.id}`).set(as(staff.token))).body.status).toBe('submitted');
  });

  it('records the portal reference later, and refuses dates in the future', async () => {
    const a = await submit(body.token);
    const early = await api().put(`/api/v1/applications/${a.body.id}/portal-reference`).set(as(staff.token)).send({ portalRefNo: 'AP-1', portalRefDate: '2026-03-19' });
    expect(early.status).toBe(409);
    await api().post(`/api/v1/applications/${a.body.id}/register`).set(as(staff.token)).send({});
    const future = await api().put(`/api/v1/applications/${a.body.id}/portal-reference`).set(as(staff.token)).send({ portalRefNo: 'AP-1', portalRefDate: '2026-12-31' });
    expect(future.status).toBe(400);
    const ok = await api().put(`/api/v1/applications/${a.body.id}/portal-reference`).set(as(staff.token)).send({ portalRefNo: 'AP-1', portalRefDate: '2026-03-19' });
    expect(ok.body.register).toMatchObject({ portalRefNo: 'AP-1', portalRefDate: '2026-03-19' });
  });

  it('exports the register as CSV with exactly the Annex 2 columns, in kk and ru', async () => {
    const ru = await api().get('/api/v1/register.csv?year=2026&lang=ru').set(as(staff.token));
    expect(ru.status).toBe(200);
    expect(ru.headers['content-type']).toMatch(/^text\/csv/);
    const lines = ru.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('№ п/п,Номер заявки,Дата поступления,Наименование государственного органа,"Заявитель (руководитель, подписавший заявку)","Принял: фамилия, имя, отчество (при его наличии)",Подпись');
    expect(lines[1]).toMatch(/^1,Q2026-\d{5},19\.03\.2026,/);
    const kk = await api().get('/api/v1/register.csv?year=2026&lang=kk').set(as(staff.token));
    expect(kk.text).toContain('р/с №,Өтінім нөмірі,Келіп түскен күні,Мемлекеттік органның атауы');
    expect((await api().get('/api/v1/register.csv?year=2026').set(as(body.token))).status).toBe(403);
    expect((await api().get('/api/v1/register?year=abc').set(as(staff.token))).status).toBe(400);
  });
});

describe('lists', () => {
  it('filters by status, organisation, year and text; a body sees only its own', async () => {
    const mine = await api().get('/api/v1/applications?status=submitted').set(as(body.token));
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((a: { status: string; organization: { bin: string } }) => a.status === 'submitted' && a.organization.bin === body.bin)).toBe(true);
    const theirs = await api().get('/api/v1/applications').set(as(otherBody.token));
    expect(theirs.body.items.every((a: { organization: { bin: string } }) => a.organization.bin === otherBody.bin)).toBe(true);
    const search = await api().get('/api/v1/applications?q=is-nauryz').set(as(staff.token));
    expect(search.body.items.map((a: { systemCode: string }) => a.systemCode)).toEqual(['IS-NAURYZ']);
    const cyr = await api().get(`/api/v1/applications?q=${encodeURIComponent('ЭЛЕКТРОННЫЕ ЗАКУПКИ')}&organization=${body.bin}&year=2026`).set(as(staff.token));
    expect(cyr.body.total).toBeGreaterThan(0);
    expect((await api().get('/api/v1/applications?year=1999').set(as(staff.token))).status).toBe(400);
    expect((await api().get('/api/v1/applications?year=2025').set(as(staff.token))).body.total).toBe(0);
  });

  it('lists systems in scope and answers the same 404 for a hidden and a missing system', async () => {
    const hidden = await api().get('/api/v1/systems/IS-NAURYZ').set(as(otherBody.token));
    const missing = await api().get('/api/v1/systems/NO-SUCH').set(as(otherBody.token));
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual(missing.body);
    expect((await api().get('/api/v1/systems').set(as(otherBody.token))).body.items).toEqual([]);
    const all = await api().get('/api/v1/systems?status=registered').set(as(staff.token));
    expect(all.body.items.map((s: { code: string }) => s.code)).toContain('IS-NAURYZ');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await api().get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.paths['/api/v1/applications'].post.requestBody.content['application/json'].schema.properties.funding).toBeTruthy();
    expect(doc.body.paths['/api/v1/applications/{id}/register'].post).toBeTruthy();
  });
});
