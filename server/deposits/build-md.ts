import { BUILD_TEMPLATE } from './classify.js';

/**
 * Rules p.5.1: the source code comes with a description of the compilation process naming the
 * development environment *and its version*, and the specifics of setting the environment up.
 * BUILD.md (from templates/repository/) is that description; these rules judge it.
 */
export type BuildVerdict = 'ok' | 'unchanged' | 'no_environment' | 'no_version' | 'no_environment_no_version';

const ENV_WORDS = /(environment|среда|ортасы|орта\b|\bide\b|sdk|jdk|jre|компилятор|compiler|toolchain|platform|платформа|framework|фреймворк)/i;
const VERSION_WORDS = /(version|верси|нұсқа)/i;
const VERSION_NUMBER = /\b\d+(?:\.\d+)+\b|\bv?\d{1,4}\b/;

const normalize = (text: string) => text.replace(/\r\n?/g, '\n').replace(/\s+$/g, '').trim();

/** The template as a pattern: its `{{name}}` placeholders match anything on their line. */
const TEMPLATE_PATTERN = new RegExp(
  '^' +
    normalize(BUILD_TEMPLATE)
      .split('\n')
      .map((line) => line.replace(/\s+$/, '').split(/\{\{\w+\}\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'))
      .join('\\n') +
    '$',
);

/** A value still showing the template's example (`<например: …>`, `<…>`) is no value. */
const isPlaceholder = (value: string) => /^<[^>]*>$/.test(value.trim()) || /<\s*(например|мысалы|e\.g\.|…|\.\.\.)/i.test(value);

/** The text of BUILD.md without HTML comments (the template's instructions live in them). */
function withoutComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->/g, '');
}

/** The value part of a line that names something: a table row's second cell, or what follows `:`/`—`. */
function valueOf(line: string, words: RegExp): string | null {
  const cells = line.split('|').map((c) => c.trim()).filter((c, i, all) => !(c === '' && (i === 0 || i === all.length - 1)));
  if (cells.length >= 2 && words.test(cells[0])) return cells.slice(1).join(' ').trim();
  const m = new RegExp(words.source + '[^:—–=-]*[:—–=-]\\s*(.+)$', 'i').exec(line);
  return m ? m[m.length - 1].trim() : null;
}

export function judgeBuildDescription(content: string): BuildVerdict {
  const text = normalize(content);
  if (TEMPLATE_PATTERN.test(text)) return 'unchanged';
  const lines = withoutComments(text).split('\n');
  let environment = false;
  let version = false;
  for (const line of lines) {
    const env = valueOf(line, ENV_WORDS);
    if (env && !isPlaceholder(env) && /\p{L}{2,}/u.test(env)) {
      environment = true;
      // "Environment | OpenJDK 17.0.10" names the version on the same line.
      if (VERSION_NUMBER.test(env)) version = true;
    }
    const ver = valueOf(line, VERSION_WORDS);
    if (ver && !isPlaceholder(ver) && VERSION_NUMBER.test(ver)) version = true;
  }
  if (!environment && !version) {
    // Free prose still counts when it names a tool with a version: "Built with Go 1.22 and Node.js 20.11".
    const prose = lines.filter((l) => !/^\s*#/.test(l)).join('\n');
    if (/\p{L}[\p{L}.+#-]*\s+v?\d+(?:\.\d+)+/u.test(prose) && ENV_WORDS.test(prose)) return 'ok';
    return 'no_environment_no_version';
  }
  if (!environment) return 'no_environment';
  if (!version) return 'no_version';
  return 'ok';
}
