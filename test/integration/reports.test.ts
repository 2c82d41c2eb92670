import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { gitClient } from '../helpers/git.js';
import { canonicalJson, sha256Hex } from '../../server/util/canonical-json.js';
import { at, buildHistory, finishHistory, type History } from './reports-fixtures.js';

// The half-yearly report (Rules p.13) over a fixed history of 2026 (reports-fixtures.ts): exact
// figures in JSON for both half-years, the same numbers in XLSX, CSV and the PDF's text, drafts and
// bad input. Sending and the schedule are in reports-send.test.ts and reports-schedule.test.ts.
const clock = testClock(at('2026-03-01'));
const git = gitClient();
let t: TestApp;
let h: History;
const api = () => request(t.url);
const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
const admin = () => h.admin;
const report = (path: string, who: { token: string } = admin()) => api().get(`/api/v1/reports/${path}`).set(as(who));
/** A binary body as a Buffer (supertest buffers only text by default). */
const binary = (path: string) => report(path).buffer(true).parse((res, cb) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
});

beforeAll(async () => {
  t = await startTestApp({ clock });
  h = await buildHistory(t, clock, git);
});
afterAll(async () => {
  await t?.stop();
  git.cleanup();
});

const zeros = { onTime: 0, late: 0, lateWorkingDays: 0, maxLateWorkingDays: 0, open: 0, overdue: 0 };

describe('a half-year not yet ended, and bad input', () => {
  it('gives a draft, clearly marked, with the figures as of today', async () => {
    clock.set(at('2026-09-15'));
    const res = await report('2026-H2');
    expect(res.status).toBe(200);
    expect(res.headers['x-report-draft']).toBe('true');
    expect(res.body).toMatchObject({ draft: true, asOf: '2026-09-15', period: { key: '2026-H2', from: '2026-07-01', to: '2026-12-31', dueDate: '2027-01-10' } });
    expect(res.body.totals.deposits).toMatchObject({ accepted: 2, newSystems: 1, newVersions: 1, overridden: 1 });
    expect(res.body.totals.access).toEqual({ granted: 1, reuse: 1, recovery: 0, revoked: 1, bodies: 1 });
    const html = await report('2026-H2?format=html&lang=ru');
    expect(html.status).toBe(200);
    expect(html.text).toContain('id="draft-banner"');
    expect(html.text).toContain('Проект: период ещё не закончился, данные приведены по состоянию на 15.09.2026');
    const csv = await report('2026-H2?format=csv&lang=kk');
    expect(csv.text).toContain('ЖОБА,"Жоба: кезең әлі аяқталған жоқ, деректер 15.09.2026 күнгі');
    expect(csv.headers['content-disposition']).toContain('report-2026-H2-draft-kk.csv');
  });

  it('refuses an unknown period, a future one, a bad range and an unsupported format (400)', async () => {
    for (const bad of ['2026-H3', 'H1-2026', '2026h1', '2026', '1999-H1']) {
      const res = await report(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('report_period_invalid');
    }
    const future = await report('2027-H1');
    expect(future.status).toBe(400);
    expect(future.body.error.code).toBe('report_period_future');
    const ru = await report('2027-H1').set('Accept-Language', 'kk');
    expect(ru.body.error.message).toBe('Кезең әлі басталған жоқ: есеп беретін ештеңе жоқ.');
    const format = await report('2026-H1?format=docx');
    expect(format.status).toBe(400);
    expect(format.body.error).toMatchObject({ code: 'report_format_invalid', fields: { format: expect.any(String) } });
    expect((await report('range?from=2026-05-01&to=2026-04-01')).body.error.code).toBe('report_range_reversed');
    expect((await report('range?from=2026-02-30&to=2026-04-01')).body.error.code).toBe('report_date_invalid');
    expect((await report('range?from=2026-10-01&to=2026-10-31')).body.error.code).toBe('report_period_future');
    // Other parties never see the report: a body's user is refused.
    expect((await report('2026-H1', h.A)).status).toBe(403);
  });

  it('computes any range of days for internal use', async () => {
    const res = await report('range?from=2026-03-01&to=2026-04-30');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ draft: false, asOf: '2026-04-30', period: { key: null, from: '2026-03-01', to: '2026-04-30', dueDate: null } });
    expect(res.body.totals.applications).toEqual({ received: 2, registered: 2, rejected: 0 });
    expect(res.body.monthly.map((m: { month: string }) => m.month)).toEqual(['2026-03', '2026-04']);
  });
});

describe('the two half-years of 2026, once both have ended', () => {
  it('finishes the history: decommissioning, the return and the archive transfer (Rules p.11–12), a late application', async () => {
    await finishHistory(t, clock, h);
    clock.set(at('2027-01-05'));
  });

  it('2026-H1: exact counts and deadline compliance', async () => {
    const res = await report('2026-H1');
    expect(res.status).toBe(200);
    const r = res.body;
    const v = h.versions;
    expect(r).toMatchObject({ draft: false, asOf: '2026-06-30', period: { key: '2026-H1', dueDate: '2026-07-10' } });
    expect(r.totals).toEqual({
      applications: { received: 4, registered: 3, rejected: 1 },
      repositoriesFormed: 3,
      submissions: { pushes: 0, uploads: 3 },
      deposits: { accepted: 2, newSystems: 2, newVersions: 0, files: v['RPT-S1/v1'].files + v['RPT-S2/v1'].files, bytes: v['RPT-S1/v1'].bytes + v['RPT-S2/v1'].bytes, overridden: 2 },
      access: { granted: 2, reuse: 1, recovery: 1, revoked: 0, bodies: 2 },
      decommission: { notices: 0, returns: 0, archiveTransfers: 0 },
    });
    const sum = (k: 'files' | 'bytes') => r.categories.reduce((a: number, c: Record<string, number>) => a + c[k], 0);
    expect([sum('files'), sum('bytes')]).toEqual([r.totals.deposits.files, r.totals.deposits.bytes]);
    expect(r.categories.find((c: { category: string }) => c.category === 'docs').files).toBe(3); // S1: README and ТЗ.txt; S2: README
    expect(r.compliance).toEqual([
      { rule: 'application', clause: 'p.7', party: 'government_body', workingDays: 10, ...zeros, onTime: 2, late: 1, lateWorkingDays: 2, maxLateWorkingDays: 2 },
      { rule: 'repository', clause: 'p.8', party: 'operator', workingDays: 3, ...zeros, onTime: 3 },
      { rule: 'acceptance', clause: 'p.9', party: 'operator', workingDays: 3, ...zeros, onTime: 1, late: 1, lateWorkingDays: 1, maxLateWorkingDays: 1, open: 1 },
      { rule: 'decommission_notice', clause: 'p.11', party: 'government_body', workingDays: 10, ...zeros },
      { rule: 'return', clause: 'p.11', party: 'operator', workingDays: 3, ...zeros },
    ]);
    expect(r.exceptions.map((e: Record<string, unknown>) => [e.date, e.kind, (e.system as { code: string }).code, e.rule, e.dueDate, e.workingDaysLate, e.version])).toEqual([
      ['2026-03-19', 'late', 'RPT-S1', 'application', '2026-03-17', 2, null],
      ['2026-03-30', 'late', 'RPT-S1', 'acceptance', '2026-03-27', 1, null],
      ['2026-03-30', 'override', 'RPT-S1', 'acceptance', null, null, 1],
      ['2026-04-15', 'override', 'RPT-S2', 'acceptance', null, null, 1],
    ]);
    expect(r.exceptions[2].reason).toBe('BUILD.md күтілуде / описание сборки будет дополнено');
    const body = (u: { bin: string }) => r.bodies.find((b: { bin: string }) => b.bin === u.bin);
    expect(body(h.A)).toMatchObject({ received: 2, registered: 2, rejected: 0, formed: 2, newSystems: 1, newVersions: 0, bytes: v['RPT-S1/v1'].bytes, grants: 1, late: 2, overdue: 0 });
    expect(body(h.B)).toMatchObject({ received: 1, registered: 1, formed: 1, newSystems: 1, bytes: v['RPT-S2/v1'].bytes, grants: 0, late: 0 });
    expect(body(h.C)).toMatchObject({ received: 1, registered: 0, rejected: 1, formed: 0, grants: 1 });
    expect(r.bodies).toHaveLength(3);
    expect(r.grantees.map((g: { bin: string; reuse: number; recovery: number }) => [g.bin, g.reuse, g.recovery]).sort()).toEqual([[h.A.bin, 0, 1], [h.C.bin, 1, 0]].sort());
    expect(r.monthly).toEqual([
      { month: '2026-01', received: 0, registered: 0, accepted: 0 },
      { month: '2026-02', received: 0, registered: 0, accepted: 0 },
      { month: '2026-03', received: 1, registered: 1, accepted: 1 },
      { month: '2026-04', received: 1, registered: 1, accepted: 1 },
      { month: '2026-05', received: 1, registered: 0, accepted: 0 },
      { month: '2026-06', received: 1, registered: 1, accepted: 0 },
    ]);
  });

  it('2026-H2: exact counts and deadline compliance, with the p.11 notice, return and archive transfer', async () => {
    const r = (await report('2026-H2')).body;
    const v = h.versions;
    expect(r).toMatchObject({ draft: false, asOf: '2026-12-31' });
    expect(r.totals).toEqual({
      applications: { received: 1, registered: 1, rejected: 0 },
      repositoriesFormed: 1,
      submissions: { pushes: 1, uploads: 1 },
      deposits: { accepted: 2, newSystems: 1, newVersions: 1, files: v['RPT-S3/v1'].files + v['RPT-S1/v2'].files, bytes: v['RPT-S3/v1'].bytes + v['RPT-S1/v2'].bytes, overridden: 1 },
      access: { granted: 1, reuse: 1, recovery: 0, revoked: 1, bodies: 1 },
      decommission: { notices: 1, returns: 1, archiveTransfers: 1 },
    });
    expect(r.compliance).toEqual([
      { rule: 'application', clause: 'p.7', party: 'government_body', workingDays: 10, ...zeros, onTime: 1 },
      { rule: 'repository', clause: 'p.8', party: 'operator', workingDays: 3, ...zeros, onTime: 1 },
      { rule: 'acceptance', clause: 'p.9', party: 'operator', workingDays: 3, ...zeros, late: 1, lateWorkingDays: 2, maxLateWorkingDays: 2, open: 1, overdue: 1 },
      { rule: 'decommission_notice', clause: 'p.11', party: 'government_body', workingDays: 10, ...zeros, late: 1, lateWorkingDays: 3, maxLateWorkingDays: 3 },
      { rule: 'return', clause: 'p.11', party: 'operator', workingDays: 3, ...zeros, onTime: 1 },
    ]);
    expect(r.exceptions.map((e: Record<string, unknown>) => [e.date, e.kind, (e.system as { code: string }).code, e.rule, e.dueDate, e.workingDaysLate])).toEqual([
      ['2026-07-08', 'late', 'RPT-S3', 'acceptance', '2026-07-03', 2],
      ['2026-08-04', 'override', 'RPT-S1', 'acceptance', null, null],
      ['2026-10-30', 'late', 'RPT-S2', 'decommission_notice', '2026-10-27', 3],
      ['2026-12-31', 'overdue', 'RPT-S4', 'acceptance', '2026-12-07', 17],
    ]);
    const body = (u: { bin: string }) => r.bodies.find((b: { bin: string }) => b.bin === u.bin);
    expect(body(h.A)).toMatchObject({ received: 0, formed: 0, newSystems: 1, newVersions: 1, bytes: v['RPT-S3/v1'].bytes + v['RPT-S1/v2'].bytes, late: 1, overdue: 0 });
    expect(body(h.B)).toMatchObject({ notices: 1, returns: 1, grants: 1, late: 1 });
    expect(body(h.C)).toMatchObject({ received: 1, registered: 1, formed: 1, overdue: 1, grants: 0 });
    expect(r.monthly.map((m: Record<string, number>) => [m.received, m.registered, m.accepted])).toEqual([[0, 0, 1], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 0]]);
  });

  it('XLSX: one sheet per table, opened with exceljs, with the same numbers as the JSON', async () => {
    const json = (await report('2026-H1')).body;
    const res = await binary('2026-H1?format=xlsx&lang=ru');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(res.body as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual(['Показатели', 'Категории', 'Доступ', 'Сроки', 'Органы', 'Месяцы', 'Исключения']);
    const rows = (name: string) => (book.getWorksheet(name)!.getSheetValues() as unknown[][]).filter(Boolean).map((r) => r.slice(1));
    const value = (label: string) => rows('Показатели').find((r) => r[0] === label)?.[1];
    expect(value('Поступило заявок (п. 7 Правил)')).toBe(json.totals.applications.received);
    expect(value('Зарегистрировано заявок (п. 8 Правил)')).toBe(json.totals.applications.registered);
    expect(value('Отклонено заявок')).toBe(1);
    expect(value('Принято версий депозита (п. 9 Правил)')).toBe(2);
    expect(value('Объём принятого, байт')).toBe(json.totals.deposits.bytes);
    expect(value('Предоставлено доступов (п. 10 Правил)')).toBe(2);
    const deadlines = rows('Сроки');
    expect(deadlines[2]).toEqual(['Обязанность', 'Пункт', 'Срок, рабочих дней', 'В срок', 'С нарушением срока', 'Просрочка, рабочих дней всего', 'Просрочка, рабочих дней наибольшая', 'Не исполнено', 'из них просрочено']);
    expect(deadlines.slice(3).map((r) => r.slice(1, 9))).toEqual(json.compliance.map((c: Record<string, unknown>) => [c.clause, c.workingDays, c.onTime, c.late, c.lateWorkingDays, c.maxLateWorkingDays, c.open, c.overdue]));
    const bodies = rows('Органы').slice(3);
    for (const b of json.bodies) expect(bodies.find((r) => r[0] === b.bin)?.slice(2)).toEqual([b.received, b.registered, b.rejected, b.formed, b.newSystems, b.newVersions, b.bytes, b.grants, b.notices, b.returns, b.late, b.overdue]);
    expect(rows('Исключения').slice(3).map((r) => r[0])).toEqual(['19.03.2026', '30.03.2026', '30.03.2026', '15.04.2026']);
  });

  it('PDF: Kazakh text intact (pdftotext), the same figures; Russian too', async () => {
    const res = await binary('2026-H2?format=pdf&lang=kk');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe('attachment; filename="report-2026-H2-kk.pdf"');
    const file = join(t.dataDir, 'h2-kk.pdf');
    writeFileSync(file, res.body as Buffer);
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    for (const heading of ['Атқарылған жұмыс туралы есеп', '2026 жылдың екінші жартыжылдығы', 'Негізгі көрсеткіштер', 'Мерзімдердің сақталуы (Қағидалардың 7, 8, 9, 11-тармақтары)', 'Мемлекеттік органдар бойынша', 'Ерекшеліктер: бұзылған мерзімдер және қателерге қарамастан қабылдау', 'Айлар бойынша түскен өтінімдер мен қабылданған депозиттер']) {
      expect(text, heading).toContain(heading);
    }
    expect(text).toMatch(/Пайдаланудан шығару туралы алынған хабарламалар \(Қағидалардың 11-\s*тармағы\)\s+1/);
    expect(text).toMatch(/Депозитті қабылдау\s+p\.9\s+3\s+0\s+1\s+2\s+2\s+1\s+1/);
    expect(text).not.toContain('ЖОБА');
    const ru = await binary('2026-H1?format=pdf&lang=ru');
    writeFileSync(file, ru.body as Buffer);
    const ruText = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(ruText).toContain('Отчёт о проделанной работе');
    expect(ruText).toContain('первое полугодие 2026 года');
    expect(ruText).toMatch(/Поступило заявок \(п\. 7 Правил\)\s+4/);
  });

  it('CSV and HTML: the same tables; HTML with inline SVG charts and no script', async () => {
    const csv = await report('2026-H1?format=csv&lang=en');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.charCodeAt(0)).toBe(0xfeff);
    expect(csv.text).toContain('Applications received (Rules p.7),4\r\n');
    expect(csv.text).toContain('Deposit accepted,p.9,3,1,1,1,1,1,0\r\n');
    const html = await report('2026-H1?format=html&lang=kk');
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.text).toContain('<html lang="kk">');
    expect(html.text).not.toContain('<script');
    expect(html.text).not.toContain('id="draft-banner"');
    expect(html.text.match(/<svg [^>]*role="img"/g)).toHaveLength(2);
    expect(html.text).toContain('<title id="chart-monthly-title">Айлар бойынша түскен өтінімдер мен қабылданған депозиттер</title>');
    // The monthly chart draws one bar per month and series: March has one application and one acceptance.
    expect(html.text).toMatch(/<text [^>]*>наурыз<\/text>/);
  });

  it('a stored report keeps its data and SHA-256 whatever happens afterwards', async () => {
    const stored = await api().post('/api/v1/reports').set(as(admin())).send({ period: '2026-H1' });
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ period: '2026-H1', revision: 1, origin: 'operator', createdBy: 'admin', sentAt: null, intact: true });
    const json = await report(`stored/${stored.body.id}`);
    const { stored: mark, ...data } = json.body;
    expect(mark).toEqual({ revision: 1, sha256: stored.body.sha256 });
    expect(sha256Hex(canonicalJson(data))).toBe(stored.body.sha256);
    expect(json.headers['x-report-sha256']).toBe(stored.body.sha256);
    // A decree entered later makes 18 March 2026 a day off: S1's application (due 17.03, received
    // 19.03) is now 1 working day late in the live report; the stored report still says 2.
    const decree = await api().post('/api/v1/calendar/overrides').set(as(admin())).send({ date: '2026-03-18', working: false, basis: 'Decree (test)' });
    expect(decree.status).toBe(201);
    const live = (await report('2026-H1')).body;
    expect(live.compliance[0]).toMatchObject({ rule: 'application', late: 1, lateWorkingDays: 1 });
    const again = await report(`stored/${stored.body.id}`);
    expect(again.body.compliance[0]).toMatchObject({ rule: 'application', late: 1, lateWorkingDays: 2 });
    expect(sha256Hex(canonicalJson({ ...again.body, stored: undefined }))).toBe(stored.body.sha256);
  });
});
