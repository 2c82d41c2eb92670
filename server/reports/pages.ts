import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import { almatyDate } from '../calendar/types.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { actorOf, principalOf } from '../http/context.js';
import { isLang, t, type Lang } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import type { HomePanel } from '../home/pages.js';
import { formatDate, formatTime } from '../intake/read.js';
import { documentModel } from './html.js';
import { halfYear, halfYearOf, periodState } from './period.js';
import { deliverAfterSend } from './routes.js';
import * as service from './service.js';
import type { StoredReport } from './stored.js';
import { periodTitle } from './tables.js';

/** UI pages of the half-yearly report (Rules p.13): HTTP only — parse, call, render. */

/** Half-years from 2025 to the current one, newest first (what the forms offer). */
export function halfYearChoices(today: string): { key: string; ended: boolean }[] {
  const current = halfYearOf(today);
  const out: { key: string; ended: boolean }[] = [];
  for (let year = Number(today.slice(0, 4)); year >= Math.min(2025, Number(today.slice(0, 4))); year--) {
    for (const h of [2, 1]) {
      const p = halfYear(`${year}-H${h}`)!;
      if (p.from > current.from) continue;
      out.push({ key: p.key!, ended: periodState(p, today) === 'final' });
    }
  }
  return out;
}

const helpers = { formatDate, formatTime, periodTitle };
const reportLang = (req: Request): Lang => (isLang(req.query.lang) ? req.query.lang : req.lang);
const errorOf = (req: Request, err: AppError) => t(req.lang, err.messageKey, err.params);

export function reportsPages(deps: AppDeps, views: Views) {
  async function renderList(req: Request, res: Response, error?: AppError) {
    const p = principalOf(req);
    const operator = isOperatorRole(p.roles[0]);
    const [items, due] = await Promise.all([service.listStored(deps, p), operator ? service.dueReport(deps) : null]);
    const latest = new Map<string, number>();
    for (const r of items) latest.set(r.period, Math.max(latest.get(r.period) ?? 0, r.revision));
    views.render(
      req,
      res,
      'reports/list',
      { title: t(req.lang, 'reports.list.title'), items, due, operator, admin: p.roles[0] === 'operator_admin', latest, choices: halfYearChoices(almatyDate(deps.clock())), done: String(req.query.done ?? ''), error: error ? errorOf(req, error) : null, ...helpers },
      error ? error.status : 200,
    );
  }

  async function renderView(req: Request, res: Response, report: { data: Parameters<typeof documentModel>[1]; stored: StoredReport | null }, error?: AppError) {
    const p = principalOf(req);
    const lang = reportLang(req);
    const stored = report.stored;
    const mark = stored ? { revision: stored.revision, sha256: stored.sha256 } : undefined;
    const api = stored ? `/api/v1/reports/stored/${stored.id}` : `/api/v1/reports/${encodeURIComponent(report.data.period.key ?? 'range')}`;
    const range = report.data.period.key ? '' : `&from=${report.data.period.from}&to=${report.data.period.to}`;
    views.render(
      req,
      res,
      'reports/view',
      { title: `${t(req.lang, 'reports.title')} — ${periodTitle(req.lang, report.data.period)}`, doc: documentModel(lang, report.data, mark), stored, reportLang: lang, api, range, admin: p.roles[0] === 'operator_admin', done: String(req.query.done ?? ''), error: error ? errorOf(req, error) : null, ...helpers },
      error ? error.status : 200,
    );
  }

  return {
    /** The list: stored and sent reports, the one due next; `?period=` opens a half-year. */
    async list(req: Request, res: Response) {
      if (typeof req.query.period === 'string' && req.query.period) {
        const lang = isLang(req.query.lang) ? `?lang=${req.query.lang}` : '';
        return res.redirect(303, `/reports/${encodeURIComponent(req.query.period)}${lang}`);
      }
      await renderList(req, res);
    },

    async period(req: Request, res: Response) {
      const report = await service.getReport(deps, principalOf(req), { period: String(req.params.period), from: req.query.from, to: req.query.to });
      await renderView(req, res, report);
    },

    async stored(req: Request, res: Response) {
      const report = await service.getStored(deps, principalOf(req), Number(req.params.id));
      await renderView(req, res, { data: report.data, stored: report });
    },

    /** Operator admins store a half-year's report now (the form of the list page). */
    async store(req: Request, res: Response) {
      try {
        const stored = await service.storeReport(deps, actorOf(req), { period: String((req.body as Record<string, unknown>)?.period ?? '') });
        res.redirect(303, `/reports/stored/${stored.id}?done=stored`);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        await renderList(req, res, err);
      }
    },

    async send(req: Request, res: Response) {
      const id = Number(req.params.id);
      try {
        await service.sendReport(deps, principalOf(req), actorOf(req), id);
        deliverAfterSend(deps);
        res.redirect(303, `/reports/stored/${id}?done=sent`);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err;
        const report = await service.getStored(deps, principalOf(req), id);
        await renderView(req, res, { data: report.data, stored: report }, err);
      }
    },
  };
}

/**
 * The home page panel (Rules p.13): the report due next — from the day its half-year ends, with its
 * due date (the 10th), overdue once that has passed unsent; operator staff only.
 */
export function reportsPanel(deps: AppDeps) {
  return async (req: Request): Promise<HomePanel | null> => {
    const p = principalOf(req);
    if (!isOperatorRole(p.roles[0])) return null;
    const due = await service.dueReport(deps);
    return due ? { view: '/reports/panel', data: { reportDue: due, ...helpers } } : null;
  };
}
