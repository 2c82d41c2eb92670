import { describe, expect, it } from 'vitest';
import { expiryInstant } from '../../server/access/service.js';
import { versionOnlyConfig } from '../../server/access/use.js';
import { backoffMs, MAX_ATTEMPTS } from '../../server/notify/delivery.js';
import { NOTICE_KINDS } from '../../server/notify/kinds.js';
import { renderInApp, renderMail, textParams } from '../../server/notify/render.js';
import { LANGS, messageKeys } from '../../server/http/i18n.js';

describe('grant expiry (Rules p.10)', () => {
  it('a calendar day is valid through its end in Kazakhstan time (UTC+5)', () => {
    expect(expiryInstant('2026-03-20')).toBe('2026-03-20T19:00:00.000Z');
    expect(expiryInstant('2026-12-31')).toBe('2026-12-31T19:00:00.000Z');
  });
  it('an instant is kept as given, in UTC; none is none', () => {
    expect(expiryInstant('2026-03-20T12:30:00+05:00')).toBe('2026-03-20T07:30:00.000Z');
    expect(expiryInstant(undefined)).toBeNull();
    expect(expiryInstant(null)).toBeNull();
  });
});

describe('a grant restricted to one deposit version', () => {
  it('advertises only its tag and refuses objects asked for by id', () => {
    const config = versionOnlyConfig(3);
    expect(config).toContain('uploadpack.hideRefs=refs/');
    expect(config).toContain('uploadpack.hideRefs=HEAD');
    // the negation comes after the hiding entries: later entries win (git-config(1))
    expect(config.indexOf('uploadpack.hideRefs=!refs/tags/deposit/v3')).toBeGreaterThan(config.indexOf('uploadpack.hideRefs=refs/'));
    expect(config).toContain('uploadpack.allowReachableSHA1InWant=false');
    expect(config).toContain('uploadpack.allowAnySHA1InWant=false');
  });
});

describe('e-mail retries', () => {
  it('back off exponentially from 30 s, capped at an hour', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(20)).toBe(3_600_000);
    expect(MAX_ATTEMPTS).toBeGreaterThan(3);
  });
});

describe('notices in kk, ru and en', () => {
  const params = {
    code: 'IS-X',
    nameKk: 'Жүйе',
    nameRu: 'Система',
    purpose: 'recovery',
    basis: 'письмо № 5 от 01.03.2026',
    expiresAt: '2026-03-20T19:00:00.000Z',
    version: null,
    granteeBin: '123456789012',
    granteeKk: 'Алушы',
    granteeRu: 'Получатель',
    ownerBin: '210987654321',
    ownerKk: 'Иеленуші',
    ownerRu: 'Владелец',
    grantId: 7,
    grantedAt: '2026-03-19T05:00:00.000Z',
    grantedBy: 'Оператор',
  };

  it('derive names in the reader language, purpose, expiry and the clone URL', () => {
    const kk = textParams('kk', params, 'https://qoima.example.kz/');
    expect(kk).toMatchObject({ name: 'Жүйе', grantee: 'Алушы', owner: 'Иеленуші', cloneUrl: 'https://qoima.example.kz/git/IS-X.git' });
    expect(kk.purposeText).toBe('жоғалғаннан кейін қалпына келтіру');
    expect(kk.expiresText).toBe('20.03.2026 қоса алғанда'); // a day's grant: through that day
    expect(textParams('en', { ...params, expiresAt: '2026-03-20T07:30:00.000Z' }, 'x').expiresText).toBe('until 20.03.2026 12:30');
    expect(textParams('ru', { ...params, expiresAt: null }, 'x').expiresText).toBe('бессрочно, до отзыва');
    expect(textParams('ru', params, 'x').name).toBe('Система');
    expect(textParams('en', params, 'x').versionText).toBe('the whole repository');
  });

  it('every kind has a title and a text without unfilled placeholders for its own params', () => {
    for (const lang of LANGS) {
      const keys = new Set(messageKeys(lang));
      for (const kind of NOTICE_KINDS) {
        expect(keys.has(`notify.kinds.${kind}.title`), `${lang} ${kind}`).toBe(true);
        expect(keys.has(`notify.kinds.${kind}.text`), `${lang} ${kind}`).toBe(true);
      }
    }
    const inApp = renderInApp('ru', 'grant_notice', params, 'http://q');
    expect(inApp.title).toBe('Предоставлен доступ к системе IS-X (Правила, п. 10)');
    expect(inApp.text).toContain('Получатель (БИН 123456789012)');
    expect(inApp.text).not.toMatch(/\{\w+\}/);
  });

  it('render the authorized body notice as an e-mail in each language', () => {
    const kk = renderMail('kk', 'grant_notice', params, { baseUrl: 'http://q', link: null });
    expect(kk.subject).toBe('Qoima: IS-X жүйесіне қолжетімділік берілді (Қағидалар, 10-т.)');
    expect(kk.text).toContain('Қолжетімділік алушы:    Алушы (БСН 123456789012)');
    const en = renderMail('en', 'grant_notice', params, { baseUrl: 'http://q', link: null });
    expect(en.text).toContain('Purpose:             recovery after loss');
    expect(en.text).toContain('Granted by:          Оператор, 19.03.2026');
  });

  it('render a kind without its own template through notice.eta, with the absolute link', () => {
    const mail = renderMail('en', 'application_rejected', { number: 'Q2026-00001', code: 'IS-X', reason: 'incomplete' }, { baseUrl: 'https://q.kz/', link: '/applications/1' });
    expect(mail.subject).toBe('Qoima: Application Q2026-00001 rejected');
    expect(mail.text).toContain('Reason: incomplete');
    expect(mail.text).toContain('Open in Qoima: https://q.kz/applications/1');
  });
});
