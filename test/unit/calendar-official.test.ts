import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { buildCalendar } from '../../server/calendar/calendar.js';
import { datesOfYear, isoWeekday } from '../../server/calendar/dates.js';
import { officialDecrees } from '../../server/calendar/official.js';
import { ruleYear, type YearDays } from '../../server/calendar/rules.js';
import { templatesDir } from '../../server/paths.js';

/** The official table read straight from the file, without the code under test. */
interface RawYear {
  workingDays: number;
  daysOff: { date: string; kind: string; name: { kk: string; ru: string; en: string } }[];
  workingWeekendDays: string[];
}
const raw = JSON.parse(readFileSync(join(templatesDir, 'calendar', 'kz-official.json'), 'utf8')) as { years: Record<string, RawYear> };

/** What a day is by the table: 'working' or the kind of day off ('weekend' for a plain Saturday/Sunday). */
function tableDay(date: string): string {
  const year = raw.years[date.slice(0, 4)];
  const off = year.daysOff.find((d) => d.date === date);
  if (off) return off.kind;
  if (year.workingWeekendDays.includes(date)) return 'working';
  return isoWeekday(date) >= 6 ? 'weekend' : 'working';
}

function computedDay(days: YearDays, date: string): string {
  const off = days.daysOff.find((d) => d.date === date);
  if (off) return off.kind;
  if (days.workingWeekendDays.some((d) => d.date === date)) return 'working';
  return isoWeekday(date) >= 6 ? 'weekend' : 'working';
}

const DAYS = [...datesOfYear(2025), ...datesOfYear(2026)];

describe('the official calendar 2025–2026', () => {
  it('is reproduced by the rules (plus the decreed 2025 transfer) on every one of the 730 days, kind and name', () => {
    expect(DAYS).toHaveLength(730);
    const byRules = { 2025: ruleYear(2025, officialDecrees(2025)), 2026: ruleYear(2026, officialDecrees(2026)) };
    const mismatches = DAYS.filter((d) => computedDay(byRules[Number(d.slice(0, 4)) as 2025 | 2026], d) !== tableDay(d));
    expect(mismatches).toEqual([]);
    for (const y of [2025, 2026] as const) {
      expect(byRules[y].daysOff.map((d) => [d.date, d.kind, d.name])).toEqual(raw.years[y].daysOff.map((d) => [d.date, d.kind, d.name]));
    }
  });

  it('is what the service calendar answers on every one of the 730 days', () => {
    const calendar = buildCalendar([]);
    const answers = DAYS.map((d) => [d, calendar.isWorkingDay(d)]);
    expect(answers).toEqual(DAYS.map((d) => [d, tableDay(d) === 'working']));
    const kinds = DAYS.map((d) => computedDay(calendar.year(Number(d.slice(0, 4))), d));
    expect(kinds).toEqual(DAYS.map(tableDay));
  });

  it('has 246 working days in 2025 and 247 in 2026, as the table states', () => {
    const calendar = buildCalendar([]);
    expect(calendar.year(2025).workingDays).toBe(246);
    expect(calendar.year(2026).workingDays).toBe(247);
    expect(raw.years['2025'].workingDays).toBe(246);
    expect(raw.years['2026'].workingDays).toBe(247);
    const byRules = (y: number) => datesOfYear(y).filter((d) => computedDay(ruleYear(y, officialDecrees(y)), d) === 'working').length;
    expect([byRules(2025), byRules(2026)]).toEqual([246, 247]);
  });

  it('knows the traps: Nauryz 2026 runs 21–25 March, 2025 had a working Sunday, Constitution Day is off on neither date in 2026', () => {
    const calendar = buildCalendar([]);
    expect(['2026-03-21', '2026-03-22', '2026-03-23', '2026-03-24', '2026-03-25'].map((d) => calendar.isWorkingDay(d))).toEqual([false, false, false, false, false]);
    expect(calendar.isWorkingDay('2026-03-26')).toBe(true);
    expect(calendar.isWorkingDay('2025-01-05')).toBe(true);
    expect(calendar.isWorkingDay('2025-01-03')).toBe(false);
    expect(['2026-03-15', '2026-03-16', '2026-08-30', '2026-08-31'].map((d) => calendar.isWorkingDay(d))).toEqual([false, true, false, true]);
    expect(calendar.year(2026).daysOff.some((d) => d.name.en === 'Constitution Day')).toBe(false);
  });
});

describe('date-holidays (KZ) is not followed where it is wrong (a pin: if the library is fixed, this fails and says so)', () => {
  const hd = new Holidays('KZ');
  const library2026 = hd.getHolidays(2026, 'en').map((h) => h.date.slice(0, 10));

  it('the library gives 16 March 2026 as a day off, and we do not', () => {
    expect(library2026).toContain('2026-03-16');
    expect(buildCalendar([]).isWorkingDay('2026-03-16')).toBe(true);
    expect(ruleYear(2026).daysOff.map((d) => d.date)).not.toContain('2026-03-16');
  });

  it('the library misses 25 March 2026 (the second Nauryz substitute), and we do not', () => {
    expect(library2026).not.toContain('2026-03-25');
    expect(buildCalendar([]).isWorkingDay('2026-03-25')).toBe(false);
    expect(ruleYear(2026).daysOff.find((d) => d.date === '2026-03-25')?.kind).toBe('substitute');
  });
});
