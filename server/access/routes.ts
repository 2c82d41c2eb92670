import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { AccessNotFound } from './errors.js';
import * as read from './read.js';
import type { AccessRequestQuery, CatalogueQuery } from './schemas.js';
import * as access from './service.js';

/** A numeric id from the path, or the same 404 as for a missing one. */
export function idOf(req: Request, missing: 'grant_not_found' | 'request_not_found'): number {
  const raw = String(req.params.id);
  if (!/^\d{1,12}$/.test(raw)) throw new AccessNotFound(missing);
  return Number(raw);
}

const code = (req: Request) => String(req.params.code);

/** HTTP only: grants (Rules p.10), access requests and the catalogue. */
export function accessApi(deps: AppDeps) {
  return {
    async grant(req: Request, res: Response) {
      res.status(201).json(await access.grantAccess(deps, principalOf(req), actorOf(req), code(req), req.body));
    },
    async listGrants(req: Request, res: Response) {
      res.json({ items: await read.listGrants(deps, principalOf(req), code(req)) });
    },
    async revoke(req: Request, res: Response) {
      res.json(await access.revokeGrant(deps, principalOf(req), actorOf(req), code(req), idOf(req, 'grant_not_found'), req.body));
    },
    async myGrants(req: Request, res: Response) {
      res.json({ items: await read.myGrants(deps, principalOf(req)) });
    },
    async request(req: Request, res: Response) {
      res.status(201).json(await access.requestAccess(deps, principalOf(req), actorOf(req), req.body));
    },
    async listRequests(req: Request, res: Response) {
      const query = req.valid.query as z.infer<typeof AccessRequestQuery>;
      res.json({ items: await read.listRequests(deps, principalOf(req), { status: query.status }) });
    },
    async grantRequest(req: Request, res: Response) {
      res.json(await access.grantRequest(deps, principalOf(req), actorOf(req), idOf(req, 'request_not_found'), req.body));
    },
    async refuseRequest(req: Request, res: Response) {
      res.json(await access.refuseRequest(deps, principalOf(req), actorOf(req), idOf(req, 'request_not_found'), req.body));
    },
    async catalogue(req: Request, res: Response) {
      const query = req.valid.query as z.infer<typeof CatalogueQuery>;
      res.json({ items: await read.catalogue(deps, principalOf(req), query.q) });
    },
  };
}
