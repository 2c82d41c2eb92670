import type { Logger } from 'pino';
import type { ServiceDeps } from '../deps.js';
import { createMailer, type Mailer } from '../notify/mailer.js';
import { isLang, type Lang } from '../http/i18n.js';
import type { ReportData } from './model.js';
import { reportPdf } from './pdf.js';
import * as sq from './store-queries.js';
import { periodTitle, tr } from './tables.js';
import { fileName } from './formats.js';

/**
 * The e-mails that carry a sent report to the authorized body's users (Rules p.13): the report as
 * PDF in Kazakh and in Russian (it is official in both), with its SHA-256 in the text. Written in the
 * transaction that sends the report (report_mail), sent after commit; several processes never send
 * one twice (a lease, as the notify outbox); a failure is retried with backoff, then marked failed.
 * Without SMTP the rows are marked skipped: the report stays on the authorized body's page.
 */
export const MAX_ATTEMPTS = 6;
const LEASE_MS = 5 * 60_000;
const backoffMs = (attempts: number) => Math.min(3_600_000, 60_000 * 2 ** Math.max(0, attempts - 1));

/** The report's mail goes through the notices' SMTP transport (server/notify/mailer.ts). */
export type ReportMailer = Mailer;
export const createReportMailer = createMailer;

export interface MailDeps extends ServiceDeps {
  readonly config: { readonly publicUrl: string | undefined; readonly port: number };
  readonly logger?: Logger;
}

export interface MailResult {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

/** Sends the report e-mails that are due. */
export async function deliverReportMail(deps: MailDeps, mailer: ReportMailer | null, limit = 20): Promise<MailResult> {
  const result: MailResult = { sent: 0, retried: 0, failed: 0, skipped: 0 };
  const now = deps.clock();
  if (!mailer) {
    result.skipped = Number(await sq.skipDueMail(deps.db, now.toISOString()));
    return result;
  }
  const pdfs = new Map<number, { data: ReportData; revision: number; sha256: string; files: { filename: string; content: Buffer; contentType: string }[] }>();
  for (const row of await sq.dueMail(deps.db, now.toISOString(), limit)) {
    if (!(await sq.claimMail(deps.db, row, new Date(now.getTime() + LEASE_MS).toISOString()))) continue;
    const attempts = row.attempts + 1;
    try {
      let report = pdfs.get(row.report_id);
      if (!report) {
        const stored = (await sq.reportById(deps.db, row.report_id))!;
        const data = JSON.parse(stored.data) as ReportData;
        const mark = { revision: stored.revision, sha256: stored.sha256 };
        const files = await Promise.all((['kk', 'ru'] as const).map(async (l) => ({ filename: fileName(data, l, 'pdf', mark), content: await reportPdf(l, data, mark), contentType: 'application/pdf' })));
        report = { data, ...mark, files };
        pdfs.set(row.report_id, report);
      }
      const lang: Lang = isLang(row.lang) ? row.lang : 'ru';
      const base = (deps.config.publicUrl ?? `http://localhost:${deps.config.port}`).replace(/\/+$/, '');
      const period = periodTitle(lang, report.data.period);
      await mailer.send({
        to: row.to_address,
        lang,
        subject: `Qoima: ${tr(lang, 'mail.subject', { period })}`,
        text: tr(lang, 'mail.body', { period, sha256: report.sha256, link: `${base}/reports/stored/${row.report_id}` }) + '\n',
        kind: 'report',
        attachments: report.files,
      });
      await sq.updateMail(deps.db, row.id, { status: 'sent', sent_at: deps.clock().toISOString(), last_error: null });
      result.sent++;
    } catch (err) {
      const message = String((err as Error)?.message ?? err).slice(0, 1000);
      if (attempts >= MAX_ATTEMPTS) {
        await sq.updateMail(deps.db, row.id, { status: 'failed', last_error: message });
        deps.logger?.error({ reportMailId: row.id, to: row.to_address, err: message }, 'reports: e-mail failed for good');
        result.failed++;
      } else {
        await sq.updateMail(deps.db, row.id, { next_attempt_at: new Date(now.getTime() + backoffMs(attempts)).toISOString(), last_error: message });
        result.retried++;
      }
    }
  }
  return result;
}
