import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { templatesDir } from '../paths.js';
import { isIsoDate, yearOf } from './dates.js';
import { DAY_KINDS, TRANSFER_WORKING, type DayChange, type DayKind, type YearDays } from './rules.js';

/**
 * The official calendar as published (templates/calendar/kz-official.json, a copy of the data the
 * regulation points to): for the years it covers it is the truth, whatever the rules compute.
 * Read once per process and checked, so a damaged file stops the start instead of shifting dates.
 */
const Names = z.strictObject({ kk: z.string().min(1), ru: z.string().min(1), en: z.string().min(1) });
const IsoDate = z.string().refine(isIsoDate, 'not a YYYY-MM-DD date');
const OfficialFile = z.object({
  rules: z.array(z.string()),
  sources: z.array(z.string()),
  years: z.record(
    z.string().regex(/^\d{4}$/),
    z.strictObject({
      workingDays: z.number().int().positive(),
      daysOff: z.array(z.strictObject({ date: IsoDate, kind: z.enum(DAY_KINDS as [DayKind, ...DayKind[]]), name: Names })),
      workingWeekendDays: z.array(IsoDate),
    }),
  ),
});
export type OfficialFile = z.infer<typeof OfficialFile>;

export const OFFICIAL_FILE = join(templatesDir, 'calendar', 'kz-official.json');

let loaded: OfficialFile | null = null;

export function officialData(): OfficialFile {
  if (!loaded) {
    const parsed = OfficialFile.safeParse(JSON.parse(readFileSync(OFFICIAL_FILE, 'utf8')));
    if (!parsed.success) throw new Error(`qoima: ${OFFICIAL_FILE} is not a valid calendar: ${parsed.error.issues[0]?.message}`);
    for (const [year, data] of Object.entries(parsed.data.years)) {
      if ([...data.daysOff.map((d) => d.date), ...data.workingWeekendDays].some((d) => yearOf(d) !== Number(year)))
        throw new Error(`qoima: ${OFFICIAL_FILE}: a date of ${year} lies in another year`);
    }
    loaded = parsed.data;
  }
  return loaded;
}

/** The published year, or null for a year the file does not cover. */
export function officialYear(year: number): (YearDays & { workingDays: number }) | null {
  const data = officialData().years[String(year)];
  if (!data) return null;
  return {
    year,
    workingDays: data.workingDays,
    daysOff: data.daysOff.map((d) => ({ date: d.date, kind: d.kind, name: d.name })),
    workingWeekendDays: data.workingWeekendDays.map((date) => ({ date, kind: 'transfer' as const, name: TRANSFER_WORKING })),
  };
}

/**
 * The Government's transfers of a published year, as decrees the rules cannot know (2025: Friday
 * 3 January off, Sunday 5 January worked).
 */
export function officialDecrees(year: number): DayChange[] {
  const data = officialData().years[String(year)];
  if (!data) return [];
  return [
    ...data.daysOff.filter((d) => d.kind === 'transfer').map((d) => ({ date: d.date, working: false, kind: 'transfer' as const, name: d.name })),
    ...data.workingWeekendDays.map((date) => ({ date, working: true, kind: 'transfer' as const })),
  ];
}
