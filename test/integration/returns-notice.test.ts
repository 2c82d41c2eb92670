import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { outboxRows } from '../../server/notify/queries.js';
import { renderMail } from '../../server/notify/render.js';
import { acceptedSystem, returnsApp, api, OPERATOR_BIN, type People } from './returns-fixtures.js';

/** Issue 8: a body's decommissioning notice reaches operator staff — in the app and by e-mail (Rules p.11). */
let t: TestApp;
let p: People;
const { git } = returnsApp((app, people) => ((t = app), (p = people)));

type Note = { kind: string; title: string; text: string; link: string | null; params: Record<string, unknown> };
const notesOf = async (token: string, lang = 'ru') => (await api(t, 'get', '/notifications', token).set('Accept-Language', lang)).body.items as Note[];

describe('the decommissioning notice tells the operator (issue 8)', () => {
  it('notifies operator staff and admins, in their language, with the p.11 return deadline; not the body', async () => {
    const admin = await t.addUser({ role: 'operator_admin', bin: OPERATOR_BIN, lang: 'kk' });
    await t.deps.db('users').where({ id: admin.userId }).update({ email: 'admin@operator.kz' });
    const s = await acceptedSystem(t, git, p, 'IS-NOTICE');
    const before = (await outboxRows(t.deps.db)).length;
    const sent = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-02', basis: { number: '45-НҚ', date: '2026-02-27' }, scope: 'full_history' });
    expect(sent.status).toBe(201);
    const due = sent.body.deadlines.find((d: { rule: string }) => d.rule === 'return').dueDate as string;

    const staffNote = (await notesOf(p.staff.token, 'en')).find((n) => n.kind === 'decommission_notified');
    expect(staffNote).toBeDefined();
    expect(staffNote!.link).toBe(`/systems/${s.code}/return`);
    expect(staffNote!.title).toBe(`System ${s.code} withdrawn: return due ${due}`);
    expect(staffNote!.text).toContain('withdrawn from operation on 2026-03-02 (basis: 45-НҚ of 2026-02-27)');
    expect(staffNote!.text).not.toMatch(/\{\w+\}/);
    expect(staffNote!.params).toMatchObject({ code: s.code, scope: 'full_history', returnDue: due, late: true });
    const adminNote = (await notesOf(admin.token, 'kk')).find((n) => n.kind === 'decommission_notified');
    expect(adminNote?.title).toBe(`${s.code} жүйесі пайдаланудан шығарылды: қайтару мерзімі ${due}`);
    // The body sent it: it is not told about its own notice; nor are archivists.
    for (const who of [p.body, p.archivist]) expect((await notesOf(who.token)).map((n) => n.kind)).not.toContain('decommission_notified');

    // E-mail: one outbox row per operator user with an address, written in the notice's transaction.
    const mails = (await outboxRows(t.deps.db)).slice(before).filter((m) => m.kind === 'decommission_notified');
    expect(mails.map((m) => m.to_address).sort()).toEqual(['admin@operator.kz', 'escrow@operator.kz']);
    // The e-mail is in the user's own language (the admin's is kk).
    expect(mails.find((m) => m.to_address === 'admin@operator.kz')?.lang).toBe('kk');
    for (const m of mails) {
      const mail = renderMail(m.lang as 'kk' | 'ru' | 'en', 'decommission_notified', JSON.parse(m.params), { baseUrl: 'http://q', link: m.link });
      expect(mail.subject).toContain(s.code);
      expect(mail.text).toContain(due);
      expect(mail.text).not.toMatch(/\{\w+\}/);
    }
  });

  it('sends nothing when the notice is refused', async () => {
    const s = await acceptedSystem(t, git, p, 'IS-NOTICE-NO', { accept: false });
    const before = (await notesOf(p.staff.token)).filter((n) => n.kind === 'decommission_notified').length;
    const refused = await api(t, 'post', `/systems/${s.code}/decommission`, p.body.token).send({ withdrawnOn: '2026-03-02', basis: { number: '1', date: '2026-02-27' } });
    expect(refused.status).toBe(409);
    expect((await notesOf(p.staff.token)).filter((n) => n.kind === 'decommission_notified')).toHaveLength(before);
  });
});
