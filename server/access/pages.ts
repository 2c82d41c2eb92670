import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import { listOrganizations } from '../accounts/service.js';
import { formErrors, noStore, optional, text, type FieldErrors } from '../accounts/pages.js';
import { orgName } from '../accounts/admin-pages.js';
import type { AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import type { HomePanel } from '../home/pages.js';
import { displayDate, displayTime, expiryText } from '../notify/render.js';
import { getSystem } from '../systems/service.js';
import * as read from './read.js';
import { idOf } from './routes.js';
import { PURPOSES } from './schemas.js';
import * as access from './service.js';

const FLASHES = ['granted', 'revoked', 'requested', 'request_granted', 'request_refused'] as const;
const flashOf = (req: Request) => (typeof req.query.done === 'string' && (FLASHES as readonly string[]).includes(req.query.done) ? t(req.lang, `access.flash.${req.query.done}`) : null);

/** A form's optional version: empty is none; anything else goes to the service as a number (or as typed, to be refused). */
const versionOf = (v: unknown) => (optional(v) === undefined ? undefined : /^\d{1,7}$/.test(text(v).trim()) ? Number(text(v).trim()) : text(v));

const helpers = { orgName, displayDate, displayTime, expiryText, purposes: PURPOSES };

/** UI of access (Rules p.10): the operator's grant screen of a system, requests, the catalogue. */
export function accessPages(deps: AppDeps, views: Views) {
  async function renderGrants(req: Request, res: Response, form: { values?: Record<string, string>; errors?: FieldErrors } = {}, status = 200) {
    const p = principalOf(req);
    const system = await getSystem(deps, p, String(req.params.code));
    const grants = await read.listGrants(deps, p, system.code);
    const bodies = (await listOrganizations(deps, 'government_body')).filter((o) => o.id !== system.owner.id);
    noStore(res);
    views.render(req, res, 'access/grants', { title: system.code, system, grants, bodies, values: form.values ?? { purpose: 'reuse' }, errors: form.errors ?? {}, flash: flashOf(req), ...helpers }, status);
  }

  async function renderRequests(req: Request, res: Response, refused: { id?: number; errors?: FieldErrors } = {}, status = 200) {
    const p = principalOf(req);
    const requests = await read.listRequests(deps, p);
    noStore(res);
    views.render(req, res, 'access/requests', { title: t(req.lang, 'access.requests.title'), requests, operator: isOperatorRole(p.roles[0]), failed: refused, flash: flashOf(req), ...helpers }, status);
  }

  async function renderRequestForm(req: Request, res: Response, form: { values: Record<string, string>; errors?: FieldErrors }, status = 200) {
    const items = await read.catalogue(deps, principalOf(req));
    noStore(res);
    views.render(req, res, 'access/request-form', { title: t(req.lang, 'access.request_form.title'), systems: items.filter((i) => i.access === 'none'), values: form.values, errors: form.errors ?? {}, ...helpers }, status);
  }

  return {
    grants: (req: Request, res: Response) => renderGrants(req, res),

    async grant(req: Request, res: Response) {
      const body = req.body as Record<string, unknown>;
      const values = { organization: text(body.organization), purpose: text(body.purpose), basis: text(body.basis), expiresAt: text(body.expiresAt), version: text(body.version) };
      const input = { organization: values.organization.trim(), purpose: values.purpose, basis: values.basis, expiresAt: optional(values.expiresAt), version: versionOf(values.version) };
      try {
        await access.grantAccess(deps, principalOf(req), actorOf(req), String(req.params.code), input);
        res.redirect(303, `/systems/${encodeURIComponent(String(req.params.code))}/access?done=granted`);
      } catch (err) {
        const refused = formErrors(err, req.lang, { grant_exists: 'organization', system_without_repository: 'organization' });
        if (!refused) throw err;
        await renderGrants(req, res, { values, errors: refused.fields }, refused.status);
      }
    },

    async revoke(req: Request, res: Response) {
      await access.revokeGrant(deps, principalOf(req), actorOf(req), String(req.params.code), idOf(req, 'grant_not_found'), { reason: optional((req.body as Record<string, unknown>).reason) });
      res.redirect(303, `/systems/${encodeURIComponent(String(req.params.code))}/access?done=revoked`);
    },

    async catalogue(req: Request, res: Response) {
      const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
      const p = principalOf(req);
      const items = await read.catalogue(deps, p, q || undefined);
      noStore(res);
      views.render(req, res, 'access/catalogue', { title: t(req.lang, 'access.catalogue.title'), items, q, canRequest: p.roles[0] === 'body_user', ...helpers });
    },

    requests: (req: Request, res: Response) => renderRequests(req, res),

    requestForm: (req: Request, res: Response) =>
      renderRequestForm(req, res, { values: { system: typeof req.query.system === 'string' ? req.query.system.slice(0, 64) : '', purpose: 'reuse', basis: '' } }),

    async createRequest(req: Request, res: Response) {
      const body = req.body as Record<string, unknown>;
      const values = { system: text(body.system).trim(), purpose: text(body.purpose), basis: text(body.basis) };
      try {
        await access.requestAccess(deps, principalOf(req), actorOf(req), values);
        res.redirect(303, '/access-requests?done=requested');
      } catch (err) {
        const refused = formErrors(err, req.lang, { system_not_in_catalogue: 'system', grant_exists: 'system', request_exists: 'system' });
        if (!refused) throw err;
        await renderRequestForm(req, res, { values, errors: refused.fields }, refused.status);
      }
    },

    async grantRequest(req: Request, res: Response) {
      const id = idOf(req, 'request_not_found');
      const body = req.body as Record<string, unknown>;
      try {
        await access.grantRequest(deps, principalOf(req), actorOf(req), id, { expiresAt: optional(body.expiresAt), version: versionOf(body.version) });
        res.redirect(303, '/access-requests?done=request_granted');
      } catch (err) {
        const refused = formErrors(err, req.lang, { grant_exists: 'expiresAt', request_decided: 'expiresAt', system_without_repository: 'expiresAt' });
        if (!refused) throw err;
        await renderRequests(req, res, { id, errors: refused.fields }, refused.status);
      }
    },

    async refuseRequest(req: Request, res: Response) {
      const id = idOf(req, 'request_not_found');
      try {
        await access.refuseRequest(deps, principalOf(req), actorOf(req), id, { reason: text((req.body as Record<string, unknown>).reason) });
        res.redirect(303, '/access-requests?done=request_refused');
      } catch (err) {
        const refused = formErrors(err, req.lang, { request_decided: 'reason' });
        if (!refused) throw err;
        await renderRequests(req, res, { id, errors: refused.fields }, refused.status);
      }
    },
  };
}

/**
 * The home page panel (homePages' panels hook): operator staff see the pending access requests;
 * a body's users the access their organisation holds to others' systems.
 */
export function accessPanel(deps: AppDeps) {
  return async (req: Request): Promise<HomePanel | null> => {
    const p = principalOf(req);
    if (isOperatorRole(p.roles[0])) {
      const pending = await read.listRequests(deps, p, { status: 'pending' });
      return { view: '/access/panel', data: { accessPanel: { operator: true, pending: pending.slice(0, 10), total: pending.length }, ...helpers } };
    }
    if (p.roles[0] !== 'body_user') return null;
    return { view: '/access/panel', data: { accessPanel: { operator: false, grants: await read.myGrants(deps, p) }, ...helpers } };
  };
}
