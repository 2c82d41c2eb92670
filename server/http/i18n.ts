import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';

export const LANGS = ['kk', 'ru', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

type Catalog = Map<string, string>;

/** Messages live in templates/locales/<lang>/<namespace>.json; a key is `<namespace>.<path>`. */
function loadCatalog(lang: Lang): Catalog {
  const dir = join(templatesDir, 'locales', lang);
  const catalog: Catalog = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const namespace = file.slice(0, -'.json'.length);
    flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')), namespace, catalog);
  }
  return catalog;
}

function flatten(node: unknown, prefix: string, out: Catalog): void {
  if (typeof node === 'string') {
    out.set(prefix, node);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) flatten(v, `${prefix}.${k}`, out);
  }
}

const catalogs = new Map<Lang, Catalog>(LANGS.map((l) => [l, loadCatalog(l)]));

/** The message for `key` in `lang` with `{name}` placeholders filled; falls back to ru, then en, then the key. */
export function t(lang: Lang, key: string, params: Record<string, string | number> = {}): string {
  const text = catalogs.get(lang)?.get(key) ?? catalogs.get('ru')?.get(key) ?? catalogs.get('en')?.get(key) ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function hasMessage(lang: Lang, key: string): boolean {
  return catalogs.get(lang)?.has(key) ?? false;
}

/** All keys of a language, for the test that every language has every message. */
export function messageKeys(lang: Lang): string[] {
  return [...(catalogs.get(lang)?.keys() ?? [])];
}

/**
 * The language of an `Accept-Language` header: the first of kk/ru/en by q-value, else the fallback
 * (contract.md: default ru). `kz` is accepted as a common mislabel of Kazakh.
 */
export function pickLanguage(header: string | undefined, fallback: Lang = 'ru'): Lang {
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...attrs] = part.trim().split(';');
      const q = attrs.map((a) => a.trim()).find((a) => a.startsWith('q='));
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0] === 'kz' ? 'kk' : tag.split('-')[0];
    if (isLang(primary)) return primary;
  }
  return fallback;
}
