import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { actorOf } from '../http/context.js';
import type { Lang } from '../http/i18n.js';
import type { DayOff } from './rules.js';
import * as calendar from './service.js';

/** A day off as the API gives it: the name in the request's language, and in all three. */
export function dayOffOut(d: DayOff, lang: Lang) {
  return { date: d.date, kind: d.kind, name: d.name[lang], names: d.name, ...(d.basis === undefined ? {} : { basis: d.basis }) };
}

/** HTTP only: parse, authorize (in the route table), call one service function, answer. */
export function calendarApi(deps: ServiceDeps) {
  return {
    async year(req: Request, res: Response) {
      const view = await calendar.calendarYear(deps, req.valid.params);
      res.json({
        year: view.year,
        workingDays: view.workingDays,
        daysOff: view.daysOff.map((d) => dayOffOut(d, req.lang)),
        workingWeekendDays: view.workingWeekendDays.map((d) => d.date),
      });
    },
    async workingDays(req: Request, res: Response) {
      res.json(await calendar.workingDayAfter(deps, req.valid.query));
    },
    async listOverrides(_req: Request, res: Response) {
      res.json({ items: await calendar.listOverrides(deps) });
    },
    /** 201 for a new decree, 200 when it replaces the decree of the same date. */
    async setOverride(req: Request, res: Response) {
      const { override, created } = await calendar.setOverride(deps, actorOf(req), req.valid.body);
      res.status(created ? 201 : 200).json(override);
    },
    async removeOverride(req: Request, res: Response) {
      await calendar.removeOverride(deps, actorOf(req), req.valid.params);
      res.status(204).end();
    },
  };
}
