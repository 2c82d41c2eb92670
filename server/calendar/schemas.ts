import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { isIsoDate, MAX_YEAR, MIN_YEAR } from './dates.js';
import { DAY_KINDS, type DayKind } from './rules.js';

// `.openapi()` below documents what the preprocessing hides; the CLI loads this file without the HTTP layer.
extendZodWithOpenApi(z);

/** The most working days one question may add: deadlines of the Rules are 3 to 15 working days. */
export const MAX_ADD = 1000;

/**
 * A calendar date `YYYY-MM-DD`. Zod messages can only name keys of the errors namespace, so a bad
 * date is "wrong format" here, and the service says which dates the calendar covers (errors.ts).
 */
export const IsoDate = z
  .string()
  .trim()
  .refine(isIsoDate, { message: 'errors.fields.invalid_format' })
  .openapi({ example: '2026-03-19', format: 'date' });

/** A year as it comes in a path or on the command line: four digits, 2020–2100. */
export const Year = z
  .preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z
      .string()
      .regex(/^\d{4}$/, { message: 'errors.fields.invalid_format' })
      .transform(Number)
      .pipe(z.number().int().min(MIN_YEAR).max(MAX_YEAR)),
  )
  .openapi({ type: 'string', pattern: '^\\d{4}$', example: '2026' });

/** A count of working days: a whole number 0…MAX_ADD, from JSON or from a query string. */
const Count = z
  .preprocess(
    (v) => (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : v),
    z
      // Zod leaves the input out of its issues, so "missing" and "not a number" are told apart here.
      .number({ error: (issue) => (issue.code !== 'invalid_type' ? undefined : issue.input === undefined ? 'errors.fields.required' : 'errors.fields.invalid_format') })
      .int()
      .min(0)
      .max(MAX_ADD),
  )
  .openapi({ type: 'integer', minimum: 0, maximum: MAX_ADD, example: 3 });

export const YearParams = z.strictObject({ year: Year });
export const WorkingDaysQuery = z.object({ from: IsoDate, add: Count });
export const OverrideInput = z.strictObject({
  date: IsoDate,
  working: z.boolean(),
  basis: z.string().trim().min(1).max(1000),
});
export const OverrideDateParams = z.strictObject({ date: IsoDate });

const NamesOut = z.object({ kk: z.string(), ru: z.string(), en: z.string() });
const Kind = z.enum(DAY_KINDS as [DayKind, ...DayKind[]]);

export const DayOffOut = z.object({
  date: z.string(),
  kind: Kind,
  /** In the language of the request. */
  name: z.string(),
  names: NamesOut,
  basis: z.string().optional(),
});

export const CalendarYearOut = z.object({
  year: z.number().int(),
  workingDays: z.number().int(),
  daysOff: z.array(DayOffOut),
  workingWeekendDays: z.array(z.string()),
});

export const WorkingDaysOut = z.object({ from: z.string(), add: z.number().int(), date: z.string() });

export const OverrideOut = z.object({
  date: z.string(),
  working: z.boolean(),
  basis: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
});
