import { sha256Hex } from '../util/canonical-json.js';
import type { MailRow, StoredListRow, StoredRow } from './store-queries.js';

/** A stored report as the API and the pages show it (without its data unless asked for). */
export interface StoredReport {
  id: number;
  period: string;
  revision: number;
  from: string;
  to: string;
  sha256: string;
  /** The stored data still hashes to its SHA-256 (known only when the data was read). */
  intact: boolean | null;
  origin: string;
  createdAt: string;
  createdBy: string | null;
  sentAt: string | null;
  sentBy: string | null;
  sentTo: { userId: number; login: string; fullName: string; email: string | null }[];
  /** The e-mails with the PDF (operator staff only): to whom, and how far they got. */
  mail?: { to: string; status: string; attempts: number; sentAt: string | null }[];
}

export function toStored(row: StoredRow | StoredListRow, mail?: MailRow[]): StoredReport {
  return {
    id: row.id,
    period: row.period,
    revision: row.revision,
    from: row.from_date,
    to: row.to_date,
    sha256: row.sha256,
    intact: 'data' in row ? sha256Hex(row.data) === row.sha256 : null,
    origin: row.origin,
    createdAt: row.created_at,
    createdBy: row.created_by_login,
    sentAt: row.sent_at,
    sentBy: row.sent_by_login,
    sentTo: row.sent_to ? (JSON.parse(row.sent_to) as StoredReport['sentTo']) : [],
    ...(mail ? { mail: mail.map((m) => ({ to: m.to_address, status: m.status, attempts: m.attempts, sentAt: m.sent_at })) } : {}),
  };
}
