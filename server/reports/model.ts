import type { RuleKey } from '../deadlines/rules.js';

/**
 * The half-yearly report (Rules p.13) as data: what every format (JSON, CSV, HTML, XLSX, PDF) prints,
 * and what is stored — as canonical JSON with its SHA-256 — when a report is kept. Language-free:
 * names come in kk and ru, labels are added by each format.
 */
export const REPORT_SCHEMA_VERSION = 1;

export interface OrgRef {
  bin: string;
  nameKk: string;
  nameRu: string;
}

export interface SystemRef {
  code: string;
  nameKk: string;
  nameRu: string;
}

export interface CategoryVolume {
  category: string;
  files: number;
  bytes: number;
}

export interface GranteeLine extends OrgRef {
  reuse: number;
  recovery: number;
}

export interface ComplianceLine {
  rule: RuleKey;
  clause: string;
  party: 'government_body' | 'operator';
  workingDays: number;
  /** Met in the period on or before the due date. */
  onTime: number;
  /** Met in the period after the due date; and by how many working days in all, and at most. */
  late: number;
  lateWorkingDays: number;
  maxLateWorkingDays: number;
  /** Started and not met by the end of the period (or by today, for a draft); of them, past due. */
  open: number;
  overdue: number;
}

export interface BodyLine extends OrgRef {
  received: number;
  registered: number;
  rejected: number;
  formed: number;
  newSystems: number;
  newVersions: number;
  bytes: number;
  /** Access grants the body received (Rules p.10). */
  grants: number;
  notices: number;
  returns: number;
  /** Deadlines of the body's systems met late in the period, and open past due at its end. */
  late: number;
  overdue: number;
}

export interface MonthLine {
  month: string;
  received: number;
  registered: number;
  accepted: number;
}

export type ExceptionKind = 'late' | 'overdue' | 'override';

export interface ExceptionLine {
  kind: ExceptionKind;
  /** The day it happened: met late on, the period's end for an overdue step, accepted on. */
  date: string;
  system: SystemRef;
  body: OrgRef;
  rule: RuleKey | null;
  clause: string | null;
  dueDate: string | null;
  workingDaysLate: number | null;
  /** Deposit version accepted despite error findings, and the operator's reason. */
  version: number | null;
  reason: string | null;
}

export interface ReportData {
  schema: number;
  period: { key: string | null; from: string; to: string; dueDate: string | null };
  /** The half-year has not ended: the figures are as of `asOf`, the report is not final. */
  draft: boolean;
  /** The day open deadlines are judged as of: the period's last day, or today for a draft. */
  asOf: string;
  generatedAt: string;
  /** The edition of the Rules new deadlines are computed under. */
  edition: { id: string; title: string };
  totals: {
    applications: { received: number; registered: number; rejected: number };
    repositoriesFormed: number;
    /** Deposits received: accepted pushes and uploads (the audit trail). */
    submissions: { pushes: number; uploads: number };
    deposits: { accepted: number; newSystems: number; newVersions: number; files: number; bytes: number; overridden: number };
    access: { granted: number; reuse: number; recovery: number; revoked: number; bodies: number };
    decommission: { notices: number; returns: number; archiveTransfers: number };
  };
  categories: CategoryVolume[];
  grantees: GranteeLine[];
  compliance: ComplianceLine[];
  bodies: BodyLine[];
  monthly: MonthLine[];
  exceptions: ExceptionLine[];
}
