import type Holidays from 'date-holidays';
import { lazyRequire } from '../util/lazy.js';
import { fromDayNumber, yearOf } from './dates.js';

/**
 * The first day of Kurban Ait (10 Dhu al-Hijjah) falling in a Gregorian year: one date, or two in
 * the years the lunar year fits twice (2039: 5 January and 26 December).
 *
 * `date-holidays` knows it from the Umm al-Qura table up to 2076 and agrees with every year the
 * official data covers, so it is the source while it has an answer. After 2076 it has none, and
 * we estimate: the tabular Islamic calendar says which new moon starts Dhu al-Hijjah, and the
 * astronomical new moon (Meeus, Astronomical Algorithms ch. 49) says the day: the month begins the
 * day after a conjunction before 13:00 UTC (afternoon in Mecca), else a day later. Checked against
 * the library for 2020–2076 (test/unit/calendar-lunar.test.ts) it is exact in most years and never
 * more than a day off. The Spiritual Administration of Muslims announces the real date each year;
 * a different one is entered as an override.
 */
export function kurbanAitDates(year: number): string[] {
  const known = fromLibrary(year);
  return known.length ? known : estimateKurbanAit(year);
}

const holidaysLibrary = lazyRequire<typeof Holidays>('date-holidays');
let library: Holidays | null = null;
const cache = new Map<number, string[]>();

function fromLibrary(year: number): string[] {
  const cached = cache.get(year);
  if (cached) return cached;
  library ??= new (holidaysLibrary())('KZ');
  const dates = library
    .getHolidays(year, 'en')
    .filter((h) => h.rule === '10 Dhu al-Hijjah')
    .map((h) => h.date.slice(0, 10))
    .filter((d) => yearOf(d) === year)
    .sort();
  cache.set(year, dates);
  return dates;
}

/** Dates of 10 Dhu al-Hijjah in `year` by the estimate described above (independent of the library). */
export function estimateKurbanAit(year: number): string[] {
  const out: string[] = [];
  // Hijri years whose Dhu al-Hijjah can fall in this Gregorian year.
  const approx = Math.floor(((year - 622) * 33) / 32);
  for (let hy = approx - 1; hy <= approx + 2; hy++) {
    const tabular = tabularIslamicDay(hy, 12, 10);
    const date = astronomicalDay10(tabular);
    if (yearOf(date) === year) out.push(date);
  }
  return [...new Set(out)].sort();
}

/** Days since 1970-01-01 of a day of the arithmetical (tabular) Islamic calendar, civil epoch. */
function tabularIslamicDay(hy: number, month: number, day: number): number {
  const julianDay = day + Math.ceil(29.5 * (month - 1)) + (hy - 1) * 354 + Math.floor((3 + 11 * hy) / 30) + 1_948_439.5 - 1;
  return Math.round(julianDay - 2_440_587.5);
}

const SYNODIC_MONTH = 29.530588861;
const NEW_MOON_2000 = 2_451_550.09766; // JDE of the new moon of 6 January 2000

/** The 10th day of the lunar month whose tabular 10th day is `tabularDay` (days since epoch). */
function astronomicalDay10(tabularDay: number): string {
  const k = Math.round((tabularDay + 2_440_587.5 - 10.5 - NEW_MOON_2000) / SYNODIC_MONTH);
  const conjunction = (newMoonJde(k) - 2_440_587.5) * 24; // hours since 1970-01-01T00:00Z
  const conjunctionDay = Math.floor(conjunction / 24);
  const hour = conjunction - conjunctionDay * 24;
  const firstOfMonth = conjunctionDay + (hour < 13 ? 1 : 2);
  return fromDayNumber(firstOfMonth + 9);
}

/** Julian Ephemeris Day of new moon number `k` (Meeus ch. 49, the main periodic terms: minutes of error). */
function newMoonJde(k: number): number {
  const rad = Math.PI / 180;
  const t = k / 1236.85;
  const e = 1 - 0.002516 * t - 0.0000074 * t * t;
  const m = (2.5534 + 29.1053567 * k - 0.0000014 * t * t) * rad;
  const mp = (201.5643 + 385.81693528 * k + 0.0107582 * t * t) * rad;
  const f = (160.7108 + 390.67050284 * k - 0.0016118 * t * t) * rad;
  const om = (124.7746 - 1.56375588 * k + 0.0020672 * t * t) * rad;
  const s = Math.sin;
  return (
    NEW_MOON_2000 + SYNODIC_MONTH * k + 0.00015437 * t * t
    - 0.4072 * s(mp) + 0.17241 * e * s(m) + 0.01608 * s(2 * mp) + 0.01039 * s(2 * f)
    + 0.00739 * e * s(mp - m) - 0.00514 * e * s(mp + m) + 0.00208 * e * e * s(2 * m) - 0.00111 * s(mp - 2 * f)
    - 0.00057 * s(mp + 2 * f) + 0.00056 * e * s(2 * mp + m) - 0.00042 * s(3 * mp) + 0.00042 * e * s(m + 2 * f)
    + 0.00038 * e * s(m - 2 * f) - 0.00024 * e * s(2 * mp - m) - 0.00017 * s(om)
  );
}
