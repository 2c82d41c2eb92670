import { addDays, dateOf, isWeekend } from './dates.js';
import { kurbanAitDates } from './lunar.js';

/**
 * The rules that make Kazakhstan's calendar of days off for a five-day week, for any year, as pure
 * functions. Sources: the Law "On holidays in the Republic of Kazakhstan" (holidays and religious
 * days off), the Labour Code (a day off that coincides with a holiday moves to the next working
 * day after the holiday), and the rules summarised in templates/calendar/kz-official.json, whose
 * 2025–2026 table these rules reproduce day by day (test/unit/calendar-official.test.ts).
 */

export type DayKind = 'holiday' | 'day_off' | 'substitute' | 'transfer' | 'override';
export const DAY_KINDS: readonly DayKind[] = ['holiday', 'day_off', 'substitute', 'transfer', 'override'];

export interface Names {
  kk: string;
  ru: string;
  en: string;
}

/** A day that is not worked although it may be a weekday, or a named holiday on a weekend. */
export interface DayOff {
  date: string;
  kind: DayKind;
  name: Names;
  /** The decree an override cites. */
  basis?: string;
}

/** A Saturday or Sunday that is worked (a decreed transfer or an override). */
export interface WorkingWeekendDay {
  date: string;
  kind: 'transfer' | 'override';
  name: Names;
  basis?: string;
}

/** One year's exceptions to "Monday to Friday": what a year view is built from. */
export interface YearDays {
  year: number;
  daysOff: DayOff[];
  workingWeekendDays: WorkingWeekendDay[];
}

const NEW_YEAR: Names = { kk: 'Жаңа жыл', ru: 'Новый год', en: 'New Year' };
const WOMEN: Names = { kk: 'Халықаралық әйелдер күні', ru: 'Международный женский день', en: "International Women's Day" };
const CONSTITUTION: Names = { kk: 'Конституция күні', ru: 'День Конституции', en: 'Constitution Day' };
const NAURYZ: Names = { kk: 'Наурыз мейрамы', ru: 'Наурыз мейрамы', en: 'Nauryz' };
const UNITY: Names = { kk: 'Қазақстан халқының бірлігі күні', ru: 'Праздник единства народа Казахстана', en: 'Unity Day' };
const DEFENDER: Names = { kk: 'Отан Қорғаушы күні', ru: 'День защитника Отечества', en: 'Defender of the Fatherland Day' };
const VICTORY: Names = { kk: 'Жеңіс күні', ru: 'День Победы', en: 'Victory Day' };
const CAPITAL: Names = { kk: 'Астана күні', ru: 'День Столицы', en: 'Capital Day' };
const REPUBLIC: Names = { kk: 'Республика күні', ru: 'День Республики', en: 'Republic Day' };
const FIRST_PRESIDENT: Names = { kk: 'Тұңғыш Президент күні', ru: 'День Первого Президента', en: "First President's Day" };
const INDEPENDENCE: Names = { kk: 'Тәуелсіздік күні', ru: 'День Независимости', en: 'Independence Day' };
const CHRISTMAS: Names = { kk: 'Православиелік Рождество', ru: 'Православное Рождество', en: 'Orthodox Christmas' };
const KURBAN_AIT: Names = { kk: 'Құрбан айт', ru: 'Курбан айт', en: 'Kurban Ait' };

/** Names of what the operator enters (overrides) and of decreed working days without a name. */
export const OVERRIDE_OFF: Names = { kk: 'Демалыс күні (Үкімет шешімі)', ru: 'Выходной день (решение Правительства)', en: 'Day off (Government decree)' };
export const OVERRIDE_WORKING: Names = { kk: 'Жұмыс күні (Үкімет шешімі)', ru: 'Рабочий день (решение Правительства)', en: 'Working day (Government decree)' };
export const TRANSFER_WORKING: Names = { kk: 'Жұмыс күні (демалыс күні ауыстырылды)', ru: 'Рабочий день (перенос выходного дня)', en: 'Working day (day off moved)' };

/** "Nauryz" → "Nauryz (substitute)", in the words the official calendar uses. */
export function substituteName(of: Names): Names {
  return { kk: `${of.kk} (ауыстырылған демалыс)`, ru: `${of.ru} (перенос)`, en: `${of.en} (substitute)` };
}

interface HolidayRule {
  month: number;
  day: number;
  name: Names;
  /** First and last year the date is a holiday (inclusive). */
  from?: number;
  to?: number;
}

/** Holidays (мереке күндері): non-working days that move a coinciding weekend day. */
const HOLIDAYS: HolidayRule[] = [
  { month: 1, day: 1, name: NEW_YEAR },
  { month: 1, day: 2, name: NEW_YEAR },
  { month: 3, day: 8, name: WOMEN },
  // The Constitution of 15 March 2026 moved Constitution Day; 2026 observes neither date.
  { month: 3, day: 15, name: CONSTITUTION, from: 2027 },
  { month: 3, day: 21, name: NAURYZ },
  { month: 3, day: 22, name: NAURYZ },
  { month: 3, day: 23, name: NAURYZ },
  { month: 5, day: 1, name: UNITY },
  { month: 5, day: 7, name: DEFENDER },
  { month: 5, day: 9, name: VICTORY },
  { month: 7, day: 6, name: CAPITAL },
  { month: 8, day: 30, name: CONSTITUTION, to: 2025 },
  // Republic Day became a holiday, and 1 December and 17 December stopped being ones, in 2022.
  { month: 10, day: 25, name: REPUBLIC, from: 2022 },
  { month: 12, day: 1, name: FIRST_PRESIDENT, to: 2021 },
  { month: 12, day: 16, name: INDEPENDENCE },
  { month: 12, day: 17, name: INDEPENDENCE, to: 2021 },
];

/** The holidays of a year, in date order. */
export function holidaysOf(year: number): DayOff[] {
  return HOLIDAYS.filter((h) => (h.from ?? 0) <= year && year <= (h.to ?? Infinity)).map((h) => ({
    date: dateOf(year, h.month, h.day),
    kind: 'holiday' as const,
    name: h.name,
  }));
}

/** Religious days off (демалыс күндері): not worked, but a weekend one gives no substitute. */
export function religiousDaysOffOf(year: number): DayOff[] {
  return [
    { date: dateOf(year, 1, 7), kind: 'day_off' as const, name: CHRISTMAS },
    ...kurbanAitDates(year).map((date) => ({ date, kind: 'day_off' as const, name: KURBAN_AIT })),
  ];
}

/**
 * The days off of a year by the rules alone (no decrees): holidays, religious days off, and a
 * substitute for every holiday on a Saturday or Sunday. The substitutes of a holiday of several
 * days follow the whole holiday, one per weekend day, on the next working days: Nauryz 2026
 * (Sat 21 – Mon 23) gives Tue 24 and Wed 25, Nauryz 2025 (Fri 21 – Sun 23) Mon 24 and Tue 25.
 */
export function ruleDaysOff(year: number): DayOff[] {
  const off = new Map<string, DayOff>();
  for (const h of holidaysOf(year)) off.set(h.date, h);
  // A religious day off on a holiday adds nothing: the holiday already stops work.
  for (const d of religiousDaysOffOf(year)) if (!off.has(d.date)) off.set(d.date, d);

  // Holidays are not working days, so "the next working day" after a weekend holiday already lies
  // after the whole holiday; in date order, each takes the first working day not yet taken.
  const isWorking = (date: string) => !isWeekend(date) && !off.has(date);
  for (const holiday of holidaysOf(year).filter((h) => isWeekend(h.date))) {
    let day = holiday.date;
    do day = addDays(day, 1);
    while (!isWorking(day));
    off.set(day, { date: day, kind: 'substitute', name: substituteName(holiday.name) });
  }
  return [...off.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** A decree (official transfer) or an operator's override of one date. */
export interface DayChange {
  date: string;
  working: boolean;
  kind: 'transfer' | 'override';
  name?: Names;
  basis?: string;
}

/**
 * Applies decrees in order on top of a year's days: a working one makes the day worked (a weekend
 * one is listed as a working weekend day); a day-off one makes the day off, keeping the name of a
 * day that was already off for a reason of its own.
 */
export function applyChanges(base: YearDays, changes: DayChange[]): YearDays {
  const off = new Map(base.daysOff.map((d) => [d.date, d]));
  const working = new Map(base.workingWeekendDays.map((d) => [d.date, d]));
  for (const c of changes) {
    const basis = c.basis === undefined ? {} : { basis: c.basis };
    if (c.working) {
      off.delete(c.date);
      if (isWeekend(c.date)) working.set(c.date, { date: c.date, kind: c.kind, name: c.name ?? (c.kind === 'override' ? OVERRIDE_WORKING : TRANSFER_WORKING), ...basis });
    } else {
      working.delete(c.date);
      if (!off.has(c.date)) off.set(c.date, { date: c.date, kind: c.kind, name: c.name ?? OVERRIDE_OFF, ...basis });
    }
  }
  const byDate = <T extends { date: string }>(a: T, b: T) => (a.date < b.date ? -1 : 1);
  return { year: base.year, daysOff: [...off.values()].sort(byDate), workingWeekendDays: [...working.values()].sort(byDate) };
}

/** A year by the rules plus the given decrees. */
export function ruleYear(year: number, decrees: DayChange[] = []): YearDays {
  return applyChanges({ year, daysOff: ruleDaysOff(year), workingWeekendDays: [] }, decrees);
}
