import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { NotFound } from '../errors.js';
import type { OrgKind } from './roles.js';
import { ORG_KINDS } from './roles.js';
import * as accounts from './service.js';

/** HTTP only: parse, authorize, call one service function, answer (style.md §1). */
export function accountsApi(deps: ServiceDeps) {
  return {
    async createOrganization(req: Request, res: Response) {
      res.status(201).json(await accounts.createOrganization(deps, actorOf(req), req.valid.body));
    },
    async listOrganizations(req: Request, res: Response) {
      const kind = typeof req.query.kind === 'string' && (ORG_KINDS as readonly string[]).includes(req.query.kind) ? (req.query.kind as OrgKind) : undefined;
      res.json({ items: await accounts.listOrganizations(deps, kind) });
    },
    async createUser(req: Request, res: Response) {
      res.status(201).json(await accounts.createUser(deps, actorOf(req), req.valid.body));
    },
    async listUsers(_req: Request, res: Response) {
      res.json({ items: await accounts.listUsers(deps) });
    },
    async me(req: Request, res: Response) {
      const p = principalOf(req);
      res.json({ user: p.user, organization: p.org, roles: p.roles, scopes: p.scopes });
    },
    /** A token for oneself, or (operator admins, `login` given) for another user. */
    async createToken(req: Request, res: Response) {
      const p = principalOf(req);
      const body = req.valid.body as { login?: string };
      let userId = p.user.id;
      if (body.login && body.login !== p.user.login) {
        if (!p.roles.includes('operator_admin')) throw new NotFound('user_not_found', { login: body.login });
        userId = await accounts.userIdByLogin(deps, body.login);
      }
      res.status(201).json(await accounts.createToken(deps, actorOf(req), userId, req.valid.body));
    },
    async listTokens(req: Request, res: Response) {
      res.json({ items: await accounts.listTokens(deps, principalOf(req).user.id) });
    },
    async revokeToken(req: Request, res: Response) {
      const p = principalOf(req);
      const id = Number(req.params.id);
      if (!Number.isSafeInteger(id)) throw new NotFound('token_not_found');
      await accounts.revokeToken(deps, actorOf(req), id, p.roles.includes('operator_admin') ? null : p.user.id);
      res.status(204).end();
    },
  };
}
