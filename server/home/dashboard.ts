import type { Request } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import { attentionDeadlines } from '../deadlines/service.js';
import type { ServiceDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import { applicationCounts, formatDate } from '../intake/read.js';
import { systemCounts } from '../systems/service.js';
import type { HomePanel } from './pages.js';

/**
 * The dashboard panel of the home page: applications and systems by status, and the deadlines that
 * are overdue or due soon, soonest first. Operator staff see everything; a body's users their own.
 */
export function dashboardPanel(deps: ServiceDeps) {
  return async (req: Request): Promise<HomePanel | null> => {
    const p = principalOf(req);
    const operator = isOperatorRole(p.roles[0]);
    if (!operator && p.roles[0] !== 'body_user') return null;
    const [applications, systems, attention] = await Promise.all([applicationCounts(deps, p), systemCounts(deps, p), attentionDeadlines(deps, p, 50)]);
    return { view: '/intake/dashboard', data: { dash: { operator, applications, systems, attention }, formatDate } };
  };
}
