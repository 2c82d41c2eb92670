import type { NextFunction, Request, Response } from 'express';
import type { AppDeps, ServiceDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';
import { displayTime } from './render.js';
import { baseUrlOfRequest, notificationId } from './routes.js';
import * as notify from './service.js';

declare module '../accounts/service.js' {
  interface Principal {
    /** Unread in-app notifications of a signed-in UI user (the nav shows it); set by `unreadBadge`. */
    unreadNotifications?: number;
  }
}

/** Counts the signed-in user's unread notifications for the nav of every page (GET only). */
export function unreadBadge(deps: ServiceDeps) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' && req.principal?.via === 'session') req.principal.unreadNotifications = await notify.unreadCount(deps, req.principal);
    next();
  };
}

/** The notifications page: newest first, unread marked; read one (and open its link) or all. */
export function notifyPages(deps: AppDeps, views: Views) {
  return {
    async list(req: Request, res: Response) {
      const unreadOnly = req.query.unread === '1';
      const before = typeof req.query.before === 'string' && /^\d{1,12}$/.test(req.query.before) ? Number(req.query.before) : undefined;
      const { items, unread } = await notify.listNotifications(deps, principalOf(req), { unreadOnly, beforeId: before, limit: 50, lang: req.lang, baseUrl: baseUrlOfRequest(deps, req) });
      res.setHeader('Cache-Control', 'no-store');
      views.render(req, res, 'notify/list', { items, unread, unreadOnly, more: items.length === 50 ? items[items.length - 1].id : null, displayTime });
    },
    /** Marks one read; `open=1` then follows the notification's own link (never a link from the form). */
    async read(req: Request, res: Response) {
      const { link } = await notify.markRead(deps, principalOf(req), notificationId(req));
      const open = (req.body as { open?: string }).open === '1';
      res.redirect(303, open && link && link.startsWith('/') && !link.startsWith('//') ? link : '/notifications');
    },
    async readAll(req: Request, res: Response) {
      await notify.markAllRead(deps, principalOf(req));
      res.redirect(303, '/notifications');
    },
  };
}
