import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { safeEqual } from '../accounts/secrets.js';
import { Forbidden } from '../errors.js';

export const PRE_SESSION_COOKIE = 'qoima_pre';

export interface Csrf {
  /** Makes sure the browser has a binding cookie and returns the token for its forms. */
  token(req: Request, res: Response): string;
  /** Throws Forbidden unless the request carries the right token (`_csrf` field or `X-CSRF-Token`). */
  check(req: Request): void;
  /** Middleware: every state-changing UI request carries the form's CSRF token. */
  protect: RequestHandler;
}

/**
 * CSRF tokens are an HMAC of what the browser holds: the session id once signed in, else a random
 * pre-session cookie (so the login form is protected too). Nothing is stored server-side.
 */
export function createCsrf(secret: string, secureCookies: boolean): Csrf {
  const tokenFor = (binding: string) => createHmac('sha256', secret).update('csrf:' + binding).digest('base64url');
  const bindingOf = (req: Request): string | undefined => req.sessionId ?? req.cookies?.[PRE_SESSION_COOKIE];

  const check = (req: Request) => {
    const binding = bindingOf(req);
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const sent = body._csrf ?? req.headers['x-csrf-token'];
    if (!binding || typeof sent !== 'string' || !safeEqual(sent, tokenFor(binding))) throw new Forbidden('csrf_failed');
  };

  return {
    token(req, res) {
      let binding = bindingOf(req);
      if (!binding) {
        binding = randomBytes(24).toString('base64url');
        res.cookie(PRE_SESSION_COOKIE, binding, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/' });
        req.cookies = { ...req.cookies, [PRE_SESSION_COOKIE]: binding };
      }
      return tokenFor(binding);
    },
    check,
    protect(req, _res, next) {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) check(req);
      next();
    },
  };
}
