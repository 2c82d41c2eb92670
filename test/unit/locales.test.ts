import { describe, expect, it } from 'vitest';
import { LANGS, messageKeys, pickLanguage, t } from '../../server/http/i18n.js';

describe('messages in kk, ru and en', () => {
  it('has every message in every language', () => {
    const [kk, ru, en] = LANGS.map((l) => new Set(messageKeys(l)));
    const all = new Set([...kk, ...ru, ...en]);
    const missing = [...all].flatMap((k) => LANGS.filter((_, i) => ![kk, ru, en][i].has(k)).map((l) => `${l}:${k}`));
    expect(missing).toEqual([]);
  });

  it('fills placeholders', () => {
    expect(t('ru', 'errors.login_taken', { login: 'aigerim' })).toBe('Логин «aigerim» уже занят.');
    expect(t('kk', 'errors.login_taken', { login: 'aigerim' })).toBe('«aigerim» логині бос емес.');
  });

  it('picks the language of Accept-Language by q-value, with ru as the default', () => {
    expect(pickLanguage(undefined)).toBe('ru');
    expect(pickLanguage('fr-FR,fr;q=0.9')).toBe('ru');
    expect(pickLanguage('en-US,en;q=0.9,kk;q=0.8')).toBe('en');
    expect(pickLanguage('ru;q=0.5,kk;q=0.9')).toBe('kk');
    expect(pickLanguage('kz')).toBe('kk');
    expect(pickLanguage('en;q=0')).toBe('ru');
  });
});
