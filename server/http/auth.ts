import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authenticateToken, resolveSession } from '../accounts/service.js';
import type { Role, Scope } from '../accounts/roles.js';
import type { ServiceDeps } from '../deps.js';
import { Forbidden, NotFound, Unauthenticated } from '../errors.js';
import type { Csrf } from './csrf.js';
import { isLang } from './i18n.js';

export const SESSION_COOKIE = 'qoima_session';

function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
  return null;
}

/** The token of HTTP Basic credentials (git and Git LFS: any user name, the token as password). */
export function basicPassword(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() !== 'basic' || !value) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Reads the session cookie, if any, without requiring it (UI pages decide for themselves). */
export function sessionLoader(deps: ServiceDeps): RequestHandler {
  return async (req, _res, next) => {
    const sid = req.cookies?.[SESSION_COOKIE];
    if (sid) {
      const principal = await resolveSession(deps, sid);
      if (principal) {
        req.principal = principal;
        req.sessionId = sid;
        if (isLang(principal.user.lang)) req.lang = principal.user.lang;
      }
    }
    next();
  };
}

/**
 * API authentication: a bearer token with the `api` scope, or (for the UI's own scripts) a session
 * cookie with a CSRF header on unsafe methods.
 */
export function apiAuth(deps: ServiceDeps, csrf: Csrf): RequestHandler {
  return async (req, _res, next) => {
    const token = bearerToken(req);
    if (token) {
      const principal = await authenticateToken(deps, token);
      if (!principal.scopes.includes('api')) throw new Forbidden('token_scope_missing', { scope: 'api' });
      req.principal = principal;
      return next();
    }
    if (req.principal?.via === 'session') {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) csrf.check(req);
      return next();
    }
    throw new Unauthenticated();
  };
}

/** Token auth for git and Git LFS (HTTP Basic); `scope` is what the operation needs. */
export async function gitPrincipal(deps: ServiceDeps, req: Request, scope: Scope) {
  const password = basicPassword(req) ?? bearerToken(req);
  if (!password) throw new Unauthenticated('git_credentials_required');
  const principal = await authenticateToken(deps, password);
  if (!principal.scopes.includes(scope)) throw new Forbidden('token_scope_missing', { scope });
  return principal;
}

/**
 * Only these roles may pass. For organisation-wide resources a wrong role is 403; routes about one
 * system answer 404 instead, through the system lookup scoped to the caller (denied looks missing).
 */
export function requireRole(...roles: Role[]): RequestHandler & { roles: Role[] } {
  const mw = ((req: Request, _res: Response, next: NextFunction) => {
    const p = req.principal;
    if (!p) throw new Unauthenticated();
    if (!p.roles.some((r) => roles.includes(r))) throw new Forbidden('role_required');
    next();
  }) as RequestHandler & { roles: Role[] };
  mw.roles = roles;
  return mw;
}

/** Like requireRole, but a caller without the role gets the same 404 as for a missing resource. */
export function requireRoleOr404(...roles: Role[]): RequestHandler & { roles: Role[] } {
  const mw = ((req: Request, _res: Response, next: NextFunction) => {
    const p = req.principal;
    if (!p) throw new Unauthenticated();
    if (!p.roles.some((r) => roles.includes(r))) throw new NotFound();
    next();
  }) as RequestHandler & { roles: Role[] };
  mw.roles = roles;
  return mw;
}

export const OPERATOR: Role[] = ['operator_admin', 'operator_staff'];
