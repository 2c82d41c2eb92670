import type { Request, Response } from 'express';
import type { Role } from '../accounts/roles.js';
import type { ServiceDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';

/** One thing a role comes to do: a label (`common.actions.<key>`) and where it is done. */
export interface HomeAction {
  key: string;
  href: string;
}

/**
 * What each role can do, in the order they usually do it (regulation.md, "Parties"). The pages
 * behind the links belong to their modules (intake, systems, reports, …).
 */
export const HOME_ACTIONS: Record<Role, HomeAction[]> = {
  operator_admin: [
    { key: 'applications_review', href: '/applications' },
    { key: 'register', href: '/register' },
    { key: 'systems', href: '/systems' },
    { key: 'reports', href: '/reports' },
    { key: 'organizations', href: '/admin/organizations' },
    { key: 'users', href: '/admin/users' },
    { key: 'calendar', href: '/calendar' },
    { key: 'tokens', href: '/tokens' },
  ],
  operator_staff: [
    { key: 'applications_review', href: '/applications' },
    { key: 'register', href: '/register' },
    { key: 'systems', href: '/systems' },
    { key: 'reports', href: '/reports' },
    { key: 'calendar', href: '/calendar' },
    { key: 'tokens', href: '/tokens' },
  ],
  body_user: [
    { key: 'applications_submit', href: '/applications' },
    { key: 'systems_own', href: '/systems' },
    { key: 'calendar', href: '/calendar' },
    { key: 'tokens_git', href: '/tokens' },
  ],
  developer_user: [
    { key: 'systems_developer', href: '/systems' },
    { key: 'tokens_git', href: '/tokens' },
  ],
  authority_viewer: [
    { key: 'reports', href: '/reports' },
    { key: 'systems_notices', href: '/systems' },
    { key: 'tokens', href: '/tokens' },
  ],
  archivist: [
    { key: 'returns', href: '/systems' },
    { key: 'tokens', href: '/tokens' },
  ],
};

/** A panel a later module adds to the home page: a view and its data. */
export interface HomePanel {
  view: string;
  data: Record<string, unknown>;
}

/** The home page: what each role came to do. Later modules add their panels through `panels`. */
export function homePages(_deps: ServiceDeps, views: Views, panels: ((req: Request) => Promise<HomePanel | null>)[] = []) {
  return {
    async home(req: Request, res: Response) {
      const p = principalOf(req);
      const role = p.roles[0];
      const shown = (await Promise.all(panels.map((panel) => panel(req)))).filter((x): x is HomePanel => x !== null);
      views.render(req, res, 'home', { role, org: p.org, actions: HOME_ACTIONS[role], panels: shown });
    },
  };
}
