import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { AppError, NotFound } from '../errors.js';
import { SESSION_COOKIE } from '../http/auth.js';
import { actorOf, principalOf } from '../http/context.js';
import { isLang, t, type Lang } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { SCOPES } from './roles.js';
import * as accounts from './service.js';

/** Only same-site paths are followed after login, never another origin. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

/** Field messages of a refused form, keyed by form field, in the page's language. */
export type FieldErrors = Record<string, string>;

/**
 * A refused form: the HTTP status and the field messages of a service error, for showing next to
 * the fields; null when the error is not about the input (it then goes to the error page).
 * `conflictField` places a 409 (e.g. `organization_exists`) next to the field it is about;
 * `overrides` gives a field a clearer message than the generic one.
 */
export function formErrors(
  err: unknown,
  lang: Lang,
  conflictField: Record<string, string> = {},
  overrides: Record<string, string> = {},
): { status: number; fields: FieldErrors } | null {
  if (!(err instanceof AppError)) return null;
  if (err.fields) {
    const fields: FieldErrors = {};
    for (const [path, v] of Object.entries(err.fields)) {
      const field = path.split('.')[0];
      fields[field] ??= overrides[field] ? t(lang, overrides[field]) : t(lang, v.key, v.params ?? {});
    }
    return { status: err.status, fields };
  }
  const field = conflictField[err.code];
  return field ? { status: err.status, fields: { [field]: t(lang, err.messageKey, err.params) } } : null;
}

/** A form text field: trimmed, and absent when empty (optional fields of the service schemas). */
export function optional(value: unknown): string | undefined {
  const s = typeof value === 'string' ? value.trim() : '';
  return s === '' ? undefined : s;
}

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A positive integer id from the URL; anything else is the same 404 as a missing record. */
export function idParam(value: unknown): number {
  const id = typeof value === 'string' && /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFound();
  return id;
}

/** What the token form sends, as the service expects it (checkboxes arrive as a string or a list). */
export function tokenFormInput(body: Record<string, unknown>) {
  const scopes = body.scopes === undefined ? [] : Array.isArray(body.scopes) ? body.scopes : [body.scopes];
  const days = text(body.expiresInDays).trim();
  return {
    values: { name: text(body.name), scopes: scopes.map(String), expiresInDays: days },
    // A non-number stays a string so that the service refuses it (one validation for UI, API, CLI).
    input: { name: text(body.name), scopes, expiresInDays: days === '' ? undefined : /^[0-9]{1,9}$/.test(days) ? Number(days) : days },
  };
}

export const TOKEN_FORM_DEFAULTS = { name: '', scopes: ['api'], expiresInDays: '90' };
export const TOKEN_FIELD_MESSAGES = { scopes: 'admin.fields.scopes_required', expiresInDays: 'admin.fields.whole_days' };

/** Token rows for the views: with their state at `now` (active, expired or revoked). */
export function tokenRows(tokens: accounts.Token[], now: Date) {
  const iso = now.toISOString();
  return tokens.map((tk) => ({ ...tk, state: tk.revokedAt ? 'revoked' : tk.expiresAt && tk.expiresAt <= iso ? 'expired' : 'active' }));
}

/** Dates as the operator reads them: local time of Astana/Almaty, `YYYY-MM-DD HH:MM`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString('sv-SE', { timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** Short success notes shown after a redirect (`?done=<key>`); only known keys are shown. */
const FLASHES = ['org_created', 'user_created', 'user_disabled', 'user_enabled', 'password_set', 'token_revoked'] as const;
export function flashOf(req: Request): string | null {
  const done = req.query.done;
  return typeof done === 'string' && (FLASHES as readonly string[]).includes(done) ? t(req.lang, `admin.flash.${done}`) : null;
}

/** Pages are personal: never kept by shared caches or the back button's disk cache. */
export function noStore(res: Response) {
  res.setHeader('Cache-Control', 'no-store');
}

export function accountsPages(deps: ServiceDeps, views: Views, opts: { secureCookies: boolean }) {
  const cookieOpts = { httpOnly: true, sameSite: 'lax' as const, secure: opts.secureCookies, path: '/' };

  async function renderTokens(req: Request, res: Response, extra: { created?: unknown; values?: unknown; errors?: FieldErrors | null } = {}, status = 200) {
    const p = principalOf(req);
    noStore(res);
    views.render(
      req,
      res,
      'tokens',
      {
        tokens: tokenRows(await accounts.listTokens(deps, p.user.id), deps.clock()),
        scopes: SCOPES,
        created: extra.created ?? null,
        values: extra.values ?? TOKEN_FORM_DEFAULTS,
        errors: extra.errors ?? {},
        flash: flashOf(req),
        formatTime,
        scripts: ['copy.js'],
      },
      status,
    );
  }

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

    /** GET /tokens: the caller's own personal access tokens. */
    async tokens(req: Request, res: Response) {
      await renderTokens(req, res);
    },
    /** POST /tokens: the new token is rendered once, in this response, and never again. */
    async createToken(req: Request, res: Response) {
      const { values, input } = tokenFormInput(req.body as Record<string, unknown>);
      try {
        const created = await accounts.createToken(deps, actorOf(req), principalOf(req).user.id, input);
        await renderTokens(req, res, { created }, 201);
      } catch (err) {
        const refused = formErrors(err, req.lang, {}, TOKEN_FIELD_MESSAGES);
        if (!refused) throw err;
        await renderTokens(req, res, { values, errors: refused.fields }, refused.status);
      }
    },
    async revokeToken(req: Request, res: Response) {
      await accounts.revokeToken(deps, actorOf(req), idParam(req.params.id), principalOf(req).user.id);
      res.redirect(303, '/tokens?done=token_revoked');
    },
  };
}

/** UI pages need a signed-in user: others are sent to the login form and back. */
export function requireLogin(req: Request, res: Response, next: () => void) {
  if (req.principal) return next();
  res.redirect(303, '/login?next=' + encodeURIComponent(req.originalUrl));
}
