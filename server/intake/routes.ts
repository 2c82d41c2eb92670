import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { AppDeps, ServiceDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { almatyDate } from '../calendar/types.js';
import { ApplicationNotFound } from './errors.js';
import { parseForm } from './form.js';
import * as read from './read.js';
import { RegisterQuery } from './schemas.js';
import * as intake from './service.js';

/**
 * Documents a request's schemas for the OpenAPI document without parsing them here: the service
 * parses (with today's date checks and the intake namespace's field messages).
 */
export function documented(schemas: { body?: z.ZodType; query?: z.ZodType }): RequestHandler & { schemas: typeof schemas } {
  const mw = ((_req, _res, next) => next()) as RequestHandler & { schemas: typeof schemas };
  mw.schemas = schemas;
  return mw;
}

export function idParam(req: Request): number {
  const id = Number(req.params.id);
  if (!/^\d{1,12}$/.test(String(req.params.id)) || !Number.isSafeInteger(id)) throw new ApplicationNotFound();
  return id;
}

/** The register's year: the one asked for, else the current year (Asia/Almaty). */
export function registerYear(deps: ServiceDeps, query: unknown): { year: number; lang?: 'kk' | 'ru' } {
  const q = parseForm(RegisterQuery, query ?? {});
  return { year: q.year ?? Number(almatyDate(deps.clock()).slice(0, 4)), lang: q.lang };
}

/** HTTP only: parse, authorize, call one service function, answer (style.md §1). */
export function intakeApi(deps: AppDeps) {
  return {
    async submit(req: Request, res: Response) {
      res.status(201).json(await intake.submitApplication(deps, principalOf(req), actorOf(req), req.body));
    },
    async createDraft(req: Request, res: Response) {
      res.status(201).json(await intake.saveDraft(deps, principalOf(req), actorOf(req), req.body));
    },
    async updateDraft(req: Request, res: Response) {
      res.json(await intake.saveDraft(deps, principalOf(req), actorOf(req), req.body, idParam(req)));
    },
    async submitDraft(req: Request, res: Response) {
      res.json(await intake.submitApplication(deps, principalOf(req), actorOf(req), req.body, idParam(req)));
    },
    async list(req: Request, res: Response) {
      res.json(await read.listApplications(deps, principalOf(req), req.query));
    },
    async get(req: Request, res: Response) {
      res.json(await read.getApplication(deps, principalOf(req), idParam(req)));
    },
    /** Registers the application (p.8). The repository is formed by its module after this commits. */
    async register(req: Request, res: Response) {
      const r = await intake.registerAndFormRepository(deps, principalOf(req), actorOf(req), idParam(req), req.body);
      if (r.repositoryError) req.log.error({ err: r.repositoryError, system: r.system.code }, 'registered, but forming the repository failed');
      res.json({ registerNo: r.registerNo, year: r.year, system: r.system, application: r.application, deadlines: r.deadlines, repository: r.repository });
    },
    async reject(req: Request, res: Response) {
      res.json(await intake.rejectApplication(deps, principalOf(req), actorOf(req), idParam(req), req.body));
    },
    async portalReference(req: Request, res: Response) {
      res.json(await intake.recordPortalReference(deps, principalOf(req), actorOf(req), idParam(req), req.body));
    },
    async registerList(req: Request, res: Response) {
      const { year } = registerYear(deps, req.query);
      res.json({ year, items: await read.registerOf(deps, year) });
    },
    async registerCsv(req: Request, res: Response) {
      const { year, lang } = registerYear(deps, req.query);
      const csvLang = lang ?? (req.lang === 'kk' ? 'kk' : 'ru');
      res.type('text/csv; charset=utf-8').attachment(`register-${year}-${csvLang}.csv`).send(read.registerCsv(await read.registerOf(deps, year), csvLang));
    },
  };
}
