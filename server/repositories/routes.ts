import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { actorOf, principalOf } from '../http/context.js';
import { findSystemFor } from '../systems/queries.js';
import * as read from './read.js';
import { formRepository } from './service.js';

/** REST handlers of repositories: HTTP only — parse, authorize (scoped lookup), call, answer. */
export function repositoriesApi(deps: AppDeps) {
  const base = (req: Request) => deps.config.publicUrl ?? `${req.protocol}://${req.get('host')}`;
  const code = (req: Request) => String(req.params.code);

  return {
    /** Rules p.8, by an explicit operator action (registration forms it on its own). */
    async form(req: Request, res: Response) {
      const system = await findSystemFor(deps.db, principalOf(req), code(req), 'operate');
      if (!system) throw new NotFound();
      const formed = await formRepository(deps, actorOf(req), system.id);
      res.status(201).json({ code: system.code, status: 'repository_formed', ...formed, cloneUrl: read.cloneUrl(base(req), system.code) });
    },

    async show(req: Request, res: Response) {
      const repo = await read.openRepository(deps, principalOf(req), code(req));
      const refs = await read.refsOf(deps, repo);
      const strip = (r: { name: string; commit: string; date: string; subject: string }) => ({ name: r.name, commit: r.commit, date: r.date, subject: r.subject });
      res.json({
        code: repo.system.code,
        status: repo.system.status,
        cloneUrl: read.cloneUrl(base(req), repo.system.code),
        defaultBranch: refs.head,
        branches: refs.branches.map(strip),
        tags: refs.tags.map(strip),
      });
    },
  };
}
