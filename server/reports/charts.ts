import type { Lang } from '../http/i18n.js';
import type { ReportData } from './model.js';
import { monthName, ruleName, tr } from './tables.js';

/**
 * The report's charts as plain shapes (bars, lines, text), drawn by two painters: inline SVG for the
 * HTML report (no JavaScript) and pdfkit for the PDF — the same geometry, so both show the same.
 */
export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; stroke: string }
  | { kind: 'text'; x: number; y: number; text: string; size: number; anchor: 'start' | 'middle' | 'end'; fill: string; bold?: boolean };

export interface Chart {
  id: 'monthly' | 'compliance';
  title: string;
  width: number;
  height: number;
  shapes: Shape[];
}

export const COLORS = { received: '#2f6fb3', accepted: '#2f8f5b', onTime: '#2f8f5b', late: '#d9822b', open: '#9aa5b1', axis: '#5f6b7a', grid: '#d8dee6', text: '#1f2933' };

const text = (x: number, y: number, s: string | number, size = 9, anchor: 'start' | 'middle' | 'end' = 'middle', fill = COLORS.text, bold = false): Shape => ({ kind: 'text', x, y, text: String(s), size, anchor, fill, bold });

/** A round top for the axis, at or above the largest value, whose half is a whole number too: 2, 4, 6, 8, 10 × 10^n. */
export function niceMax(max: number): number {
  if (max <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 4, 6, 8, 10].map((k) => k * p).find((v) => v >= max && (v / 2) % 1 === 0)!;
}

function legend(shapes: Shape[], y: number, x0: number, items: [string, string][]): void {
  let x = x0;
  for (const [color, label] of items) {
    shapes.push({ kind: 'rect', x, y: y - 8, w: 10, h: 10, fill: color }, text(x + 14, y, label, 9, 'start'));
    x += 24 + label.length * 5.2;
  }
}

/** Applications received and deposit versions accepted, month by month: grouped bars. */
export function monthlyChart(lang: Lang, data: ReportData): Chart {
  const width = 640;
  const height = 250;
  const left = 44;
  const top = 16;
  const bottom = height - 58;
  const plotW = width - left - 12;
  const months = data.monthly;
  const max = niceMax(Math.max(0, ...months.flatMap((m) => [m.received, m.accepted])));
  const shapes: Shape[] = [];
  for (const f of [0, 0.5, 1]) {
    const y = bottom - (bottom - top) * f;
    shapes.push({ kind: 'line', x1: left, y1: y, x2: width - 12, y2: y, stroke: f === 0 ? COLORS.axis : COLORS.grid }, text(left - 6, y + 3, Math.round(max * f), 9, 'end', COLORS.axis));
  }
  const slot = plotW / Math.max(1, months.length);
  const barW = Math.min(26, (slot - 12) / 2);
  months.forEach((m, i) => {
    const cx = left + slot * i + slot / 2;
    ([['received', m.received, cx - barW - 1], ['accepted', m.accepted, cx + 1]] as const).forEach(([key, value, x]) => {
      const h = ((bottom - top) * value) / max;
      shapes.push({ kind: 'rect', x, y: bottom - h, w: barW, h, fill: COLORS[key] });
      if (value > 0) shapes.push(text(x + barW / 2, bottom - h - 3, value, 8));
    });
    const [name, year] = [monthName(lang, m.month).split(' ')[0], m.month.slice(0, 4)];
    shapes.push(text(cx, bottom + 13, months.length > 12 ? m.month.slice(5, 7) : name, 9), text(cx, bottom + 24, months.length > 12 && i % 12 !== 0 ? '' : year, 8, 'middle', COLORS.axis));
  });
  legend(shapes, height - 8, left, [
    [COLORS.received, tr(lang, 'chart.legend_received')],
    [COLORS.accepted, tr(lang, 'chart.legend_accepted')],
  ]);
  return { id: 'monthly', title: tr(lang, 'chart.monthly'), width, height, shapes };
}

/** Per rule of the Rules, deadlines met on time, late, and still open: stacked horizontal bars. */
export function complianceChart(lang: Lang, data: ReportData): Chart {
  const width = 640;
  const rowH = 26;
  const left = 250;
  const top = 8;
  const lines = data.compliance;
  const height = top + rowH * lines.length + 36;
  const max = Math.max(1, ...lines.map((l) => l.onTime + l.late + l.open));
  const plotW = width - left - 40;
  const shapes: Shape[] = [];
  lines.forEach((l, i) => {
    const y = top + rowH * i;
    shapes.push(text(left - 8, y + 15, `${ruleName(lang, l.rule)} (${l.clause})`, 9, 'end'));
    let x = left;
    for (const [key, value] of [['onTime', l.onTime], ['late', l.late], ['open', l.open]] as const) {
      if (!value) continue;
      const w = (plotW * value) / max;
      shapes.push({ kind: 'rect', x, y: y + 4, w, h: rowH - 10, fill: COLORS[key] });
      if (w >= 14) shapes.push(text(x + w / 2, y + 15, value, 8, 'middle', '#ffffff', true));
      x += w;
    }
    shapes.push(text(x + 6, y + 15, l.onTime + l.late + l.open, 9, 'start', COLORS.axis));
  });
  shapes.push({ kind: 'line', x1: left, y1: top, x2: left, y2: top + rowH * lines.length, stroke: COLORS.axis });
  legend(shapes, height - 8, left, [
    [COLORS.onTime, tr(lang, 'chart.legend_on_time')],
    [COLORS.late, tr(lang, 'chart.legend_late')],
    [COLORS.open, tr(lang, 'chart.legend_open')],
  ]);
  return { id: 'compliance', title: tr(lang, 'chart.compliance'), width, height, shapes };
}

export const reportCharts = (lang: Lang, data: ReportData): Chart[] => [monthlyChart(lang, data), complianceChart(lang, data)];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => String(Math.round(v * 10) / 10);

/** The chart as an inline SVG element (accessible: a title and role="img"). */
export function chartSvg(chart: Chart): string {
  const body = chart.shapes
    .map((s) => {
      if (s.kind === 'rect') return `<rect x="${n(s.x)}" y="${n(s.y)}" width="${n(s.w)}" height="${n(s.h)}" fill="${s.fill}"/>`;
      if (s.kind === 'line') return `<line x1="${n(s.x1)}" y1="${n(s.y1)}" x2="${n(s.x2)}" y2="${n(s.y2)}" stroke="${s.stroke}" stroke-width="1"/>`;
      return `<text x="${n(s.x)}" y="${n(s.y)}" font-size="${s.size}" text-anchor="${s.anchor}" fill="${s.fill}"${s.bold ? ' font-weight="bold"' : ''}>${esc(s.text)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-${chart.id}" viewBox="0 0 ${chart.width} ${chart.height}" width="${chart.width}" height="${chart.height}" role="img" aria-labelledby="chart-${chart.id}-title" font-family="DejaVu Sans, Arial, sans-serif"><title id="chart-${chart.id}-title">${esc(chart.title)}</title>${body}</svg>`;
}
