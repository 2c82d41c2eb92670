import type { Logger } from 'pino';
import type { ServiceDeps } from '../deps.js';
import { isLang } from '../http/i18n.js';
import { isNoticeKind, type NoticeParams } from './kinds.js';
import type { Mailer } from './mailer.js';
import * as q from './queries.js';
import { renderMail } from './render.js';

/** Attempts before an e-mail is given up as failed (30 s, 1, 2, 4, 8, 16, 32 min apart, then failed). */
export const MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_CAP_MS = 3_600_000;
/** How long a sender holds a row it took; a sender that dies leaves it due again after this. */
const LEASE_MS = 5 * 60_000;

/** The wait after the `attempts`-th failed attempt: 30 s doubling, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryDeps extends ServiceDeps {
  readonly config: { readonly publicUrl: string | undefined; readonly port: number };
  readonly logger?: Logger;
}

export interface DeliveryResult {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

export function baseUrlOf(config: DeliveryDeps['config']): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

/**
 * Sends the e-mails that are due, after their transactions committed (the outbox). Each row is taken
 * with a lease so several processes never send one twice; a failure is retried with exponential
 * backoff, then marked failed. Without a mailer (no SMTP_URL) due rows are marked skipped: in-app only.
 */
export async function deliverPending(deps: DeliveryDeps, mailer: Mailer | null, limit = 50): Promise<DeliveryResult> {
  const result: DeliveryResult = { sent: 0, retried: 0, failed: 0, skipped: 0 };
  const now = deps.clock();
  if (!mailer) {
    result.skipped = await q.skipAllDue(deps.db, now.toISOString());
    return result;
  }
  for (const row of await q.dueOutbox(deps.db, now.toISOString(), limit)) {
    if (!(await q.claimOutbox(deps.db, row, new Date(now.getTime() + LEASE_MS).toISOString()))) continue;
    const attempts = row.attempts + 1;
    try {
      if (!isNoticeKind(row.kind)) throw new Error(`unknown notice kind ${row.kind}`);
      const lang = isLang(row.lang) ? row.lang : 'ru';
      const mail = renderMail(lang, row.kind, JSON.parse(row.params) as NoticeParams, { baseUrl: baseUrlOf(deps.config), link: row.link });
      await mailer.send({ to: row.to_address, ...mail, lang, kind: row.kind });
      await q.updateOutbox(deps.db, row.id, { status: 'sent', sent_at: deps.clock().toISOString(), last_error: null });
      result.sent++;
    } catch (err) {
      const message = String((err as Error)?.message ?? err).slice(0, 1000);
      if (attempts >= MAX_ATTEMPTS) {
        await q.updateOutbox(deps.db, row.id, { status: 'failed', last_error: message });
        deps.logger?.error({ outboxId: row.id, to: row.to_address, err: message }, 'notify: e-mail failed for good');
        result.failed++;
      } else {
        await q.updateOutbox(deps.db, row.id, { next_attempt_at: new Date(now.getTime() + backoffMs(attempts)).toISOString(), last_error: message });
        deps.logger?.warn({ outboxId: row.id, attempts, err: message }, 'notify: e-mail will be retried');
        result.retried++;
      }
    }
  }
  return result;
}
