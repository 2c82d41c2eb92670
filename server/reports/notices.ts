import type { Trx } from '../../storage/db.js';
import { formatDate } from '../intake/read.js';
import { enqueue } from '../notify/service.js';

/**
 * What the report tells people through server/notify (in-app, and e-mail when SMTP is configured),
 * inside the transaction that stores or sends it. The authorized body's users get the report itself
 * by e-mail with the PDF (mail.ts), so only operator admins are notified here.
 */
type Clock = () => Date;

export interface ReportFacts {
  id: number;
  period: string;
  revision: number;
  sha256: string;
  dueDate: string | null;
}

/** Rules p.13: the half-year's report is stored — operator admins review it and send it. */
export async function reportReady(trx: Trx, clock: Clock, r: ReportFacts): Promise<number> {
  return enqueue(trx, clock, {
    kind: 'report_ready',
    to: [{ roles: ['operator_admin'] }],
    params: { period: r.period, revision: r.revision, dueDate: r.dueDate, due: formatDate(r.dueDate), sha256: r.sha256 },
    link: `/reports/stored/${r.id}`,
    dedupeKey: `report_ready:${r.period}:${r.revision}`,
  });
}

/** Rules p.13: the report went to the authorized body — operator admins are told who sent it to whom. */
export async function reportSent(trx: Trx, clock: Clock, r: ReportFacts & { sentBy: string; recipients: number }): Promise<number> {
  return enqueue(trx, clock, {
    kind: 'report_sent',
    to: [{ roles: ['operator_admin'] }],
    params: { period: r.period, revision: r.revision, sentBy: r.sentBy, recipients: r.recipients, sha256: r.sha256 },
    link: `/reports/stored/${r.id}`,
  });
}
