import { z } from 'zod';

/**
 * Inputs and outputs of decommissioning and returns (Rules p.11–12). Messages are keys of the
 * `returns` namespace so the API and the forms show them in kk/ru/en. Dates are `YYYY-MM-DD`
 * (Asia/Almaty); "not in the future" needs today, so the schemas that check it are made per call.
 */

export const SCOPES = ['last_version', 'full_history'] as const;
export type ReturnScope = (typeof SCOPES)[number];

/** The working-day calendar (server/calendar) starts in 2020: deadlines cannot be counted before it. */
export const EARLIEST_DATE = '2020-01-01';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isCalendarDate = (v: string) => {
  const d = new Date(v + 'T00:00:00Z');
  return DATE.test(v) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
};

const pastDate = (today: string) =>
  z
    .string()
    .trim()
    .refine(isCalendarDate, { message: 'returns.errors.fields.date_invalid' })
    .refine((v) => !isCalendarDate(v) || v <= today, { message: 'returns.errors.fields.date_in_future' })
    .refine((v) => !isCalendarDate(v) || v >= EARLIEST_DATE, { message: 'returns.errors.fields.date_too_early' });

const text = (max: number) => z.string().trim().min(1).max(max);

/** Rules p.11: the body's notice that the system was withdrawn from operation. */
export const noticeInput = (today: string) =>
  z.strictObject({
    withdrawnOn: pastDate(today),
    basis: z.strictObject({ number: text(100), date: pastDate(today) }),
    scope: z.enum(SCOPES).default('last_version'),
  });
export const NoticeInput = noticeInput('9999-12-31');

/** Rules p.12: the transfer to the state archive (art. 13 of the National Archive Fund law). */
export const transferInput = (today: string) => z.strictObject({ actNumber: text(100), actDate: pastDate(today) });
export const TransferInput = transferInput('9999-12-31');

export const PurgeInput = z.strictObject({ reason: text(1000) });

export const PackageOut = z
  .object({
    id: z.number(),
    status: z.enum(['generating', 'ready', 'failed']),
    bagName: z.string(),
    startedAt: z.string(),
    startedBy: z.string().nullable(),
    finishedAt: z.string().nullable(),
    phase: z.string(),
    progress: z.object({ bytesDone: z.number(), bytesTotal: z.number(), filesDone: z.number(), percent: z.number() }),
    payloadOxum: z.string().nullable(),
    zip: z.object({ size: z.number(), sha256: z.string(), url: z.string() }).nullable(),
    tar: z.object({ size: z.number(), sha256: z.string(), url: z.string() }).nullable(),
    error: z.string().nullable(),
  });

export const ReturnOut = z
  .object({
    system: z.object({ code: z.string(), nameKk: z.string(), nameRu: z.string(), status: z.string() }),
    notice: z.object({
      withdrawnOn: z.string(),
      basis: z.object({ number: z.string(), date: z.string() }),
      scope: z.enum(SCOPES),
      notifiedOn: z.string(),
      notifiedAt: z.string(),
      notifiedBy: z.string().nullable(),
    }),
    deadlines: z.array(z.object({ rule: z.string(), clause: z.string(), startDate: z.string(), dueDate: z.string(), metOn: z.string().nullable(), state: z.string() })),
    package: PackageOut.nullable(),
    archive: z.object({ actNumber: z.string(), actDate: z.string(), archivedAt: z.string(), archivedBy: z.string().nullable() }).nullable(),
    purge: z.object({ purgedAt: z.string(), purgedBy: z.string().nullable(), reason: z.string() }).nullable(),
  });

export const ReturnListQuery = z.strictObject({ status: z.enum(['decommission_notified', 'returned', 'archived']).optional() });
