import type { z } from 'zod';
import type { Principal } from '../accounts/service.js';
import { listAudit, type AuditEntry } from '../audit/service.js';
import { deadlinesOfSystem, type Deadline } from '../deadlines/service.js';
import type { ServiceDeps } from '../deps.js';
import { t } from '../http/i18n.js';
import { sha256Hex } from '../util/canonical-json.js';
import { ApplicationNotFound } from './errors.js';
import { parseForm } from './form.js';
import * as q from './queries.js';
import { APPLICATION_STATUSES, ApplicationListQuery, type ApplicationOut, type ApplicationStatus, type RegisterRowOut } from './schemas.js';

/** Reading applications and the register: what the API, the pages and the printouts show. */

type Application = z.infer<typeof ApplicationOut>;
export type RegisterRow = z.infer<typeof RegisterRowOut>;

export function toApplication(r: q.ApplicationJoined): Application {
  return {
    id: r.id,
    number: r.number,
    status: r.status,
    organization: r.org_id === null ? null : { id: Number(r.org_id), bin: r.org_bin ?? '', nameKk: r.org_name_kk ?? '', nameRu: r.org_name_ru ?? '' },
    onBehalf: r.on_behalf,
    systemCode: r.system_code,
    complexName: r.complex_name,
    form: JSON.parse(r.form) as Record<string, unknown>,
    // The signature covers the stored canonical JSON: recomputing its hash shows it is unchanged.
    signature:
      r.form_sha256 && r.signed_at && r.signed_by_name
        ? { signedBy: r.signed_by_name, signedAt: r.signed_at, sha256: r.form_sha256, valid: sha256Hex(r.form) === r.form_sha256 }
        : null,
    submittedAt: r.submitted_at,
    registeredAt: r.registered_at,
    rejectedAt: r.rejected_at,
    rejectReason: r.reject_reason,
    register:
      r.reg_no === null || r.reg_no === undefined
        ? null
        : {
            year: Number(r.reg_year),
            registerNo: Number(r.reg_no),
            receivedOn: r.reg_received_on ?? '',
            acceptedBy: r.reg_accepted_by_name ?? '',
            portalRefNo: r.reg_portal_ref_no,
            portalRefDate: r.reg_portal_ref_date,
          },
    systemId: r.system_id === null ? null : Number(r.system_id),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface ApplicationDetail extends Application {
  timeline: AuditEntry[];
  /** The system's deadlines that concern this application: its p.7 and the system's own. */
  deadlines: Deadline[];
}

export async function getApplication(deps: ServiceDeps, principal: Principal, id: number): Promise<ApplicationDetail> {
  if (!Number.isSafeInteger(id) || id <= 0) throw new ApplicationNotFound();
  const row = await q.applicationFor(deps.db, principal, id);
  if (!row) throw new ApplicationNotFound();
  const [timeline, deadlines] = await Promise.all([
    listAudit(deps, { subjectType: 'application', subjectId: String(id), limit: 500 }),
    row.system_id ? deadlinesOfSystem(deps, Number(row.system_id)) : Promise.resolve([]),
  ]);
  return {
    ...toApplication(row),
    timeline: timeline.sort((a, b) => a.id - b.id),
    deadlines: deadlines.filter((d) => d.ref === '' || d.ref === `application:${id}`),
  };
}

export async function listApplications(deps: ServiceDeps, principal: Principal, input: unknown): Promise<{ items: Application[]; total: number }> {
  const f = parseForm(ApplicationListQuery, input ?? {});
  let orgId: number | undefined;
  if (f.organization) {
    const org = await q.orgByBin(deps.db, f.organization);
    if (!org) return { items: [], total: 0 };
    orgId = Number(org.id);
  }
  const { rows, total } = await q.listApplications(deps.db, principal, {
    status: f.status,
    orgId,
    year: f.year,
    search: f.q ? f.q.toLowerCase() : undefined,
    limit: f.limit,
    offset: f.offset,
  });
  return { items: rows.map(toApplication), total };
}

export async function applicationsOfSystem(deps: ServiceDeps, principal: Principal, systemId: number): Promise<Application[]> {
  return (await q.listApplications(deps.db, principal, { systemId, limit: 500, offset: 0 })).rows.map(toApplication);
}

export async function applicationCounts(deps: ServiceDeps, principal: Principal): Promise<Record<ApplicationStatus, number>> {
  const counts = await q.countByStatus(deps.db, principal);
  return Object.fromEntries(APPLICATION_STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<ApplicationStatus, number>;
}

export async function bodiesForFilter(deps: ServiceDeps) {
  return q.bodiesWithApplications(deps.db);
}

/** The register of Annex 2 for a year, in running-number order. */
export async function registerOf(deps: ServiceDeps, year: number): Promise<RegisterRow[]> {
  return (await q.registerRows(deps.db, year)).map((r) => ({
    no: r.register_no,
    year: r.year,
    applicationId: r.application_id,
    applicationNumber: r.application_number,
    receivedOn: r.received_on,
    bodyName: r.body_name,
    bodyNameKk: r.body_name_kk,
    bodyBin: r.body_bin,
    applicant: r.applicant_head,
    acceptedBy: r.accepted_by_name,
    systemCode: r.system_code,
    portalRefNo: r.portal_ref_no,
    portalRefDate: r.portal_ref_date,
  }));
}

export async function registerYears(deps: ServiceDeps): Promise<number[]> {
  return q.registerYears(deps.db);
}

/** The columns of Annex 2, in order. */
export const REGISTER_COLUMNS = ['no', 'application_number', 'received_on', 'body', 'applicant', 'accepted_by', 'signature'] as const;

const csvCell = (v: string) => {
  // A cell a spreadsheet would read as a formula is quoted as text (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The register as CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheets read Cyrillic), columns exactly as Annex 2. */
export function registerCsv(rows: RegisterRow[], lang: 'kk' | 'ru'): string {
  const header = REGISTER_COLUMNS.map((c) => t(lang, `intake.register.columns.${c}`));
  const lines = rows.map((r) =>
    [String(r.no), r.applicationNumber, formatDate(r.receivedOn), lang === 'kk' ? r.bodyNameKk : r.bodyName, r.applicant, r.acceptedBy, ''],
  );
  return '\uFEFF' + [header, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A date as printed on the forms: DD.MM.YYYY. */
export function formatDate(date: string | null | undefined): string {
  if (!date) return '';
  const [y, m, d] = date.slice(0, 10).split('-');
  return `${d}.${m}.${y}`;
}

/** An instant as shown on pages: DD.MM.YYYY HH:MM in Kazakhstan time (UTC+5, as almatyDate). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const local = new Date(Date.parse(iso) + 5 * 3_600_000).toISOString();
  return `${formatDate(local)} ${local.slice(11, 16)}`;
}
