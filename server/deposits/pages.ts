import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import type { AppDeps } from '../deps.js';
import { AppError } from '../errors.js';
import { actorOf, principalOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { formatTime } from '../intake/read.js';
import * as repoRead from '../repositories/read.js';
import { WITH_REPOSITORY } from '../repositories/service.js';
import { parseInput } from '../util/validate.js';
import { formatSize } from './act.js';
import { CATEGORY_KEYS } from './classify.js';
import { findingMessage } from './findings.js';
import type { InventoryFile } from './inventory.js';
import { systemsWithDeposits } from './queries.js';
import * as read from './read.js';
import { sendAct, versionOf } from './routes.js';
import { DiffQuery, InventoryQuery } from './schemas.js';
import { ACCEPTABLE, acceptDeposit } from './service.js';

const code = (req: Request) => String(req.params.code);
/** The inventory page lists this many files; the API streams them all. */
const PAGE_FILES = 2000;
const helpers = { formatSize, formatTime, findingMessage, categories: CATEGORY_KEYS };

/** UI pages of deposits (issue 6): HTTP only — parse, call, render. */
export function depositsPages(deps: AppDeps, views: Views) {
  async function renderInventory(req: Request, res: Response, ref: string | undefined, form: { error?: AppError; values?: Record<string, string> } = {}) {
    const p = principalOf(req);
    const files: InventoryFile[] = [];
    const { system, ref: name, inventory } = await read.inventoryOf(deps, p, code(req), ref, (f) => {
      if (files.length < PAGE_FILES) files.push(f);
    });
    const refs = await repoRead.refsOf(deps, await repoRead.openRepository(deps, p, system.code));
    const mayAccept = isOperatorRole(p.roles[0]) && ACCEPTABLE.includes(system.status);
    const error = form.error
      ? { message: t(req.lang, form.error.messageKey, form.error.params), fields: Object.fromEntries(Object.entries(form.error.fields ?? {}).map(([k, v]) => [k, t(req.lang, v.key, v.params ?? {})])) }
      : null;
    views.render(req, res, 'deposits/inventory', { title: `${system.code} — ${t(req.lang, 'deposits.inventory.title')}`, system, ref: name, refs, inventory, files, mayAccept, error, values: form.values ?? {}, ...helpers }, error ? (form.error!.status === 400 ? 400 : 409) : 200);
  }

  return {
    async overview(req: Request, res: Response) {
      const systems = await systemsWithDeposits(deps.db, principalOf(req), WITH_REPOSITORY);
      views.render(req, res, 'deposits/overview', { title: t(req.lang, 'deposits.title'), systems, ...helpers });
    },

    async inventory(req: Request, res: Response) {
      const { ref } = parseInput(InventoryQuery, req.query);
      await renderInventory(req, res, ref);
    },

    /** The acceptance form of the inventory page (CSRF-protected in the route table). */
    async accept(req: Request, res: Response) {
      const body = (req.body ?? {}) as Record<string, string | undefined>;
      const values = { ref: String(body.ref ?? ''), overrideReason: String(body.overrideReason ?? ''), override: body.override === 'on' ? 'on' : '' };
      const input = { ref: values.ref, override: values.override === 'on' ? true : undefined, overrideReason: values.overrideReason.trim() || undefined };
      try {
        const accepted = await acceptDeposit(deps, actorOf(req), principalOf(req), code(req), input);
        res.redirect(303, `/systems/${encodeURIComponent(code(req))}/deposits/v${accepted.version}?done=accepted`);
      } catch (err) {
        if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 409)) throw err;
        await renderInventory(req, res, values.ref || undefined, { error: err, values });
      }
    },

    /** The system's deposit history: versions, who accepted, and what changed between two of them. */
    async history(req: Request, res: Response) {
      const query = parseInput(DiffQuery, req.query);
      const { system, items } = await read.listDeposits(deps, principalOf(req), code(req));
      const to = query.to ?? items[0]?.version;
      const from = query.from ?? (to && to > 1 ? to - 1 : undefined);
      const diff = items.length > 1 && from && to && from !== to ? await read.diffDeposits(deps, system, from, to, 300) : null;
      views.render(req, res, 'deposits/history', { title: `${system.code} — ${t(req.lang, 'deposits.history.title')}`, system, items, diff, from, to, ...helpers });
    },

    async detail(req: Request, res: Response) {
      const category = typeof req.query.category === 'string' && req.query.category ? req.query.category.slice(0, 32) : undefined;
      const page = Math.max(1, Math.min(100000, Number(req.query.page) || 1));
      const { system, deposit } = await read.getDeposit(deps, principalOf(req), code(req), versionOf(req), { limit: 500, offset: (page - 1) * 500, category });
      views.render(req, res, 'deposits/detail', { title: `${system.code} ${deposit.tag}`, system, deposit, category: category ?? '', page, done: req.query.done === 'accepted', ...helpers });
    },

    act: (req: Request, res: Response) => sendAct(deps, views, req, res, false),
    actPdf: (req: Request, res: Response) => sendAct(deps, views, req, res, true),
  };
}
