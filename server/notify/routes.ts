import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import { NotificationNotFound } from './errors.js';
import type { z } from 'zod';
import type { NotificationQuery } from './schemas.js';
import * as notify from './service.js';

export const baseUrlOfRequest = (deps: AppDeps, req: Request) => (deps.config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');

/** A notification id from the path, or the same 404 as for another user's notification. */
export function notificationId(req: Request): number {
  const raw = String(req.params.id);
  if (!/^\d{1,12}$/.test(raw)) throw new NotificationNotFound();
  return Number(raw);
}

/** HTTP only: the caller's in-app notifications. */
export function notifyApi(deps: AppDeps) {
  return {
    async list(req: Request, res: Response) {
      const query = req.valid.query as z.infer<typeof NotificationQuery>;
      const unreadOnly = query.unread === 'true' || query.unread === '1';
      res.json(await notify.listNotifications(deps, principalOf(req), { unreadOnly, limit: query.limit, beforeId: query.before, lang: req.lang, baseUrl: baseUrlOfRequest(deps, req) }));
    },
    async markRead(req: Request, res: Response) {
      await notify.markRead(deps, principalOf(req), notificationId(req));
      res.status(204).end();
    },
    async markAllRead(req: Request, res: Response) {
      res.json({ marked: await notify.markAllRead(deps, principalOf(req)) });
    },
  };
}
