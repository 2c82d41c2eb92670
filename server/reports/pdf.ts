import type { Lang } from '../http/i18n.js';
import { formatDate } from '../intake/read.js';
import { createPdf, pdfBuffer } from '../util/pdf.js';
import { reportCharts, type Chart } from './charts.js';
import type { ReportData } from './model.js';
import { grouped, headerLines, periodTitle, reportTables, tr, type ReportTable } from './tables.js';

/**
 * The report as a PDF (A4 landscape): the same header, tables and charts as the HTML, in one
 * language, with the DejaVu fonts embedded so Kazakh letters print as they are. Dated with the
 * report's generation time, so a stored report always gives the same bytes.
 */
const MARGIN = 36;

/** Column weights per table: wide for names, narrow for numbers. */
const WEIGHTS: Record<ReportTable['id'], number[]> = {
  summary: [6, 1.4],
  categories: [5, 1.2, 1.6],
  grantees: [1.4, 6, 1.4, 1.4],
  compliance: [3.4, 0.8, 1, 1, 1, 1.2, 1.2, 1, 1],
  bodies: [1.7, 3.2, 0.9, 1, 0.9, 1, 0.9, 0.9, 1.7, 0.9, 0.9, 0.9, 0.8, 0.8],
  monthly: [3, 1.5, 1.5, 1.5],
  exceptions: [1.4, 1.7, 1.2, 2, 2.2, 2.2, 1.4, 1, 0.7, 2.4],
};

export async function reportPdf(lang: Lang, data: ReportData, stored?: { revision: number; sha256: string }): Promise<Buffer> {
  const doc = createPdf({ title: `${tr(lang, 'title')} — ${periodTitle(lang, data.period)}`, date: new Date(data.generatedAt), layout: 'landscape', margin: MARGIN });
  const done = pdfBuffer(doc);
  const width = doc.page.width - 2 * MARGIN;

  doc.font('bold').fontSize(15).text(tr(lang, 'title'), { align: 'center' });
  doc.font('body').fontSize(10).text(tr(lang, 'subtitle'), { align: 'center' });
  doc.font('bold').fontSize(12).text(periodTitle(lang, data.period), { align: 'center' }).moveDown(0.6);
  if (data.draft) {
    doc.save().rect(MARGIN, doc.y, width, 30).fill('#fff4e5').restore();
    doc.fillColor('#9c4a00').font('bold').fontSize(10).text(tr(lang, 'draft_banner', { date: formatDate(data.asOf) }), MARGIN + 8, doc.y + 6, { width: width - 16 });
    doc.fillColor('black').moveDown(1);
  }
  doc.fontSize(9);
  for (const [label, value] of headerLines(lang, data, stored)) {
    doc.font('bold').text(`${label}: `, MARGIN, doc.y, { continued: true }).font(label === tr(lang, 'sha256') ? 'mono' : 'body').text(value);
  }
  doc.moveDown(0.8);

  for (const table of reportTables(lang, data)) drawTable(doc, table, width, tr(lang, 'none'));
  for (const chart of reportCharts(lang, data)) drawChart(doc, chart, width);

  // Page numbers: "n / total" at the foot of every page, inside the bottom margin (which pdfkit
  // would otherwise answer with a new page).
  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    doc.page.margins.bottom = 0;
    doc.font('body').fontSize(8).fillColor('#5f6b7a').text(`${data.period.key ?? ''} · ${i + 1} / ${range.count}`, MARGIN, doc.page.height - MARGIN + 10, { width, align: 'right', lineBreak: false });
  }
  doc.fillColor('black');
  doc.end();
  return done;
}

function ensureSpace(doc: PDFKit.PDFDocument, needed: number): void {
  if (doc.y + needed > doc.page.height - MARGIN) doc.addPage();
}

function drawTable(doc: PDFKit.PDFDocument, table: ReportTable, width: number, none: string): void {
  const weights = WEIGHTS[table.id];
  const total = weights.reduce((a, b) => a + b, 0);
  const widths = weights.map((w) => (width * w) / total);
  const pad = 3;
  // Laying text out is what costs here (fontkit shapes every string): a number is one line, and a
  // text already measured at this width is not measured again.
  const heights = new Map<string, number>();
  const rowHeight = (cells: string[], font: string, size: number, numeric: boolean[] = []) => {
    doc.font(font).fontSize(size);
    const line = doc.currentLineHeight(true);
    const measure = (c: string, i: number) => {
      if (numeric[i] || !c) return line;
      const key = `${font}|${size}|${i}|${c}`;
      let h = heights.get(key);
      if (h === undefined) heights.set(key, (h = doc.heightOfString(c, { width: widths[i] - 2 * pad })));
      return h;
    };
    return Math.max(...cells.map(measure)) + 2 * pad;
  };
  const drawRow = (cells: string[], opts: { header?: boolean; numeric?: boolean[] }) => {
    const font = opts.header ? 'bold' : 'body';
    const size = opts.header ? 7.5 : 8;
    const h = rowHeight(cells, font, size, opts.numeric);
    if (doc.y + h > doc.page.height - MARGIN) {
      doc.addPage();
      if (!opts.header) drawRow(table.columns, { header: true });
    }
    const y = doc.y;
    if (opts.header) doc.save().rect(MARGIN, y, width, h).fill('#e9eef3').restore();
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.font(font).fontSize(size).fillColor('black').text(cell, x + pad, y + pad, { width: widths[i] - 2 * pad, align: opts.numeric?.[i] ? 'right' : 'left' });
      x += widths[i];
    });
    doc.save().lineWidth(0.5).strokeColor('#c5ced8').rect(MARGIN, y, width, h).stroke().restore();
    doc.x = MARGIN;
    doc.y = y + h;
  };

  ensureSpace(doc, 60);
  doc.font('bold').fontSize(11).fillColor('black').text(table.title, MARGIN, doc.y).moveDown(0.3);
  drawRow(table.columns, { header: true });
  if (!table.rows.length) doc.font('body').fontSize(8).text(none, MARGIN + pad, doc.y + pad);
  for (const row of table.rows) drawRow(row.map((c) => String(grouped(c))), { numeric: row.map((c) => typeof c === 'number') });
  doc.moveDown(1);
}

function drawChart(doc: PDFKit.PDFDocument, chart: Chart, width: number): void {
  const scale = Math.min(1, width / chart.width);
  ensureSpace(doc, chart.height * scale + 30);
  doc.font('bold').fontSize(11).fillColor('black').text(chart.title, MARGIN, doc.y).moveDown(0.3);
  const ox = MARGIN;
  const oy = doc.y;
  for (const s of chart.shapes) {
    if (s.kind === 'rect') {
      if (s.w > 0 && s.h > 0) doc.save().rect(ox + s.x * scale, oy + s.y * scale, s.w * scale, s.h * scale).fill(s.fill).restore();
    } else if (s.kind === 'line') {
      doc.save().lineWidth(0.7).strokeColor(s.stroke).moveTo(ox + s.x1 * scale, oy + s.y1 * scale).lineTo(ox + s.x2 * scale, oy + s.y2 * scale).stroke().restore();
    } else {
      const size = s.size * scale;
      doc.font(s.bold ? 'bold' : 'body').fontSize(size).fillColor(s.fill);
      const w = doc.widthOfString(s.text);
      const x = s.anchor === 'start' ? s.x * scale : s.anchor === 'end' ? s.x * scale - w : s.x * scale - w / 2;
      // SVG places text by its baseline, pdfkit by its top: lift by the font's ascent.
      doc.text(s.text, ox + x, oy + s.y * scale - size * 0.93, { lineBreak: false });
    }
  }
  doc.fillColor('black');
  doc.x = MARGIN;
  doc.y = oy + chart.height * scale + 12;
}
