import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';

/** The home page: what each role came to do. Later modules add their panels through `panels`. */
export function homePages(_deps: ServiceDeps, views: Views) {
  return {
    home(req: Request, res: Response) {
      const p = principalOf(req);
      views.render(req, res, 'home', { role: p.roles[0], org: p.org });
    },
  };
}
