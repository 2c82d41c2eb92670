import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Eta } from 'eta';
import { t, type Lang } from '../http/i18n.js';
import { templatesDir } from '../paths.js';
import type { NoticeKind, NoticeParams } from './kinds.js';

/**
 * Turns a notice (kind + params) into words in one language: the in-app title and text from the
 * `notify` messages, the e-mail from templates/mail/<lang>/ (plain text). Params are stored as the
 * facts; what depends on the reader (names in their language, dates, URLs) is derived here.
 */

const mailDir = join(templatesDir, 'mail');
const eta = new Eta({ views: mailDir, cache: true, autoEscape: false, autoTrim: false });

/** DD.MM.YYYY of a date or of an instant in Kazakhstan time (UTC+5). */
export function displayDate(value: string | null | undefined): string {
  if (!value) return '';
  const local = value.length > 10 ? new Date(Date.parse(value) + 5 * 3_600_000).toISOString() : value;
  const [y, m, d] = local.slice(0, 10).split('-');
  return `${d}.${m}.${y}`;
}

/** DD.MM.YYYY HH:MM of an instant in Kazakhstan time. */
export function displayTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const local = new Date(Date.parse(iso) + 5 * 3_600_000).toISOString();
  return `${displayDate(local.slice(0, 10))} ${local.slice(11, 16)}`;
}

/**
 * An expiry in words: a grant given "through a day" ends at the next local midnight, which is said
 * as that day inclusive; any other instant as it is; none as "until revoked".
 */
export function expiryText(lang: Lang, expiresAt: string | null | undefined): string {
  if (!expiresAt) return t(lang, 'notify.no_expiry');
  const local = new Date(Date.parse(expiresAt) + 5 * 3_600_000).toISOString();
  if (local.slice(11, 19) === '00:00:00') return t(lang, 'notify.through', { date: displayDate(new Date(Date.parse(local) - 86_400_000).toISOString().slice(0, 10)) });
  return t(lang, 'notify.until', { date: displayTime(expiresAt) });
}

/**
 * The scalar values a message fills its `{placeholders}` with: every scalar param, a name pair
 * `xKk`/`xRu` as `x` in the reader's language, the purpose and expiry in words, the clone URL.
 */
export function textParams(lang: Lang, params: NoticeParams, baseUrl: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
    else if (typeof v === 'boolean') out[k] = String(v);
    else if (v === null) out[k] = '';
  }
  for (const k of Object.keys(params)) {
    const base = k.endsWith('Ru') ? k.slice(0, -2) : null;
    if (base && !(base in out)) out[base] = String((lang === 'kk' ? params[`${base}Kk`] : params[k]) ?? params[k] ?? '');
  }
  if (typeof params.purpose === 'string') out.purposeText = t(lang, `access.purpose.${params.purpose}`);
  if ('expiresAt' in params) out.expiresText = expiryText(lang, params.expiresAt ? String(params.expiresAt) : null);
  if ('version' in params) out.versionText = params.version ? t(lang, 'notify.version_only', { version: String(params.version) }) : t(lang, 'notify.all_versions');
  if (typeof params.code === 'string') out.cloneUrl = `${baseUrl.replace(/\/+$/, '')}/git/${params.code}.git`;
  return out;
}

export function renderInApp(lang: Lang, kind: NoticeKind, params: NoticeParams, baseUrl: string): { title: string; text: string } {
  const values = textParams(lang, params, baseUrl);
  return { title: t(lang, `notify.kinds.${kind}.title`, values), text: t(lang, `notify.kinds.${kind}.text`, values) };
}

/** The e-mail of a notice: subject and plain-text body in `lang`. */
export function renderMail(lang: Lang, kind: NoticeKind, params: NoticeParams, opts: { baseUrl: string; link: string | null }): { subject: string; text: string } {
  const values = textParams(lang, params, opts.baseUrl);
  const view = existsSync(join(mailDir, lang, `${kind}.eta`)) ? `${lang}/${kind}` : `${lang}/notice`;
  const link = opts.link ? `${opts.baseUrl.replace(/\/+$/, '')}${opts.link}` : null;
  const text = eta.render(view, {
    kind,
    params,
    values,
    link,
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    title: t(lang, `notify.kinds.${kind}.title`, values),
    text: t(lang, `notify.kinds.${kind}.text`, values),
    t: (key: string, p?: Record<string, string | number>) => t(lang, key, p ?? values),
    displayDate,
  });
  return { subject: `Qoima: ${t(lang, `notify.kinds.${kind}.title`, values)}`, text };
}
