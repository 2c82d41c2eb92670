import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import { noStore, text, type FieldErrors } from '../accounts/pages.js';
import { almatyDate } from '../calendar/types.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { actorOf, principalOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { displayDate, displayTime } from '../notify/render.js';
import { SCOPES } from './schemas.js';
import { notifiableSystems } from './queries.js';
import * as read from './read.js';
import { sendPackage, startReturnJob } from './routes.js';
import * as returns from './service.js';

const FLASHES = ['notified', 'started', 'archived', 'purged'] as const;
const flashOf = (req: Request) => (typeof req.query.done === 'string' && (FLASHES as readonly string[]).includes(req.query.done) ? t(req.lang, `returns.flash.${req.query.done}`) : null);
const code = (req: Request) => String(req.params.code);
const back = (req: Request, done: string) => `/systems/${encodeURIComponent(code(req))}/return?done=${done}`;
const helpers = { displayDate, displayTime, scopes: SCOPES, formatBytes: (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${n} B`) };

type Form = 'notice' | 'transfer' | 'purge' | 'start';
const RENAMED: Record<string, string> = { 'basis.number': 'basisNumber', 'basis.date': 'basisDate', basis: 'basisNumber' };

/** UI of decommissioning and returns (Rules p.11–12): one page per system, and the list of returns. */
export function returnsPages(deps: AppDeps, views: Views) {
  async function render(req: Request, res: Response, form: { which?: Form; values?: Record<string, string>; errors?: FieldErrors; message?: string } = {}, status = 200) {
    const p = principalOf(req);
    const { system, ret } = await read.returnOf(deps, p, code(req));
    const view = ret ? await read.returnView(deps, system, ret) : null;
    const role = p.roles[0];
    const owner = role === 'body_user';
    const state = view?.system.status ?? system.status;
    const may = {
      // Shown to the owner until a notice exists; a system never accepted gets the service's clear 409 on sending.
      notice: owner && !ret,
      start: isOperatorRole(role) && state === 'decommission_notified' && view?.package?.status !== 'generating',
      transfer: (owner || role === 'archivist') && state === 'returned',
      purge: role === 'operator_admin' && state === 'archived' && !view?.purge,
    };
    // While the package is being built, the browser reloads the page (no script needed for the progress bar).
    if (view?.package?.status === 'generating') res.setHeader('Refresh', '3');
    noStore(res);
    const today = almatyDate(deps.clock());
    const values = { withdrawnOn: '', basisNumber: '', basisDate: '', scope: 'last_version', actNumber: '', actDate: today, reason: '', ...(form.values ?? {}) };
    views.render(req, res, 'returns/system', { title: `${system.code} — ${t(req.lang, 'returns.title')}`, system, view, state, may, form: form.which ?? null, values, errors: form.errors ?? {}, message: form.message ?? null, flash: flashOf(req), today, ...helpers }, status);
  }

  /** Runs a form's action; a refused one is shown again with its messages (fields, or the page's alert). */
  async function act(req: Request, res: Response, which: Form, values: Record<string, string>, run: () => Promise<unknown>, done: string) {
    try {
      await run();
      res.redirect(303, back(req, done));
    } catch (err) {
      // The notice's `basis.number` and `basis.date` are the form's basisNumber and basisDate.
      if (err instanceof AppError && err.fields) {
        const errors: FieldErrors = {};
        for (const [path, v] of Object.entries(err.fields)) errors[RENAMED[path] ?? path.split('.')[0]] ??= t(req.lang, v.key, v.params ?? {});
        return render(req, res, { which, values, errors }, err.status);
      }
      if (err instanceof AppError && err.status === 409) return render(req, res, { which, values, message: t(req.lang, err.messageKey, err.params) }, 409);
      throw err;
    }
  }

  return {
    page: (req: Request, res: Response) => render(req, res),

    async notice(req: Request, res: Response) {
      const b = req.body as Record<string, unknown>;
      const values = { withdrawnOn: text(b.withdrawnOn), basisNumber: text(b.basisNumber), basisDate: text(b.basisDate), scope: text(b.scope) || 'last_version' };
      const input = { withdrawnOn: values.withdrawnOn, basis: { number: values.basisNumber, date: values.basisDate }, scope: values.scope };
      await act(req, res, 'notice', values, () => returns.notifyDecommission(deps, principalOf(req), actorOf(req), code(req), input), 'notified');
    },

    start: (req: Request, res: Response) => act(req, res, 'start', {}, () => startReturnJob(deps, req), 'started'),

    async transfer(req: Request, res: Response) {
      const b = req.body as Record<string, unknown>;
      const values = { actNumber: text(b.actNumber), actDate: text(b.actDate) };
      await act(req, res, 'transfer', values, () => returns.transferToArchive(deps, principalOf(req), actorOf(req), code(req), values), 'archived');
    },

    async purge(req: Request, res: Response) {
      const values = { reason: text((req.body as Record<string, unknown>).reason) };
      await act(req, res, 'purge', values, () => returns.purgeRepository(deps, principalOf(req), actorOf(req), code(req), values), 'purged');
    },

    zip: (req: Request, res: Response) => sendPackage(deps, req, res, 'zip'),
    tar: (req: Request, res: Response) => sendPackage(deps, req, res, 'tar'),

    /** The returns in the caller's scope; for an archivist, first the packages ready for transfer (p.12). */
    async list(req: Request, res: Response) {
      const p = principalOf(req);
      const items = await read.listReturns(deps, p);
      noStore(res);
      views.render(req, res, 'returns/list', {
        title: t(req.lang, 'returns.list.title'),
        notifiable: p.roles[0] === 'body_user' ? await notifiableSystems(deps.db, p) : [],
        ready: items.filter((i) => i.status === 'returned'),
        others: items.filter((i) => i.status !== 'returned'),
        archivist: p.roles[0] === 'archivist',
        ...helpers,
      });
    },
  };
}
