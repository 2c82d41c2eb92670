import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { InvalidInput } from '../errors.js';
import { actorOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { isoWeekday, MAX_YEAR, MIN_YEAR } from './dates.js';
import { DAY_KINDS } from './rules.js';
import { yearGrid } from './grid.js';
import * as calendar from './service.js';
import { almatyDate } from './types.js';

interface OverrideForm {
  error: string;
  fields: Record<string, string>;
  values: { date: string; working: string; basis: string };
}

/** The calendar page: a printable year in twelve months, and the decree form for operator admins. */
export function calendarPages(deps: ServiceDeps, views: Views) {
  async function show(req: Request, res: Response, yearInput: unknown, form: OverrideForm | null = null, status = 200) {
    const today = almatyDate(deps.clock());
    const view = await calendar.calendarYear(deps, { year: yearInput ?? today.slice(0, 4) });
    const isAdmin = req.principal?.roles.includes('operator_admin') ?? false;
    views.render(
      req,
      res,
      'calendar',
      {
        view,
        months: yearGrid(view, today),
        kinds: DAY_KINDS,
        weekdayOf: isoWeekday,
        isAdmin,
        form,
        done: typeof req.query.done === 'string' ? req.query.done : null,
      },
      status,
    );
  }

  /** A failed form comes back on the page with its values and a message per field. */
  function formError(req: Request, err: InvalidInput, values: OverrideForm['values']): OverrideForm {
    const fields = Object.fromEntries(Object.entries(err.fields ?? {}).map(([k, v]) => [k, t(req.lang, v.key, v.params ?? {})]));
    return { error: t(req.lang, err.messageKey, err.params), fields, values };
  }

  return {
    async page(req: Request, res: Response) {
      await show(req, res, typeof req.query.year === 'string' ? req.query.year : undefined);
    },
    async setOverride(req: Request, res: Response) {
      const body = req.body as Record<string, unknown>;
      const values = { date: String(body.date ?? ''), working: String(body.working ?? ''), basis: String(body.basis ?? '') };
      const working = values.working === 'working' ? true : values.working === 'off' ? false : undefined;
      try {
        const { override } = await calendar.setOverride(deps, actorOf(req), { date: values.date, working, basis: values.basis });
        res.redirect(303, `/calendar?year=${override.date.slice(0, 4)}&done=set#overrides`);
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err;
        const year = Number(values.date.slice(0, 4));
        await show(req, res, year >= MIN_YEAR && year <= MAX_YEAR ? year : undefined, formError(req, err, values), 400);
      }
    },
    async removeOverride(req: Request, res: Response) {
      const removed = await calendar.removeOverride(deps, actorOf(req), { date: String(req.params.date) });
      res.redirect(303, `/calendar?year=${removed.date.slice(0, 4)}&done=removed#overrides`);
    },
  };
}
