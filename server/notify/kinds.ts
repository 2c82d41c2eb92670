import type { Role } from '../accounts/roles.js';

/**
 * What the service tells people about (issue 7 §3). Each kind has its title and short text in the
 * `notify` namespace (`notify.kinds.<kind>.title|text`) and its e-mail in templates/mail/<lang>/
 * (`<kind>.eta` when the kind needs more than the text, else `notice.eta`).
 */
export const NOTICE_KINDS = [
  // operator staff
  'application_submitted',
  'push_received',
  'access_requested',
  'deadlines_digest',
  // a body's decommissioning notice (Rules p.11): the operator hands the deposit back within 3 working days
  'decommission_notified',
  // operator admins: the half-yearly report stored to review, and sent (server/reports, Rules p.13)
  'report_ready',
  'report_sent',
  // operator admins: the fixity scrubber found a new problem in the store (server/integrity, issue 12)
  'fixity_finding',
  // the government body
  'application_registered',
  'application_rejected',
  'repository_formed',
  'deposit_accepted',
  'return_ready',
  'grant_given',
  'grant_revoked',
  'access_request_refused',
  // the authorized body (Rules p.10: notified of every grant)
  'grant_notice',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export const isNoticeKind = (v: unknown): v is NoticeKind => typeof v === 'string' && (NOTICE_KINDS as readonly string[]).includes(v);

/** A JSON value kept with a notice; the text fills its `{placeholders}` from the scalar ones. */
export type NoticeValue = string | number | boolean | null | NoticeValue[] | { [key: string]: NoticeValue };
export type NoticeParams = Record<string, NoticeValue>;

/**
 * Who receives a notice: a user, the users of an organisation (optionally only some roles), or every
 * user with one of the roles. Resolved to the active users at the moment of the state change.
 */
export type Recipient = { userId: number } | { orgId: number; roles?: Role[] } | { roles: Role[] };

export interface Notice {
  kind: NoticeKind;
  to: Recipient[];
  params: NoticeParams;
  /** Where the notice leads in the UI (a path on this server). */
  link?: string | null;
  /** A notice that must exist once only per user (the daily digest: `deadlines:<date>`). */
  dedupeKey?: string;
}

/** Operator staff, as notices address them (admins are operator staff too). */
export const OPERATOR_STAFF: Role[] = ['operator_admin', 'operator_staff'];
