import { t, type Lang } from '../http/i18n.js';
import type { BuildVerdict } from './build-md.js';

/**
 * Completeness and integrity findings (issue 6 §2): a stable code, a severity, the file it concerns
 * and message parameters; the message itself is `deposits.findings.<code>` in kk/ru/en. An `error`
 * blocks acceptance unless the operator records why it accepts anyway.
 */
export const FINDING_SEVERITY = {
  source_empty: 'error', // Rules p.5.1
  build_missing: 'error', // p.5.1: the description of the compilation process
  build_unchanged: 'error',
  build_no_environment: 'error', // p.5.1: names the development environment…
  build_no_version: 'error', // …and its version
  installers_empty: 'warning', // p.5.2, "when available"
  database_empty: 'warning', // p.5.4
  licensed_config_empty: 'warning', // p.5.5
  docs_empty: 'error', // p.5.6
  lfs_object_missing: 'error',
  lfs_object_size_mismatch: 'error',
  git_object_missing: 'error',
  archive_corrupt: 'error',
  archive_encrypted: 'warning',
  archive_unverified: 'warning',
  archive_unsafe_entries: 'error', // issue 13: extracting it would write outside its folder or follow links (ZipSlip)
  empty_file: 'warning',
  outside_categories: 'warning',
  submodule: 'warning',
  truncated: 'warning',
} as const;
export type FindingCode = keyof typeof FINDING_SEVERITY;
export type Severity = 'error' | 'warning';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  path: string | null;
  params: Record<string, string | number>;
}

/** At most this many findings of one code are listed; the rest are counted in one `truncated` finding. */
export const MAX_PER_CODE = 100;

export class FindingsCollector {
  private readonly list: Finding[] = [];
  private readonly perCode = new Map<FindingCode, number>();
  private errors = 0;
  private warnings = 0;

  add(code: FindingCode, path: string | null = null, params: Record<string, string | number> = {}): void {
    const severity = FINDING_SEVERITY[code];
    if (severity === 'error') this.errors++;
    else this.warnings++;
    const n = (this.perCode.get(code) ?? 0) + 1;
    this.perCode.set(code, n);
    if (n <= MAX_PER_CODE) this.list.push({ code, severity, path, params });
  }

  /** The findings, errors first, with one `truncated` line per code that had more than MAX_PER_CODE. */
  result(): { findings: Finding[]; errorCount: number; warningCount: number } {
    const findings = [...this.list];
    for (const [code, n] of this.perCode) {
      if (n > MAX_PER_CODE) findings.push({ code: 'truncated', severity: FINDING_SEVERITY[code], path: null, params: { code, count: n - MAX_PER_CODE } });
    }
    const rank = (f: Finding) => (f.severity === 'error' ? 0 : 1);
    findings.sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code) || (a.path ?? '').localeCompare(b.path ?? ''));
    return { findings, errorCount: this.errors, warningCount: this.warnings };
  }
}

export const BUILD_FINDINGS: Record<Exclude<BuildVerdict, 'ok'>, FindingCode[]> = {
  unchanged: ['build_unchanged'],
  no_environment: ['build_no_environment'],
  no_version: ['build_no_version'],
  no_environment_no_version: ['build_no_environment', 'build_no_version'],
};

/** A finding's message in one language. */
export function findingMessage(lang: Lang, f: Pick<Finding, 'code' | 'path' | 'params'>): string {
  return t(lang, `deposits.findings.${f.code}`, { path: f.path ?? '', ...f.params });
}

/** A finding as the API shows it: the message in the request's language and in all three. */
export function findingOut(lang: Lang, f: Finding) {
  return {
    code: f.code,
    severity: f.severity,
    path: f.path,
    params: f.params,
    message: findingMessage(lang, f),
    messages: { kk: findingMessage('kk', f), ru: findingMessage('ru', f), en: findingMessage('en', f) },
  };
}
