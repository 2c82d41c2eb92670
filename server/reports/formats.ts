import type ExcelJSType from 'exceljs';
import { lazyRequire } from '../util/lazy.js';
import type { Lang } from '../http/i18n.js';
import { formatDate } from '../intake/read.js';
import { reportHtml } from './html.js';
import type { ReportData } from './model.js';
import { reportPdf } from './pdf.js';
import { headerLines, periodTitle, reportTables, tr, type Cell } from './tables.js';

const excel = lazyRequire<typeof ExcelJSType>('exceljs');

/**
 * The report in each format it is downloaded in. All of them print `reportTables`, so the numbers
 * agree; the HTML and the PDF add the charts.
 */
export const FORMATS = ['json', 'csv', 'html', 'xlsx', 'pdf'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export const MEDIA: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

export interface StoredMark {
  revision: number;
  sha256: string;
}

/** `report-2026-H1-kk.pdf`, `report-2026-01-01_2026-03-31-ru.csv`; `-draft` for a draft, `-r2` for a revision. */
export function fileName(data: ReportData, lang: Lang, format: ReportFormat, stored?: StoredMark): string {
  const period = data.period.key ?? `${data.period.from}_${data.period.to}`;
  return `report-${period}${stored && stored.revision > 1 ? `-r${stored.revision}` : ''}${data.draft ? '-draft' : ''}-${lang}.${format}`;
}

const csvCell = (c: Cell) => {
  const s = String(c);
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * CSV (RFC 4180, UTF-8 with a BOM so spreadsheet programs read Kazakh letters): the header lines,
 * then each table under its title, separated by an empty line.
 */
export function reportCsv(lang: Lang, data: ReportData, stored?: StoredMark): string {
  const lines: Cell[][] = [[`${tr(lang, 'title')} — ${periodTitle(lang, data.period)}`]];
  if (data.draft) lines.push([tr(lang, 'draft'), tr(lang, 'draft_banner', { date: formatDate(data.asOf) })]);
  for (const [label, value] of headerLines(lang, data, stored)) lines.push([label, value]);
  for (const table of reportTables(lang, data)) lines.push([], [table.title], table.columns, ...table.rows);
  return '\uFEFF' + lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** XLSX (exceljs): one sheet per table; the first (the summary) also carries the header lines. */
export async function reportXlsx(lang: Lang, data: ReportData, stored?: StoredMark): Promise<Buffer> {
  const book = new (excel().Workbook)();
  const when = new Date(data.generatedAt);
  Object.assign(book, { creator: 'Qoima', lastModifiedBy: 'Qoima', created: when, modified: when, title: tr(lang, 'title') });
  const heading = `${tr(lang, 'title')} — ${periodTitle(lang, data.period)}${data.draft ? ` — ${tr(lang, 'draft')}` : ''}`;
  for (const table of reportTables(lang, data)) {
    const sheet = book.addWorksheet(tr(lang, `sheet.${table.id}`).slice(0, 31), { views: [{ state: 'frozen', ySplit: 3 }] });
    sheet.addRow([heading]).font = { bold: true, size: 12, ...(data.draft ? { color: { argb: 'FF9C4A00' } } : {}) };
    sheet.addRow([table.title]).font = { bold: true };
    const header = sheet.addRow(table.columns);
    header.font = { bold: true };
    header.alignment = { wrapText: true, vertical: 'top' };
    for (const row of table.rows) sheet.addRow(row);
    sheet.columns.forEach((col, i) => {
      const longest = Math.max(...[table.columns[i], ...table.rows.map((r) => r[i])].map((c) => String(c ?? '').length));
      col.width = Math.min(60, Math.max(8, longest + 2));
      if (table.rows.some((r) => typeof r[i] === 'number')) col.numFmt = '#,##0';
    });
    if (table.id === 'summary') {
      sheet.addRow([]);
      if (data.draft) sheet.addRow([tr(lang, 'draft'), tr(lang, 'draft_banner', { date: formatDate(data.asOf) })]).font = { bold: true, color: { argb: 'FF9C4A00' } };
      for (const [label, value] of headerLines(lang, data, stored)) sheet.addRow([label, value]);
    }
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The report as bytes of `format`. */
export async function renderReport(format: ReportFormat, lang: Lang, data: ReportData, stored?: StoredMark): Promise<Buffer> {
  if (format === 'html') return Buffer.from(reportHtml(lang, data, stored), 'utf8');
  if (format === 'json') return Buffer.from(JSON.stringify(stored ? { ...data, stored } : data, null, 1));
  if (format === 'csv') return Buffer.from(reportCsv(lang, data, stored), 'utf8');
  if (format === 'xlsx') return reportXlsx(lang, data, stored);
  return reportPdf(lang, data, stored);
}
