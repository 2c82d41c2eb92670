import { join } from 'node:path';
import { Eta } from 'eta';
import type { Lang } from '../http/i18n.js';
import { templatesDir } from '../paths.js';
import { formatDate } from '../intake/read.js';
import { chartSvg, reportCharts } from './charts.js';
import type { StoredMark } from './formats.js';
import type { ReportData } from './model.js';
import { grouped, headerLines, periodTitle, reportTables, tr, type ReportTable } from './tables.js';

/**
 * What the HTML report prints, worked out in the report's language (which may differ from the
 * page's): the Eta views (`reports/_document.eta`) only lay it out. Charts are inline SVG.
 */
export interface DocumentModel {
  lang: Lang;
  title: string;
  subtitle: string;
  period: string;
  draft: string | null;
  draftLabel: string | null;
  header: [string, string][];
  tables: (ReportTable & { numeric: boolean[]; cells: string[][] })[];
  chartsTitle: string;
  charts: { id: string; title: string; svg: string }[];
  none: string;
}

export function documentModel(lang: Lang, data: ReportData, stored?: StoredMark): DocumentModel {
  return {
    lang,
    title: tr(lang, 'title'),
    subtitle: tr(lang, 'subtitle'),
    period: periodTitle(lang, data.period),
    draft: data.draft ? tr(lang, 'draft_banner', { date: formatDate(data.asOf) }) : null,
    draftLabel: data.draft ? tr(lang, 'draft') : null,
    header: headerLines(lang, data, stored),
    tables: reportTables(lang, data).map((table) => ({
      ...table,
      numeric: table.columns.map((_, i) => table.rows.length > 0 && table.rows.every((r) => typeof r[i] === 'number')),
      cells: table.rows.map((r) => r.map((c) => String(grouped(c)))),
    })),
    chartsTitle: tr(lang, 'sections.charts'),
    charts: reportCharts(lang, data).map((c) => ({ id: c.id, title: c.title, svg: chartSvg(c) })),
    none: tr(lang, 'none'),
  };
}

const eta = new Eta({ views: join(templatesDir, 'views'), cache: true, autoEscape: true, autoTrim: false });

/** The report as a self-contained printable HTML file (`reports/print.eta`: inline styles, inline SVG, no scripts). */
export function reportHtml(lang: Lang, data: ReportData, stored?: StoredMark): string {
  return eta.render('reports/print', { doc: documentModel(lang, data, stored) });
}
