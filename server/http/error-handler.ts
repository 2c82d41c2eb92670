import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { AppError, InvalidInput, TooLarge } from '../errors.js';
import { t } from './i18n.js';
import type { Views } from './views.js';

/** Errors that body parsers and Node raise, as our own classes. */
function normalize(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; code?: string };
  if (e?.type === 'entity.parse.failed') return new InvalidInput('invalid_json');
  if (e?.type === 'entity.too.large') return new TooLarge('body_too_large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new InvalidInput('unsupported_encoding');
  // a path parameter that is not valid percent-encoding (overlong UTF-8 `%c0%ae`): the router's URIError, status 400
  if (e?.status === 400 && (e?.type || err instanceof URIError)) return new InvalidInput('bad_request');
  return null;
}

export const isApiRequest = (req: Request) => req.originalUrl.startsWith('/api/');

/** The one place that turns errors into responses: JSON for the API and git, a page for the UI. */
export function errorHandler(logger: Logger, views: Views): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = normalize(err);
    if (!known) logger.error({ err, reqId: req.id, url: req.originalUrl }, 'unhandled error');
    const status = known?.status ?? 500;
    const code = known?.code ?? 'internal_error';
    const message = t(req.lang, known?.messageKey ?? 'errors.internal_error', known?.params ?? {});
    const fields = known?.fields
      ? Object.fromEntries(Object.entries(known.fields).map(([k, v]) => [k, t(req.lang, v.key, v.params ?? {})]))
      : undefined;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Overload (503) and rate limits (429) say when to come back (RFC 9110 §10.2.3).
    const retryAfter = (known as { retryAfter?: number } | null)?.retryAfter;
    if ((status === 503 || status === 429) && retryAfter !== undefined && !res.getHeader('Retry-After')) res.setHeader('Retry-After', String(retryAfter));
    if (status === 401 && !res.getHeader('WWW-Authenticate')) {
      res.setHeader('WWW-Authenticate', req.originalUrl.startsWith('/git/') ? 'Basic realm="qoima"' : 'Bearer realm="qoima"');
    }
    if (req.originalUrl.includes('/info/lfs/')) {
      // Git LFS clients read a top-level `message` (Batch API spec); the `error` object is ours.
      if (status === 401) res.setHeader('LFS-Authenticate', 'Basic realm="qoima"');
      res.status(status).type('application/vnd.git-lfs+json').send(JSON.stringify({ message, request_id: req.id, error: { code, message } }));
      return;
    }
    if (isApiRequest(req) || req.originalUrl.startsWith('/git/') || !req.accepts('html')) {
      res.status(status).json({ error: { code, message, ...(fields ? { fields } : {}) } });
      return;
    }
    views.render(req, res, 'error', { status, code, message, fields }, status);
  };
}
