import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { SESSION_COOKIE } from '../http/auth.js';
import { actorOf } from '../http/context.js';
import { isLang, t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import * as accounts from './service.js';

/** Only same-site paths are followed after login, never another origin. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

export function accountsPages(deps: ServiceDeps, views: Views, opts: { secureCookies: boolean }) {
  const cookieOpts = { httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies, path: '/' };
  return {
    loginForm(req: Request, res: Response) {
      if (req.principal) return res.redirect(303, '/');
      views.render(req, res, 'login', { next: safeNext(req.query.next), error: null, loginName: '' });
    },
    async login(req: Request, res: Response) {
      const body = req.body as { login?: string; password?: string; next?: string };
      try {
        const { sessionId, principal } = await accounts.login(deps, req.ip ?? null, String(body.login ?? ''), String(body.password ?? ''));
        // A fresh session id at every login (no fixation); the pre-session cookie is dropped.
        res.cookie(SESSION_COOKIE, sessionId, { ...cookieOpts, maxAge: accounts.SESSION_HOURS * 3_600_000 });
        res.clearCookie('qoima_pre', { path: '/' });
        if (isLang(principal.user.lang)) res.cookie('qoima_lang', principal.user.lang, { ...cookieOpts, maxAge: 365 * 86_400_000 });
        res.redirect(303, safeNext(body.next));
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 401) throw err;
        views.render(req, res, 'login', { next: safeNext(body.next), error: t(req.lang, 'errors.login_failed'), loginName: String(body.login ?? '') }, 401);
      }
    },
    async logout(req: Request, res: Response) {
      if (req.sessionId) await accounts.logout(deps, actorOf(req), req.sessionId);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.redirect(303, '/login');
    },
    /** The language switch: kept in a cookie, and on the user's record when signed in. */
    async setLanguage(req: Request, res: Response) {
      const lang = (req.body as { lang?: string }).lang;
      if (isLang(lang)) {
        res.cookie('qoima_lang', lang, { ...cookieOpts, maxAge: 365 * 86_400_000 });
        if (req.principal && req.principal.user.lang !== lang) await accounts.setUserLanguage(deps, actorOf(req), req.principal.user.id, lang);
      }
      res.redirect(303, safeNext((req.body as { next?: string }).next));
    },
  };
}

/** UI pages need a signed-in user: others are sent to the login form and back. */
export function requireLogin(req: Request, res: Response, next: () => void) {
  if (req.principal) return next();
  res.redirect(303, '/login?next=' + encodeURIComponent(req.originalUrl));
}
