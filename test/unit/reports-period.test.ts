import { describe, expect, it } from 'vitest';
import { buildCalendar } from '../../server/calendar/calendar.js';
import { chartSvg, niceMax, type Chart } from '../../server/reports/charts.js';
import { halfYear, halfYearOf, monthsOf, parsePeriod, periodState, previousHalfYear, scheduleDay } from '../../server/reports/period.js';
import { halfYearChoices } from '../../server/reports/pages.js';

describe('report periods (Rules p.13: each half-year, due the 10th of the month after it)', () => {
  it('parses half-years with their bounds and due dates', () => {
    expect(halfYear('2026-H1')).toEqual({ key: '2026-H1', from: '2026-01-01', to: '2026-06-30', dueDate: '2026-07-10' });
    expect(halfYear('2026-H2')).toEqual({ key: '2026-H2', from: '2026-07-01', to: '2026-12-31', dueDate: '2027-01-10' });
    for (const bad of ['2026-H3', '2026-h1', '2026H1', ' 2026-H1', '1999-H1', '2101-H1', '']) expect(halfYear(bad), bad).toBeNull();
  });

  it('refuses what is not a half-year or a sane range, naming the problem', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return null;
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    expect(code(() => parsePeriod('2026-Q1'))).toBe('report_period_invalid');
    expect(code(() => parsePeriod('range', { from: '2026-01-01' }))).toBe('report_date_invalid');
    expect(code(() => parsePeriod('range', { from: '2026-02-29', to: '2026-03-01' }))).toBe('report_date_invalid');
    expect(code(() => parsePeriod('range', { from: '2026-03-02', to: '2026-03-01' }))).toBe('report_range_reversed');
    expect(code(() => parsePeriod('range', { from: '2024-01-01', to: '2026-12-31' }))).toBe('report_range_too_long');
    expect(parsePeriod('range', { from: '2026-03-01', to: '2026-03-01' })).toEqual({ key: null, from: '2026-03-01', to: '2026-03-01', dueDate: null });
  });

  it('tells a future period from a running one (a draft) and an ended one', () => {
    const h2 = halfYear('2026-H2')!;
    expect(periodState(h2, '2026-06-30')).toBe('future');
    expect(periodState(h2, '2026-07-01')).toBe('draft');
    expect(periodState(h2, '2026-12-31')).toBe('draft');
    expect(periodState(h2, '2027-01-01')).toBe('final');
  });

  it('knows the half-year a day is in and the one whose report is due next', () => {
    expect(halfYearOf('2026-06-30').key).toBe('2026-H1');
    expect(halfYearOf('2026-07-01').key).toBe('2026-H2');
    expect(previousHalfYear('2026-07-01').key).toBe('2026-H1');
    expect(previousHalfYear('2027-01-05').key).toBe('2026-H2');
    expect(previousHalfYear('2026-06-30').key).toBe('2025-H2');
    expect(monthsOf('2026-11-15', '2027-02-01')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
  });

  it('schedules the report on the first working day of January and July, holidays counted', () => {
    const calendar = buildCalendar([]);
    expect(scheduleDay(calendar, halfYear('2025-H2')!)).toBe('2026-01-05'); // 1–2 Jan holidays, then the weekend
    expect(scheduleDay(calendar, halfYear('2026-H1')!)).toBe('2026-07-01');
    expect(scheduleDay(calendar, halfYear('2026-H2')!)).toBe('2027-01-05'); // 2 Jan 2027 is a Saturday: 4 Jan is off
    // A decree that makes 1 July 2026 a day off moves the job to the next working day.
    const decreed = buildCalendar([{ date: '2026-07-01', working: false, basis: 'decree', createdAt: '2026-06-01T00:00:00Z' }]);
    expect(scheduleDay(decreed, halfYear('2026-H1')!)).toBe('2026-07-02');
  });

  it('offers the half-years from 2025 to the current one in the forms', () => {
    expect(halfYearChoices('2026-08-01')).toEqual([
      { key: '2026-H2', ended: false },
      { key: '2026-H1', ended: true },
      { key: '2025-H2', ended: true },
      { key: '2025-H1', ended: true },
    ]);
  });
});

describe('report charts', () => {
  it('rounds the axis up to a top whose half is whole', () => {
    expect([0, 1, 2, 3, 5, 7, 11, 15, 45, 999].map(niceMax)).toEqual([2, 2, 2, 4, 6, 8, 20, 20, 60, 1000]);
  });

  it('draws SVG with escaped text and a title', () => {
    const chart: Chart = { id: 'monthly', title: 'A & <B>', width: 10, height: 10, shapes: [{ kind: 'text', x: 1, y: 2, text: '<script>', size: 9, anchor: 'middle', fill: '#000' }] };
    const svg = chartSvg(chart);
    expect(svg).toContain('<title id="chart-monthly-title">A &amp; &lt;B&gt;</title>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).not.toContain('<script>');
  });
});
