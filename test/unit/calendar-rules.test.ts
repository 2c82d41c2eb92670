import { describe, expect, it } from 'vitest';
import { buildCalendar, type Override } from '../../server/calendar/calendar.js';
import { addDays, datesOfYear, isoWeekday } from '../../server/calendar/dates.js';
import { CalendarInvalid } from '../../server/calendar/errors.js';
import { kurbanAitDates } from '../../server/calendar/lunar.js';
import { ruleYear } from '../../server/calendar/rules.js';

const offOf = (year: number) => new Map(ruleYear(year).daysOff.map((d) => [d.date, d]));

describe('rules for years after the official table', () => {
  it('2027: 8 March and 15 March (Constitution Day, new) are Monday holidays; 30 August is a plain day', () => {
    const off = offOf(2027);
    expect(isoWeekday('2027-03-08')).toBe(1);
    expect(isoWeekday('2027-03-15')).toBe(1);
    expect(off.get('2027-03-08')).toMatchObject({ kind: 'holiday', name: { en: "International Women's Day" } });
    expect(off.get('2027-03-15')).toMatchObject({ kind: 'holiday', name: { kk: 'Конституция күні', ru: 'День Конституции', en: 'Constitution Day' } });
    expect(off.has('2027-03-09')).toBe(false);
    expect(off.has('2027-08-30')).toBe(false);
  });

  it('Nauryz 2027 (Sun 21 – Tue 23 March) gives one substitute, after the whole holiday: Wednesday 24', () => {
    const off = offOf(2027);
    expect([21, 22, 23].map((d) => isoWeekday(`2027-03-${d}`))).toEqual([7, 1, 2]);
    expect(['2027-03-21', '2027-03-22', '2027-03-23'].map((d) => off.get(d)?.kind)).toEqual(['holiday', 'holiday', 'holiday']);
    expect(off.get('2027-03-24')).toMatchObject({ kind: 'substitute', name: { en: 'Nauryz (substitute)', ru: 'Наурыз мейрамы (перенос)' } });
    expect(off.has('2027-03-25')).toBe(false);
    const calendar = buildCalendar([]);
    expect(calendar.isWorkingDay('2027-03-24')).toBe(false);
    expect(calendar.isWorkingDay('2027-03-25')).toBe(true);
  });

  it('a substitute skips a holiday in the way: 7 May 2022 (Saturday) gives Tuesday 10 May, Monday 9 May being Victory Day', () => {
    const off = offOf(2022);
    expect(off.get('2022-05-09')?.kind).toBe('holiday');
    expect(off.get('2022-05-10')).toMatchObject({ kind: 'substitute', name: { en: 'Defender of the Fatherland Day (substitute)' } });
  });

  it('New Year on a weekend (2022: Sat 1, Sun 2 January) gives two substitutes, Monday 3 and Tuesday 4', () => {
    const off = offOf(2022);
    expect(off.get('2022-01-03')?.kind).toBe('substitute');
    expect(off.get('2022-01-04')?.kind).toBe('substitute');
    expect(off.has('2022-01-05')).toBe(false);
  });

  it('Christmas and Kurban Ait are days off without substitute even on a Sunday', () => {
    // 7 January 2029 and Kurban Ait 2027 (16 May) are Sundays.
    expect(isoWeekday('2029-01-07')).toBe(7);
    expect(offOf(2029).get('2029-01-07')).toMatchObject({ kind: 'day_off', name: { en: 'Orthodox Christmas' } });
    expect(offOf(2029).has('2029-01-08')).toBe(false);
    expect(offOf(2027).get('2027-05-16')).toMatchObject({ kind: 'day_off', name: { kk: 'Құрбан айт' } });
    expect(isoWeekday('2027-05-16')).toBe(7);
    expect(offOf(2027).has('2027-05-17')).toBe(false);
  });

  it("follows the law's changes: 1 and 17 December until 2021, Republic Day from 2022, Constitution Day moved", () => {
    expect(offOf(2021).get('2021-12-17')?.kind).toBe('holiday');
    expect(offOf(2021).get('2021-12-01')?.kind).toBe('holiday');
    expect(offOf(2021).has('2021-10-25')).toBe(false);
    expect(offOf(2022).has('2022-12-17')).toBe(false);
    expect(offOf(2022).has('2022-12-01')).toBe(false);
    expect(offOf(2022).get('2022-10-25')?.kind).toBe('holiday');
    expect(offOf(2025).get('2025-08-30')?.kind).toBe('holiday');
    expect(offOf(2026).has('2026-08-30')).toBe(false);
    expect(offOf(2026).has('2026-03-15')).toBe(false);
  });

  it('adds nothing when Kurban Ait falls on a holiday (22 March 2032, Nauryz)', () => {
    expect(kurbanAitDates(2032)).toEqual(['2032-03-22']);
    expect(offOf(2032).get('2032-03-22')).toMatchObject({ kind: 'holiday', name: { en: 'Nauryz' } });
    expect(ruleYear(2032).daysOff.filter((d) => d.kind === 'day_off').map((d) => d.date)).toEqual(['2032-01-07']);
  });

  it('has a Kurban Ait and a plausible count of working days for every year 2020–2100', () => {
    const calendar = buildCalendar([]);
    for (let y = 2020; y <= 2100; y++) {
      const kurban = kurbanAitDates(y);
      expect(kurban.length, `Kurban Ait ${y}`).toBeGreaterThanOrEqual(1);
      const off = calendar.year(y).daysOff.map((d) => d.date);
      expect(kurban.every((d) => off.includes(d)), `Kurban Ait ${y} off`).toBe(true);
      expect(calendar.year(y).workingDays, `working days ${y}`).toBeGreaterThanOrEqual(240);
      expect(calendar.year(y).workingDays, `working days ${y}`).toBeLessThanOrEqual(252);
    }
  });
});

describe('working-day arithmetic', () => {
  const calendar = buildCalendar([]);

  it('adds working days over the holidays of 2026 and the turn of the year', () => {
    expect(calendar.addWorkingDays('2026-03-19', 3)).toBe('2026-03-27');
    expect(calendar.addWorkingDays('2026-05-06', 3)).toBe('2026-05-13');
    expect(calendar.addWorkingDays('2025-12-29', 10)).toBe('2026-01-15');
  });

  it('gives the date itself for n = 0 on a working day, else the next working day', () => {
    expect(calendar.addWorkingDays('2026-03-19', 0)).toBe('2026-03-19');
    expect(calendar.addWorkingDays('2026-03-21', 0)).toBe('2026-03-26');
  });

  it('counts working days in (a, b] consistently with addWorkingDays, and negatively backwards', () => {
    let a = '2025-01-01';
    for (let i = 0; i < 200; i++) {
      const n = 1 + ((i * 7) % 23);
      const b = calendar.addWorkingDays(a, n);
      expect(calendar.workingDaysBetween(a, b)).toBe(n);
      expect(calendar.isWorkingDay(b)).toBe(true);
      expect(calendar.workingDaysBetween(a, addDays(b, -1))).toBe(n - 1);
      expect(calendar.workingDaysBetween(b, a)).toBe(-calendar.workingDaysBetween(a, b));
      a = addDays(a, 5);
    }
    expect(calendar.workingDaysBetween('2026-03-19', '2026-03-19')).toBe(0);
    expect(calendar.workingDaysBetween('2026-03-21', calendar.addWorkingDays('2026-03-21', 0))).toBe(1);
    expect(calendar.workingDaysBetween('2026-03-20', '2026-03-26')).toBe(1);
    expect(calendar.workingDaysBetween('2025-12-31', '2026-12-31')).toBe(247);
    expect(calendar.workingDaysBetween('2024-12-31', '2025-12-31')).toBe(246);
  });

  it('refuses a malformed date, a negative count and dates outside 2020–2100', () => {
    expect(() => calendar.isWorkingDay('2026-02-30')).toThrow(CalendarInvalid);
    expect(() => calendar.isWorkingDay('19.03.2026')).toThrow(CalendarInvalid);
    expect(() => calendar.addWorkingDays('2026-03-19', -1)).toThrow(CalendarInvalid);
    expect(() => calendar.addWorkingDays('2026-03-19', 1.5)).toThrow(CalendarInvalid);
    expect(() => calendar.isWorkingDay('2019-12-31')).toThrow(expect.objectContaining({ code: 'calendar_out_of_range', status: 400 }));
    expect(() => calendar.addWorkingDays('2100-12-30', 5)).toThrow(expect.objectContaining({ code: 'calendar_out_of_range' }));
    expect(() => calendar.year(2101)).toThrow(CalendarInvalid);
  });
});

describe('overrides (Government decrees) on top of the rules', () => {
  const at = '2026-11-23T10:00:00Z';
  const overrides: Override[] = [
    { date: '2027-01-09', working: true, basis: 'Decree No. 1', createdAt: at }, // a Saturday worked
    { date: '2027-01-08', working: false, basis: 'Decree No. 1', createdAt: at }, // Friday off
    { date: '2027-03-08', working: false, basis: 'Decree No. 2', createdAt: at }, // already a holiday
  ];
  const calendar = buildCalendar(overrides);
  const plain = buildCalendar([]);

  it('moves a day off: the Friday is off as an override, the Saturday worked, the count unchanged', () => {
    const view = calendar.year(2027);
    expect(view.daysOff.find((d) => d.date === '2027-01-08')).toMatchObject({ kind: 'override', basis: 'Decree No. 1' });
    expect(view.workingWeekendDays).toEqual([expect.objectContaining({ date: '2027-01-09', kind: 'override', basis: 'Decree No. 1' })]);
    expect(calendar.isWorkingDay('2027-01-08')).toBe(false);
    expect(calendar.isWorkingDay('2027-01-09')).toBe(true);
    expect(view.workingDays).toBe(plain.year(2027).workingDays);
    expect(view.overrides.map((o) => o.date)).toEqual(['2027-01-08', '2027-01-09', '2027-03-08']);
  });

  it("keeps the holiday's own kind and name when a decree says 'off' on a day already off", () => {
    expect(calendar.year(2027).daysOff.find((d) => d.date === '2027-03-08')).toMatchObject({ kind: 'holiday' });
  });

  it('changes deadlines counted across the moved days', () => {
    // Wed 6 January; Thu 7 is Christmas; the decree moves Friday 8 to Saturday 9.
    expect(plain.addWorkingDays('2027-01-06', 1)).toBe('2027-01-08');
    expect(calendar.addWorkingDays('2027-01-06', 1)).toBe('2027-01-09');
    expect(calendar.workingDaysBetween('2027-01-06', '2027-01-11')).toBe(plain.workingDaysBetween('2027-01-06', '2027-01-11'));
  });

  it('leaves other years untouched', () => {
    expect(datesOfYear(2026).filter((d) => calendar.isWorkingDay(d) !== plain.isWorkingDay(d))).toEqual([]);
  });
});
