import type { Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import type { ServiceDeps } from '../deps.js';
import { NotificationNotFound } from './errors.js';
import { isLang, type Lang } from '../http/i18n.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { Notice, NoticeKind, NoticeParams } from './kinds.js';
import * as q from './queries.js';
import { renderInApp } from './render.js';

/** The language of a recipient without one of their own (contract.md: default ru). */
export const DEFAULT_MAIL_LANG: Lang = 'ru';

/**
 * Queues a notice **inside the caller's transaction** (the outbox pattern): one in-app notification
 * per recipient user, and one e-mail per recipient with an address, in the user's language. The
 * rows commit exactly when the state change they tell about does; the e-mail is sent after commit
 * by the delivery worker (delivery.ts). Returns how many users were notified.
 */
export async function enqueue(trx: Trx, clock: () => Date, notice: Notice): Promise<number> {
  const users = new Map<number, q.RecipientRow>();
  for (const to of notice.to) {
    const found =
      'userId' in to ? await q.activeUsers(trx, { ids: [to.userId] }) : 'orgId' in to ? await q.activeUsers(trx, { orgId: to.orgId, roles: to.roles }) : await q.activeUsers(trx, { roles: to.roles });
    for (const u of found) users.set(u.id, u);
  }
  const now = clock().toISOString();
  const params = canonicalJson(notice.params);
  for (const user of users.values()) {
    const notificationId = await q.insertNotification(trx, {
      user_id: user.id,
      kind: notice.kind,
      params,
      link: notice.link ?? null,
      dedupe_key: notice.dedupeKey ?? null,
      created_at: now,
      read_at: null,
    });
    if (!user.email) continue;
    await q.insertOutbox(trx, {
      notification_id: notificationId,
      user_id: user.id,
      to_address: user.email,
      lang: isLang(user.lang) ? user.lang : DEFAULT_MAIL_LANG,
      kind: notice.kind,
      params,
      link: notice.link ?? null,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_error: null,
      created_at: now,
      sent_at: null,
    });
  }
  return users.size;
}

export interface NotificationView {
  id: number;
  kind: NoticeKind;
  title: string;
  text: string;
  link: string | null;
  params: NoticeParams;
  createdAt: string;
  readAt: string | null;
}

function toView(row: q.NotificationRow, lang: Lang, baseUrl: string): NotificationView {
  const params = JSON.parse(row.params) as NoticeParams;
  const kind = row.kind as NoticeKind;
  return { id: row.id, kind, ...renderInApp(lang, kind, params, baseUrl), link: row.link, params, createdAt: row.created_at, readAt: row.read_at };
}

/** The caller's notifications, newest first, rendered in `lang`; and how many are unread. */
export async function listNotifications(
  deps: ServiceDeps,
  principal: Principal,
  opts: { unreadOnly?: boolean; limit?: number; beforeId?: number; lang: Lang; baseUrl: string },
): Promise<{ items: NotificationView[]; unread: number }> {
  const rows = await q.notificationsOf(deps.db, principal.user.id, { unreadOnly: opts.unreadOnly ?? false, limit: Math.min(opts.limit ?? 50, 200), beforeId: opts.beforeId });
  return { items: rows.map((r) => toView(r, opts.lang, opts.baseUrl)), unread: await q.countUnread(deps.db, principal.user.id) };
}

export function unreadCount(deps: ServiceDeps, principal: Principal): Promise<number> {
  return q.countUnread(deps.db, principal.user.id);
}

/**
 * Marks one of the caller's notifications read (another user's is NotFound). A reading stamp, not a
 * state change of the escrow: no audit event, as for a token's last use.
 */
export async function markRead(deps: ServiceDeps, principal: Principal, id: number): Promise<{ link: string | null }> {
  const row = await q.notificationOf(deps.db, principal.user.id, id);
  if (!row) throw new NotificationNotFound();
  if (!row.read_at) await q.markRead(deps.db, principal.user.id, [id], deps.clock().toISOString());
  return { link: row.link };
}

export function markAllRead(deps: ServiceDeps, principal: Principal): Promise<number> {
  return q.markRead(deps.db, principal.user.id, 'all', deps.clock().toISOString());
}
