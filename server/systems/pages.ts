import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import type { AppDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { applicationsOfSystem, formatDate, formatTime } from '../intake/read.js';
import { SYSTEM_STATUSES } from './policy.js';
import { cloneUrl, systemFilter } from './routes.js';
import * as systems from './service.js';

/** UI pages of the system record: the list and one system with its deadlines, applications and events. */
export function systemsPages(deps: AppDeps, views: Views) {
  return {
    async list(req: Request, res: Response) {
      const p = principalOf(req);
      const filter = systemFilter(req.query);
      views.render(req, res, 'systems/list', {
        title: t(req.lang, 'systems.title'),
        items: await systems.listSystems(deps, p, filter),
        filter: { status: filter.status ?? '', q: filter.search ?? '' },
        statuses: SYSTEM_STATUSES,
        operator: isOperatorRole(p.roles[0]),
        formatDate,
      });
    },
    async detail(req: Request, res: Response) {
      const p = principalOf(req);
      const system = await systems.getSystem(deps, p, String(req.params.code));
      views.render(req, res, 'systems/detail', {
        title: system.code,
        system,
        cloneUrl: cloneUrl(deps, req, system.code),
        applications: await applicationsOfSystem(deps, p, system.id),
        formatDate,
        formatTime,
      });
    },
  };
}
