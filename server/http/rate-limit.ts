import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { TooManyRequests } from '../errors.js';

/**
 * Failed logins per address and login name: after `attempts` failures in 15 minutes the next try is
 * refused with 429 (successful logins do not count).
 */
export function loginLimiter(attempts: number): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60_000,
    limit: attempts,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${String((req.body as { login?: string })?.login ?? '').toLowerCase().slice(0, 64)}`,
    handler: (_req, _res, next) => next(new TooManyRequests('login_rate_limited')),
  });
}
