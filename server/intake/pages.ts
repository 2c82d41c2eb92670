import type { Request, Response } from 'express';
import { isOperatorRole } from '../accounts/roles.js';
import * as accounts from '../accounts/service.js';
import { almatyDate } from '../calendar/types.js';
import type { AppDeps } from '../deps.js';
import { AppError, InvalidInput } from '../errors.js';
import { actorOf, principalOf } from '../http/context.js';
import { t, type Lang } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { formFromFields } from './form.js';
import * as read from './read.js';
import { idParam, registerYear } from './routes.js';
import { APPLICATION_STATUSES, COMMISSIONING_KINDS, COPY_KINDS, DEVELOPER_KINDS, FUNDING_SOURCES, MAX_ITEMS } from './schemas.js';
import * as intake from './service.js';

/** Field messages of a refused form, by field path (`owner.email`), in the page's language. */
export function fieldMessages(err: unknown, lang: Lang): Record<string, string> | null {
  if (!(err instanceof InvalidInput) || !err.fields) return null;
  return Object.fromEntries(Object.entries(err.fields).map(([path, v]) => [path, t(lang, v.key, v.params ?? {})]));
}

/** The value at a dotted path of a nested form object, as text for an input. */
export function valueAt(values: unknown, path: string): string {
  let node: unknown = values;
  for (const part of path.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node === undefined || node === null ? '' : typeof node === 'object' ? '' : String(node);
}

/** The language a printout is in: kk or ru (the languages of the forms), from `?lang=` or the page. */
export function printLang(req: Request): 'kk' | 'ru' {
  const asked = req.query.lang;
  if (asked === 'kk' || asked === 'ru') return asked;
  return req.lang === 'kk' ? 'kk' : 'ru';
}

const NAMED: Record<string, string> = {
  'commissioning.kind': 'intake.form.commissioning_kind',
  'commissioning.date': 'intake.form.commissioning_date',
  'signer.fullName': 'intake.form.signer_fullName',
  'signer.position': 'intake.form.signer_position',
  'protection.present': 'intake.form.protection_present',
  'protection.description': 'intake.form.protection_description',
  commissioning: 'intake.form.commissioning_date',
  signer: 'intake.form.signer_fullName',
  protection: 'intake.form.protection_present',
  items: 'intake.form.sections.items',
  requirements: 'intake.form.sections.requirements',
  _: 'intake.form.whole_form',
};

/** The label of a form field by its path, for the list of errors above the form. */
export function fieldLabel(lang: Lang, path: string): string {
  const parts = path.split('.');
  if (NAMED[path]) return t(lang, NAMED[path]);
  if (parts[0] === 'owner' || parts[0] === 'developer')
    return `${t(lang, `intake.form.sections.${parts[0]}`)}: ${t(lang, `intake.form.party.${parts[1] ?? 'fullName'}`)}`;
  if (parts[0] === 'items' && parts.length === 3) return `${t(lang, `intake.form.items.${parts[2]}`)} (№ ${Number(parts[1]) + 1})`;
  if (parts[0] === 'requirements' && parts[1]) return t(lang, `intake.form.requirements.${parts[1]}`);
  if (parts[0] === 'funding') return t(lang, 'intake.form.funding_legend');
  return t(lang, `intake.form.${parts[0]}`);
}

const flash = (req: Request) => (typeof req.query.done === 'string' && /^[a-z_]{1,40}$/.test(req.query.done) ? t(req.lang, `intake.flash.${req.query.done}`) : null);

/** UI pages of intake: the list, the long form, the detail with its timeline, the printouts. */
export function intakePages(deps: AppDeps, views: Views) {
  async function renderForm(req: Request, res: Response, opts: { values: unknown; errors?: Record<string, string>; draftId?: number; status?: number; saved?: boolean }) {
    const p = principalOf(req);
    const operator = isOperatorRole(p.roles[0]);
    const bodies = operator ? await accounts.listOrganizations(deps, 'government_body') : [];
    const values = (opts.values ?? {}) as { items?: unknown; funding?: unknown };
    const itemCount = Array.isArray(values.items) ? values.items.length : 0;
    res.setHeader('Cache-Control', 'no-store');
    views.render(
      req,
      res,
      'intake/form',
      {
        title: t(req.lang, opts.draftId ? 'intake.form.edit_title' : 'intake.form.new_title'),
        action: opts.draftId ? `/applications/${opts.draftId}/edit` : '/applications/new',
        v: (path: string) => valueAt(opts.values, path),
        funding: Array.isArray(values.funding) ? values.funding.map(String) : [],
        errors: opts.errors ?? {},
        label: (path: string) => fieldLabel(req.lang, path),
        // Three blank rows under the filled ones: no script needed to add an item.
        itemRows: Math.min(itemCount + 3, MAX_ITEMS),
        operator,
        bodies,
        fundingSources: FUNDING_SOURCES,
        commissioningKinds: COMMISSIONING_KINDS,
        copyKinds: COPY_KINDS,
        developerKinds: DEVELOPER_KINDS,
        saved: opts.saved ?? false,
      },
      opts.status ?? 200,
    );
  }

  /** Saves a draft or submits, from the new form or a draft; a refused form comes back with its values. */
  async function save(req: Request, res: Response, draftId?: number) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = formFromFields(body);
    const p = principalOf(req);
    try {
      if (body.action === 'draft') {
        const app = await intake.saveDraft(deps, p, actorOf(req), input, draftId);
        return res.redirect(303, `/applications/${app.id}/edit?saved=1`);
      }
      const app = await intake.submitApplication(deps, p, actorOf(req), input, draftId);
      res.redirect(303, `/applications/${app.id}?done=submitted`);
    } catch (err) {
      const errors = fieldMessages(err, req.lang);
      if (!errors) throw err;
      await renderForm(req, res, { values: input, errors, draftId, status: 400 });
    }
  }

  /** Runs an operator action from the detail page; a refused one shows the page with its messages. */
  async function act(req: Request, res: Response, done: string, run: (id: number) => Promise<unknown>) {
    const id = idParam(req);
    try {
      await run(id);
      res.redirect(303, `/applications/${id}?done=${done}`);
    } catch (err) {
      const errors = fieldMessages(err, req.lang);
      if (!errors && !(err instanceof AppError && err.status === 409)) throw err;
      await renderDetail(req, res, id, { errors: errors ?? {}, problem: errors ? null : t(req.lang, (err as AppError).messageKey, (err as AppError).params), values: req.body, status: (err as AppError).status });
    }
  }

  async function renderDetail(req: Request, res: Response, id: number, extra: { errors?: Record<string, string>; problem?: string | null; values?: unknown; status?: number } = {}) {
    const p = principalOf(req);
    const app = await read.getApplication(deps, p, id);
    views.render(
      req,
      res,
      'intake/detail',
      {
        title: app.number ?? t(req.lang, 'intake.status.draft'),
        app,
        operator: isOperatorRole(p.roles[0]),
        today: almatyDate(deps.clock()),
        errors: extra.errors ?? {},
        problem: extra.problem ?? null,
        v: (path: string) => valueAt(extra.values ?? {}, path),
        flash: flash(req),
        formatDate: read.formatDate,
        formatTime: read.formatTime,
      },
      extra.status ?? 200,
    );
  }

  return {
    async list(req: Request, res: Response) {
      const p = principalOf(req);
      const query = {
        status: (APPLICATION_STATUSES as readonly string[]).includes(String(req.query.status)) ? req.query.status : undefined,
        organization: typeof req.query.organization === 'string' && /^\d{12}$/.test(req.query.organization) ? req.query.organization : undefined,
        year: typeof req.query.year === 'string' && /^\d{4}$/.test(req.query.year) ? req.query.year : undefined,
        q: typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : undefined,
        offset: typeof req.query.offset === 'string' && /^\d{1,6}$/.test(req.query.offset) ? req.query.offset : undefined,
        limit: '50',
      };
      const { items, total } = await read.listApplications(deps, p, query);
      const operator = isOperatorRole(p.roles[0]);
      views.render(req, res, 'intake/list', {
        title: t(req.lang, 'intake.list.title'),
        items,
        total,
        filter: { status: query.status ?? '', organization: query.organization ?? '', year: query.year ?? '', q: query.q ?? '' },
        offset: Number(query.offset ?? 0),
        limit: 50,
        statuses: APPLICATION_STATUSES,
        bodies: operator ? await read.bodiesForFilter(deps) : [],
        operator,
        formatDate: read.formatDate,
      });
    },
    async newForm(req: Request, res: Response) {
      const p = principalOf(req);
      const operator = isOperatorRole(p.roles[0]);
      const name = req.lang === 'kk' ? p.org.nameKk : p.org.nameRu;
      const values = {
        copies: '1',
        applicationDate: almatyDate(deps.clock()),
        developer: { kind: 'organization' },
        commissioning: { kind: 'industrial_operation' },
        ...(operator ? {} : { organization: p.org.bin, applicant: name, owner: { bin: p.org.bin, fullName: name } }),
      };
      await renderForm(req, res, { values });
    },
    create: (req: Request, res: Response) => save(req, res),
    async editForm(req: Request, res: Response) {
      const id = idParam(req);
      const app = await read.getApplication(deps, principalOf(req), id);
      if (app.status !== 'draft') return res.redirect(303, `/applications/${id}`);
      await renderForm(req, res, { values: app.form, draftId: id, saved: req.query.saved === '1' });
    },
    update: (req: Request, res: Response) => save(req, res, idParam(req)),
    detail: (req: Request, res: Response) => renderDetail(req, res, idParam(req)),
    register: (req: Request, res: Response) =>
      act(req, res, 'registered', (id) => {
        const b = req.body as Record<string, string>;
        return intake.registerAndFormRepository(deps, principalOf(req), actorOf(req), id, { receivedOn: b.receivedOn, portalRefNo: b.portalRefNo, portalRefDate: b.portalRefDate });
      }),
    reject: (req: Request, res: Response) =>
      act(req, res, 'rejected', (id) => intake.rejectApplication(deps, principalOf(req), actorOf(req), id, { reason: (req.body as Record<string, string>).reason })),
    portalReference: (req: Request, res: Response) =>
      act(req, res, 'portal_reference', (id) => {
        const b = req.body as Record<string, string>;
        return intake.recordPortalReference(deps, principalOf(req), actorOf(req), id, { portalRefNo: b.portalRefNo, portalRefDate: b.portalRefDate });
      }),
    /** The filled Annex 1 form, printable, in kk or ru. */
    async print(req: Request, res: Response) {
      const app = await read.getApplication(deps, principalOf(req), idParam(req));
      const lang = printLang(req);
      views.render(req, res, 'intake/print', { title: app.number ?? '', app, plang: lang, pt: (key: string, params?: Record<string, string | number>) => t(lang, key, params), formatDate: read.formatDate, f: (path: string) => valueAt(app.form, path) });
    },
    /** The register of Annex 2 for a year, printable, in kk or ru. */
    async registerPage(req: Request, res: Response) {
      const { year } = registerYear(deps, { year: req.query.year });
      const lang = printLang(req);
      const years = await read.registerYears(deps);
      views.render(req, res, 'intake/register', {
        title: t(lang, 'intake.register.title'),
        year,
        years: years.includes(year) ? years : [year, ...years].sort((a, b) => b - a),
        rows: await read.registerOf(deps, year),
        plang: lang,
        pt: (key: string, params?: Record<string, string | number>) => t(lang, key, params),
        formatDate: read.formatDate,
      });
    },
    async registerCsv(req: Request, res: Response) {
      const { year } = registerYear(deps, { year: req.query.year });
      const lang = printLang(req);
      res.type('text/csv; charset=utf-8').attachment(`register-${year}-${lang}.csv`).send(read.registerCsv(await read.registerOf(deps, year), lang));
    },
  };
}
