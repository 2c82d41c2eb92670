import { hasMessage, t, type Lang } from '../http/i18n.js';
import { formatDate, formatTime } from '../intake/read.js';
import type { OrgRef, ReportData } from './model.js';

/**
 * The report as titled tables in one language: what CSV, XLSX (one sheet per table), PDF and HTML
 * print, so every format shows the same numbers. Numbers stay numbers; each format groups digits
 * its own way. The report is official in Kazakh and Russian; English is for the UI.
 */
export type Cell = string | number;

export interface ReportTable {
  id: 'summary' | 'categories' | 'grantees' | 'compliance' | 'bodies' | 'monthly' | 'exceptions';
  title: string;
  columns: string[];
  rows: Cell[][];
}

export const tr = (lang: Lang, key: string, params?: Record<string, string | number>) => t(lang, `reports.${key}`, params);

/** `первое полугодие 2026 года`, or the range `01.01.2026 – 31.03.2026`. */
export function periodTitle(lang: Lang, period: ReportData['period']): string {
  const m = period.key ? /^(\d{4})-H([12])$/.exec(period.key) : null;
  return m ? tr(lang, `half.${m[2]}`, { year: m[1] }) : tr(lang, 'range', { from: formatDate(period.from), to: formatDate(period.to) });
}

/** The lines above the tables: period, due date, as-of date, generated, edition. */
export function headerLines(lang: Lang, data: ReportData, stored?: { revision: number; sha256: string }): [string, string][] {
  const lines: [string, string][] = [[tr(lang, 'period'), `${periodTitle(lang, data.period)} (${formatDate(data.period.from)} – ${formatDate(data.period.to)})`]];
  if (data.period.dueDate) lines.push([tr(lang, 'due'), formatDate(data.period.dueDate)]);
  const edition = `reports.edition_titles.${data.edition.id}`;
  lines.push([tr(lang, 'as_of'), formatDate(data.asOf)], [tr(lang, 'generated'), formatTime(data.generatedAt)], [tr(lang, 'edition'), hasMessage(lang, edition) ? t(lang, edition) : data.edition.title]);
  if (stored) lines.push([tr(lang, 'stored'), tr(lang, 'revision', { n: stored.revision })], [tr(lang, 'sha256'), stored.sha256]);
  return lines;
}

export const nameOf = (lang: Lang, x: { nameKk: string; nameRu: string }) => (lang === 'kk' ? x.nameKk || x.nameRu : x.nameRu || x.nameKk);
const body = (lang: Lang, o: OrgRef) => nameOf(lang, o);
export const monthName = (lang: Lang, month: string) => `${tr(lang, `month_names.${Number(month.slice(5, 7)) - 1}`)} ${month.slice(0, 4)}`;
export const ruleName = (lang: Lang, rule: string) => tr(lang, `rule.${rule}`);

export function reportTables(lang: Lang, data: ReportData): ReportTable[] {
  const c = (key: string) => tr(lang, `col.${key}`);
  const m = (key: string) => tr(lang, `metric.${key}`);
  const { applications, submissions, deposits, access, decommission } = data.totals;
  const summary: Cell[][] = [
    [m('applications_received'), applications.received],
    [m('applications_registered'), applications.registered],
    [m('applications_rejected'), applications.rejected],
    [m('repositories_formed'), data.totals.repositoriesFormed],
    [m('pushes'), submissions.pushes],
    [m('uploads'), submissions.uploads],
    [m('deposits_accepted'), deposits.accepted],
    [m('new_systems'), deposits.newSystems],
    [m('new_versions'), deposits.newVersions],
    [m('files'), deposits.files],
    [m('bytes'), deposits.bytes],
    [m('overridden'), deposits.overridden],
    [m('grants'), access.granted],
    [m('grants_reuse'), access.reuse],
    [m('grants_recovery'), access.recovery],
    [m('grant_bodies'), access.bodies],
    [m('grants_revoked'), access.revoked],
    [m('notices'), decommission.notices],
    [m('returns'), decommission.returns],
    [m('archive_transfers'), decommission.archiveTransfers],
  ];
  return [
    { id: 'summary', title: tr(lang, 'sections.summary'), columns: [c('indicator'), c('value')], rows: summary },
    { id: 'categories', title: tr(lang, 'sections.categories'), columns: [c('category'), c('files'), c('bytes')], rows: data.categories.map((x) => [tr(lang, `category.${x.category}`), x.files, x.bytes]) },
    { id: 'grantees', title: tr(lang, 'sections.grantees'), columns: [c('bin'), c('body'), c('reuse'), c('recovery')], rows: data.grantees.map((g) => [g.bin, body(lang, g), g.reuse, g.recovery]) },
    {
      id: 'compliance',
      title: tr(lang, 'sections.compliance'),
      columns: [c('rule'), c('clause'), c('working_days'), c('on_time'), c('late'), c('late_days'), c('max_late_days'), c('open'), c('overdue')],
      rows: data.compliance.map((x) => [ruleName(lang, x.rule), x.clause, x.workingDays, x.onTime, x.late, x.lateWorkingDays, x.maxLateWorkingDays, x.open, x.overdue]),
    },
    {
      id: 'bodies',
      title: tr(lang, 'sections.bodies'),
      columns: [c('bin'), c('body'), c('received'), c('registered'), c('rejected'), c('formed'), c('new_systems'), c('new_versions'), c('bytes'), c('grants'), c('notices'), c('returns'), c('late'), c('overdue')],
      rows: data.bodies.map((b) => [b.bin, body(lang, b), b.received, b.registered, b.rejected, b.formed, b.newSystems, b.newVersions, b.bytes, b.grants, b.notices, b.returns, b.late, b.overdue]),
    },
    { id: 'monthly', title: tr(lang, 'sections.monthly'), columns: [c('month'), c('received'), c('registered'), c('accepted')], rows: data.monthly.map((x) => [monthName(lang, x.month), x.received, x.registered, x.accepted]) },
    {
      id: 'exceptions',
      title: tr(lang, 'sections.exceptions'),
      columns: [c('date'), c('kind'), c('system'), c('name'), c('body'), c('rule'), c('due'), c('late_days'), c('version'), c('reason')],
      rows: data.exceptions.map((e) => [
        formatDate(e.date),
        tr(lang, `kind.${e.kind}`),
        e.system.code,
        nameOf(lang, e.system),
        body(lang, e.body),
        e.rule ? `${ruleName(lang, e.rule)} (${e.clause})` : '',
        e.dueDate ? formatDate(e.dueDate) : '',
        e.workingDaysLate ?? '',
        e.version ?? '',
        e.reason ?? '',
      ]),
    },
  ];
}

/** Digits grouped with a no-break space, as the printed forms show them. */
export const grouped = (n: Cell) => (typeof n === 'number' ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0') : n);
