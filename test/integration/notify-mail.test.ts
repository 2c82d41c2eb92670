import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testClock, type TestApp } from '../helpers/app.js';
import { formClient } from '../helpers/browser.js';
import { formedSystem, type TestUser } from '../helpers/git.js';
import { deliverPending, MAX_ATTEMPTS, backoffMs } from '../../server/notify/delivery.js';
import { notifyDeadlines } from '../../server/notify/deadlines-job.js';
import { createMailer } from '../../server/notify/mailer.js';
import { enqueue } from '../../server/notify/service.js';
import { outboxRows } from '../../server/notify/queries.js';
import { acceptedSystem, withEmail } from './access-fixtures.js';
import { startSmtpSink } from './notify-sink.js';
import { validForm } from './intake-fixtures.js';

// Notifications by e-mail through a real SMTP conversation (nodemailer → smtp-server in this test),
// written in the outbox inside the state change's transaction and sent after commit.
const clock = testClock('2026-03-19T10:00:00+05:00');
let t: TestApp;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let staff: TestUser;
const api = () => request(t.url);
const as = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
const deliver = () => deliverPending(t.deps, createMailer(t.config));

/** Polls the outbox until `done` holds (the background worker may be the one that sends). */
async function outboxUntil(done: (rows: Awaited<ReturnType<typeof outboxRows>>) => boolean, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await outboxRows(t.deps.db);
    if (done(rows)) return rows;
    if (Date.now() > until) throw new Error('outbox did not reach the expected state: ' + JSON.stringify(rows.map((r) => [r.to_address, r.status, r.attempts])));
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ clock, env: { SMTP_URL: sink.url, QOIMA_MAIL_FROM: 'Qoima <noreply@qoima.example.kz>', QOIMA_PUBLIC_URL: 'https://qoima.example.kz' } });
  staff = await t.addUser({ role: 'operator_staff', bin: '000740001307' });
});
afterAll(async () => {
  await t?.stop();
  await sink?.close();
});

describe('the authorized body is notified of every grant (Rules p.10)', () => {
  it('each authority viewer by e-mail in their own language; the grantee too; in-app for all of them', async () => {
    const viewerKk = await withEmail(t, await t.addUser({ role: 'authority_viewer', lang: 'kk' }), 'minister.kk@mdai.example.kz');
    const viewerEn = await withEmail(t, await t.addUser({ role: 'authority_viewer', lang: 'en', bin: viewerKk.bin }), 'analyst.en@mdai.example.kz');
    const viewerNoMail = await t.addUser({ role: 'authority_viewer', bin: viewerKk.bin, lang: 'kk' });
    const disabled = await withEmail(t, await t.addUser({ role: 'authority_viewer', bin: viewerKk.bin }), 'gone@mdai.example.kz');
    await t.deps.db('users').where({ id: disabled.userId }).update({ disabled_at: clock().toISOString() });
    const grantee = await withEmail(t, await t.addUser({ role: 'body_user' }), 'it@akimat.example.kz');
    const sys = await acceptedSystem(t, staff.token, 'IS-MAIL');
    sink.mails.length = 0;
    await deliver(); // the registration's own notices, sent and forgotten
    sink.mails.length = 0;

    const g = await api().post(`/api/v1/systems/${sys.code}/grants`).set(as(staff)).send({ organization: grantee.bin, purpose: 'recovery', basis: 'письмо № 41 от 18.03.2026', expiresAt: '2026-04-30' });
    expect(g.status).toBe(201);
    await deliver();
    const mails = await sink.waitFor(3);
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['analyst.en@mdai.example.kz', 'it@akimat.example.kz', 'minister.kk@mdai.example.kz']);
    expect(mails.every((m) => m.from === 'noreply@qoima.example.kz')).toBe(true);
    const to = (address: string) => mails.find((m) => m.to.includes(address))!;

    const kk = to('minister.kk@mdai.example.kz');
    expect(kk.headers.get('content-language')).toBe('kk');
    expect(kk.subject).toBe('Qoima: IS-MAIL жүйесіне қолжетімділік берілді (Қағидалар, 10-т.)');
    expect(kk.text).toContain('Қолжетімділік алушы:    Ұйым'); // the grantee's Kazakh name
    expect(kk.text).toContain(`(БСН ${grantee.bin})`);
    expect(kk.text).toContain('Мақсаты:                жоғалғаннан кейін қалпына келтіру');
    expect(kk.text).toContain('Негіздеме:              письмо № 41 от 18.03.2026');
    const en = to('analyst.en@mdai.example.kz');
    expect(en.headers.get('content-language')).toBe('en');
    expect(en.subject).toBe('Qoima: Access to system IS-MAIL granted (Rules p.10)');
    expect(en.text).toContain('Purpose:             recovery after loss');
    const body = to('it@akimat.example.kz');
    expect(body.headers.get('content-language')).toBe('ru');
    expect(body.subject).toBe('Qoima: Предоставлен доступ к системе IS-MAIL');
    expect(body.text).toContain('Открыть в Qoima: https://qoima.example.kz/systems/IS-MAIL');

    const rows = await outboxRows(t.deps.db, { status: 'sent' });
    expect(rows.filter((r) => r.kind === 'grant_notice').map((r) => [r.to_address, r.lang]).sort()).toEqual([
      ['analyst.en@mdai.example.kz', 'en'],
      ['minister.kk@mdai.example.kz', 'kk'],
    ]);

    // In-app: every active authority viewer, with or without an address; the disabled one not at all.
    for (const viewer of [viewerKk, viewerEn, viewerNoMail]) {
      const list = await api().get('/api/v1/notifications').set(as(viewer));
      expect(list.body.items.map((n: { kind: string }) => n.kind)).toEqual(['grant_notice']);
    }
    expect(await t.deps.db('notifications').where({ user_id: disabled.userId })).toEqual([]);

    // The authorized body's user signs in (Kazakh) and sees the notice and the unread count.
    const ui = formClient(t.url);
    await ui.signIn(viewerNoMail.login, viewerNoMail.password);
    const home = await ui.agent.get('/');
    expect(home.text).toMatch(/id="nav-notifications">Хабарламалар <span class="badge"[^>]*>1<\/span>/);
    const page = await ui.agent.get('/notifications');
    expect(page.status).toBe(200);
    expect(page.text).toContain('IS-MAIL жүйесіне қолжетімділік берілді (Қағидалар, 10-т.)');
    expect(page.text).toContain('оқылмаған: 1');
    const id = (await t.deps.db('notifications').where({ user_id: viewerNoMail.userId }).first()).id;
    const read = await ui.post(`/notifications/${id}/read`, {}, '/notifications');
    expect(read.status).toBe(303);
    expect((await ui.agent.get('/')).text).toMatch(/id="nav-notifications">Хабарламалар<\/a>/);
  });
});

describe('the body hears of its application and repository', () => {
  it('registration and the formed repository: the clone URL and how to push, in Russian by default', async () => {
    const body = await withEmail(t, await t.addUser({ role: 'body_user' }), 'ib@ministry.example.kz');
    const sub = await api().post('/api/v1/applications').set(as(body)).send(validForm({ systemCode: 'IS-PUSHME' }));
    expect(sub.status).toBe(201);
    sink.mails.length = 0;
    expect((await api().post(`/api/v1/applications/${sub.body.id}/register`).set(as(staff)).send({})).status).toBe(200);
    await deliver();
    const mails = await sink.waitFor(2);
    expect(mails.every((m) => m.to.join() === 'ib@ministry.example.kz')).toBe(true);
    const formed = mails.find((m) => m.subject === 'Qoima: Репозиторий системы IS-PUSHME сформирован')!;
    expect(formed.text).toContain('    https://qoima.example.kz/git/IS-PUSHME.git');
    expect(formed.text).toContain('git clone https://qoima.example.kz/git/IS-PUSHME.git');
    expect(formed.text).toContain('git push origin main');
    expect(formed.text).toContain('https://qoima.example.kz/tokens');
    expect(mails.some((m) => /^Qoima: Заявка Q2026-\d{5} зарегистрирована$/.test(m.subject))).toBe(true);
  });
});

describe('delivery after commit, with retries', () => {
  it('a refused message is retried with exponential backoff and then sent; one that keeps failing ends as failed', async () => {
    const body = await withEmail(t, await t.addUser({ role: 'body_user' }), 'retry@akimat.example.kz');
    const sys = await acceptedSystem(t, staff.token, 'IS-RETRY');
    await deliver();
    await outboxUntil((rows) => rows.every((r) => r.status !== 'pending'));
    sink.mails.length = 0;

    sink.failNext(1);
    const g = await api().post(`/api/v1/systems/${sys.code}/grants`).set(as(staff)).send({ organization: body.bin, purpose: 'reuse', basis: 'письмо № 3' });
    expect(g.status).toBe(201);
    await deliver();
    const [row] = (await outboxUntil((rows) => rows.some((r) => r.to_address === 'retry@akimat.example.kz' && r.attempts === 1 && r.last_error !== null))).filter((r) => r.to_address === 'retry@akimat.example.kz');
    expect(row.status).toBe('pending');
    expect(row.last_error).toMatch(/451/);
    expect(row.next_attempt_at).toBe(new Date(clock().getTime() + backoffMs(1)).toISOString());
    expect(await deliver()).toEqual({ sent: 0, retried: 0, failed: 0, skipped: 0 }); // not due yet
    clock.advance(backoffMs(1));
    await deliver();
    await outboxUntil((rows) => rows.some((r) => r.id === row.id && r.status === 'sent' && r.attempts === 2));
    expect(sink.mails.filter((m) => m.to.includes('retry@akimat.example.kz'))).toHaveLength(1);

    // A relay that never takes it: MAX_ATTEMPTS tries, then failed for good.
    sink.failNext(1000);
    expect((await api().delete(`/api/v1/systems/${sys.code}/grants/${g.body.id}`).set(as(staff)).send({})).status).toBe(200);
    const isRevocation = (r: { kind: string }) => r.kind === 'grant_revoked';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await deliver();
      await outboxUntil((rows) => rows.filter(isRevocation).every((r) => r.attempts >= attempt && (r.status === 'failed' || r.next_attempt_at > clock().toISOString())));
      clock.advance(backoffMs(attempt));
    }
    const [failed] = (await outboxRows(t.deps.db)).filter(isRevocation);
    expect(failed).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    sink.failNext(0);
    clock.set('2026-03-19T10:00:00+05:00');
  });

  it('a notice whose transaction rolls back leaves no notification and no e-mail (the outbox commits with the change)', async () => {
    const body = await withEmail(t, await t.addUser({ role: 'body_user' }), 'rollback@akimat.example.kz');
    const count = async () => [Number((await t.deps.db('notifications').count({ n: '*' }).first())!.n), (await outboxRows(t.deps.db)).length];
    const before = await count();
    const notice = { kind: 'grant_revoked' as const, to: [{ orgId: body.orgId }], params: { code: 'X', reason: '' } };
    await expect(
      t.deps.db.transaction(async (trx) => {
        expect(await enqueue(trx, t.deps.clock, notice)).toBe(1);
        throw new Error('the state change failed after its notice was queued');
      }),
    ).rejects.toThrow(/state change failed/);
    expect(await count()).toEqual(before);
    await t.deps.db.transaction((trx) => enqueue(trx, t.deps.clock, notice));
    expect(await count()).toEqual([before[0] + 1, before[1] + 1]);
  });
});

describe('the daily deadline digest to operator staff', () => {
  it('lists what is due soon or overdue on a fixed date, by e-mail in the reader\'s language, once per date', async () => {
    const reader = await withEmail(t, await t.addUser({ role: 'operator_staff', bin: '000740001307', lang: 'en' }), 'duty@nit.example.kz');
    const sys = await formedSystem(t); // formed on Thu 2026-03-19: p.9 acceptance due Fri 2026-03-27 (Nauryz 21–25 March off)
    await deliver();
    await outboxUntil((rows) => rows.every((r) => r.status !== 'pending'));
    sink.mails.length = 0;

    const soon = await notifyDeadlines(t.deps, '2026-03-26');
    expect(soon.dueSoon).toBeGreaterThan(0);
    expect(soon.notified).toBeGreaterThanOrEqual(2); // the admin, staff and this reader
    expect(await notifyDeadlines(t.deps, '2026-03-26')).toMatchObject({ notified: 0 });
    const late = await notifyDeadlines(t.deps, '2026-03-31');
    expect(late.overdue).toBeGreaterThan(0);
    await deliver();
    const mails = (await sink.waitFor(2)).filter((m) => m.to.includes('duty@nit.example.kz'));
    expect(mails.map((m) => m.subject).sort()).toEqual([
      `Qoima: Deadlines on 2026-03-26: 0 overdue, ${soon.dueSoon} due soon`,
      `Qoima: Deadlines on 2026-03-31: ${late.overdue} overdue, 0 due soon`,
    ]);
    const overdue = mails.find((m) => m.subject.includes('2026-03-31'))!;
    expect(overdue.text).toMatch(new RegExp(`${sys.code}  p\\.9  due 27\\.03\\.2026  2 working day\\(s\\) late`));
    const inApp = await api().get('/api/v1/notifications').set(as(reader)).set('Accept-Language', 'ru');
    expect(inApp.body.items.filter((n: { kind: string }) => n.kind === 'deadlines_digest').map((n: { title: string }) => n.title)).toEqual([
      `Сроки на 2026-03-31: просрочено ${late.overdue}, истекает 0`,
      `Сроки на 2026-03-26: просрочено 0, истекает ${soon.dueSoon}`,
    ]);
  });
});

describe('without SMTP_URL', () => {
  it('notices stay in-app: the outbox rows are marked skipped, nothing is sent', async () => {
    const plain = await startTestApp({ clock });
    try {
      const body = await plain.addUser({ role: 'body_user' });
      await plain.deps.db('users').where({ id: body.userId }).update({ email: 'x@example.kz' });
      const sys = await formedSystem(plain);
      const r = await request(plain.url).post(`/api/v1/systems/${sys.code}/grants`).set('Authorization', `Bearer ${plain.adminToken}`).send({ organization: body.bin, purpose: 'reuse', basis: 'b' });
      expect(r.status).toBe(201);
      expect(createMailer(plain.config)).toBeNull();
      await deliverPending(plain.deps, null);
      expect((await outboxRows(plain.deps.db)).map((x) => x.status)).toEqual(['skipped']);
      expect((await request(plain.url).get('/api/v1/notifications').set('Authorization', `Bearer ${body.token}`)).body.unread).toBe(1);
    } finally {
      await plain.stop();
    }
  });
});
