import { z } from 'zod';
import { LANGS, type Lang } from '../http/i18n.js';
import { RULE_KEYS } from '../deadlines/rules.js';
import { ReportInvalid } from './errors.js';
import { FORMATS, type ReportFormat } from './formats.js';

/** Inputs and outputs of the reports API (the OpenAPI document is generated from these). */

/** `?format=&lang=` (and `from`, `to` for the period `range`): documented here, checked by `reportOptions`. */
export const ReportQuery = z.object({
  format: z.enum(FORMATS).optional().describe('json (default), csv, html, xlsx or pdf'),
  lang: z.enum(LANGS).optional().describe('kk or ru (the official versions) or en; default: the request language'),
  from: z.string().optional().describe('with the period `range`: first day, YYYY-MM-DD'),
  to: z.string().optional().describe('with the period `range`: last day, YYYY-MM-DD'),
});

/** The format and language of a request: an unsupported format is a 400 of its own. */
export function reportOptions(query: Record<string, unknown>, fallback: Lang): { format: ReportFormat; lang: Lang } {
  const format = query.format ?? 'json';
  if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
    throw new ReportInvalid('report_format_invalid', { value: String(format).slice(0, 20) }, { format: { key: 'reports.errors.format_invalid' } });
  }
  const lang = query.lang ?? fallback;
  if (typeof lang !== 'string' || !(LANGS as readonly string[]).includes(lang)) {
    throw new ReportInvalid('report_format_invalid', { value: String(lang).slice(0, 20) }, { lang: { key: 'errors.fields.invalid_value', params: { allowed: LANGS.join(', ') } } });
  }
  return { format: format as ReportFormat, lang: lang as Lang };
}

export const StoreInput = z.object({ period: z.string().min(1).max(20).describe('the half-year that has ended: 2026-H1 or 2026-H2') });

export const StoredIdParams = z.object({ id: z.coerce.number().int().min(1).max(2 ** 31 - 1) });

const Org = { bin: z.string(), nameKk: z.string(), nameRu: z.string() };
const System = z.object({ code: z.string(), nameKk: z.string(), nameRu: z.string() });

export const ReportOut = z.object({
  schema: z.number(),
  period: z.object({ key: z.string().nullable(), from: z.string(), to: z.string(), dueDate: z.string().nullable() }),
  draft: z.boolean().describe('the period has not ended: figures as of `asOf`, not final'),
  asOf: z.string(),
  generatedAt: z.string(),
  edition: z.object({ id: z.string(), title: z.string() }),
  totals: z.object({
    applications: z.object({ received: z.number(), registered: z.number(), rejected: z.number() }),
    repositoriesFormed: z.number(),
    submissions: z.object({ pushes: z.number(), uploads: z.number() }),
    deposits: z.object({ accepted: z.number(), newSystems: z.number(), newVersions: z.number(), files: z.number(), bytes: z.number(), overridden: z.number() }),
    access: z.object({ granted: z.number(), reuse: z.number(), recovery: z.number(), revoked: z.number(), bodies: z.number() }),
    decommission: z.object({ notices: z.number(), returns: z.number(), archiveTransfers: z.number() }),
  }),
  categories: z.array(z.object({ category: z.string(), files: z.number(), bytes: z.number() })),
  grantees: z.array(z.object({ ...Org, reuse: z.number(), recovery: z.number() })),
  compliance: z.array(
    z.object({
      rule: z.enum(RULE_KEYS),
      clause: z.string(),
      party: z.enum(['government_body', 'operator']),
      workingDays: z.number(),
      onTime: z.number(),
      late: z.number(),
      lateWorkingDays: z.number(),
      maxLateWorkingDays: z.number(),
      open: z.number(),
      overdue: z.number(),
    }),
  ),
  bodies: z.array(z.object({ ...Org, received: z.number(), registered: z.number(), rejected: z.number(), formed: z.number(), newSystems: z.number(), newVersions: z.number(), bytes: z.number(), grants: z.number(), notices: z.number(), returns: z.number(), late: z.number(), overdue: z.number() })),
  monthly: z.array(z.object({ month: z.string(), received: z.number(), registered: z.number(), accepted: z.number() })),
  exceptions: z.array(
    z.object({
      kind: z.enum(['late', 'overdue', 'override']),
      date: z.string(),
      system: System,
      body: z.object(Org),
      rule: z.enum(RULE_KEYS).nullable(),
      clause: z.string().nullable(),
      dueDate: z.string().nullable(),
      workingDaysLate: z.number().nullable(),
      version: z.number().nullable(),
      reason: z.string().nullable(),
    }),
  ),
});

export const StoredOut = z.object({
  id: z.number(),
  period: z.string(),
  revision: z.number(),
  from: z.string(),
  to: z.string(),
  sha256: z.string().describe('SHA-256 of the canonical JSON of the report data'),
  intact: z.boolean().nullable(),
  origin: z.enum(['schedule', 'operator', 'cli']),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  sentAt: z.string().nullable(),
  sentBy: z.string().nullable(),
  sentTo: z.array(z.object({ userId: z.number(), login: z.string(), fullName: z.string(), email: z.string().nullable() })),
  mail: z.array(z.object({ to: z.string(), status: z.string(), attempts: z.number(), sentAt: z.string().nullable() })).optional(),
});

export const DueOut = z.object({ period: z.string(), dueDate: z.string(), daysLeft: z.number(), state: z.enum(['due', 'overdue', 'sent']), stored: StoredOut.nullable() }).nullable();

export const ReportListOut = z.object({ items: z.array(StoredOut), due: DueOut });
