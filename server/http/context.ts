import type { Principal } from '../accounts/service.js';
import type { Actor } from '../deps.js';
import type { Lang } from './i18n.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The authenticated caller, set by the auth middleware. */
      principal?: Principal;
      /** The language of the response: the user's choice, else Accept-Language, else ru. */
      lang: Lang;
      /** The raw session id of a signed-in UI user (cookie), for CSRF binding and logout. */
      sessionId?: string;
    }
  }
}

/** The audit actor of a request. */
export function actorOf(req: Express.Request & { ip?: string }): Actor {
  const p = req.principal;
  return { userId: p?.user.id ?? null, orgId: p?.org.id ?? null, login: p?.user.login ?? null, ip: req.ip ?? null };
}

/** The principal of a request that passed an auth middleware. */
export function principalOf(req: Express.Request): Principal {
  if (!req.principal) throw new Error('principalOf called on a route without authentication');
  return req.principal;
}
