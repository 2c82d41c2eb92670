import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import { applicationsOfSystem } from '../intake/read.js';
import { SYSTEM_STATUSES, type SystemStatus } from './policy.js';
import * as systems from './service.js';

/** Where the system's repository is cloned from (contract.md: /git/<code>.git). */
export function cloneUrl(deps: AppDeps, req: Request, code: string): string {
  const base = deps.config.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return `${base.replace(/\/+$/, '')}/git/${code}.git`;
}

export function systemFilter(query: Request['query']) {
  const status = typeof query.status === 'string' && (SYSTEM_STATUSES as readonly string[]).includes(query.status) ? (query.status as SystemStatus) : undefined;
  const search = typeof query.q === 'string' && query.q.trim() ? query.q.trim().slice(0, 200) : undefined;
  return { status, search };
}

/** HTTP only: the system record, scoped to what the caller may see (a hidden system is a 404). */
export function systemsApi(deps: AppDeps) {
  return {
    async list(req: Request, res: Response) {
      const items = await systems.listSystems(deps, principalOf(req), systemFilter(req.query));
      res.json({ items: items.map((s) => ({ ...s, cloneUrl: cloneUrl(deps, req, s.code) })) });
    },
    async get(req: Request, res: Response) {
      const p = principalOf(req);
      const system = await systems.getSystem(deps, p, String(req.params.code));
      const applications = (await applicationsOfSystem(deps, p, system.id)).map((a) => ({
        id: a.id,
        number: a.number,
        status: a.status,
        submittedAt: a.submittedAt,
        registeredAt: a.registeredAt,
        register: a.register,
      }));
      res.json({ ...system, cloneUrl: cloneUrl(deps, req, system.code), applications });
    },
  };
}
