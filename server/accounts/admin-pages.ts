import type { Request, Response } from 'express';
import type { ServiceDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import type { Views } from '../http/views.js';
import { InvalidInput } from '../errors.js';
import { LANGS, type Lang } from '../http/i18n.js';
import { ORG_KINDS, ROLES, SCOPES, type OrgKind } from './roles.js';
import * as accounts from './service.js';
import {
  flashOf,
  formatTime,
  formErrors,
  idParam,
  noStore,
  optional,
  text,
  TOKEN_FIELD_MESSAGES,
  TOKEN_FORM_DEFAULTS,
  tokenFormInput,
  tokenRows,
  type FieldErrors,
} from './pages.js';

/** The name of an organisation in the page's language (English falls back to Russian). */
export function orgName(org: { nameKk: string; nameRu: string; nameEn?: string | null }, lang: Lang): string {
  return lang === 'kk' ? org.nameKk : lang === 'en' ? (org.nameEn ?? org.nameRu) : org.nameRu;
}

const ORG_FIELDS = ['kind', 'bin', 'nameKk', 'nameRu', 'nameEn', 'shortName', 'address', 'email', 'phone'] as const;
const USER_FIELDS = ['organization', 'login', 'fullName', 'role', 'email', 'lang', 'password'] as const;
const REQUIRED_ORG_FIELDS = new Set(['kind', 'bin', 'nameKk', 'nameRu']);
const REQUIRED_USER_FIELDS = new Set(['organization', 'login', 'fullName', 'role']);

/** The form's fields only (the CSRF token and stray fields never reach the service). */
function pick(body: Record<string, unknown>, fields: readonly string[], required: Set<string>) {
  const values: Record<string, string> = {};
  const input: Record<string, string | undefined> = {};
  for (const f of fields) {
    values[f] = text(body[f]);
    input[f] = required.has(f) ? values[f].trim() : optional(values[f]);
  }
  return { values, input };
}

const isOrgKind = (v: unknown): v is OrgKind => typeof v === 'string' && (ORG_KINDS as readonly string[]).includes(v);

/** Operator admin pages: organisations, users, their passwords, states and tokens. */
export function adminPages(deps: ServiceDeps, views: Views) {
  async function renderOrganizations(req: Request, res: Response, form: { values?: Record<string, string>; errors?: FieldErrors } = {}, status = 200) {
    const kind = isOrgKind(req.query.kind) ? req.query.kind : undefined;
    const orgs = await accounts.listOrganizations(deps, kind);
    noStore(res);
    views.render(
      req,
      res,
      'admin/organizations',
      { orgs, kind: kind ?? '', kinds: ORG_KINDS, values: form.values ?? { kind: 'government_body' }, errors: form.errors ?? {}, flash: flashOf(req), orgName, formatTime },
      status,
    );
  }

  async function renderUsers(req: Request, res: Response, form: { values?: Record<string, string>; errors?: FieldErrors } = {}, status = 200) {
    const orgs = await accounts.listOrganizations(deps);
    const filter = typeof req.query.org === 'string' ? orgs.find((o) => o.bin === req.query.org) : undefined;
    const users = await accounts.listUsers(deps, filter?.id);
    const byId = new Map(orgs.map((o) => [o.id, o]));
    noStore(res);
    views.render(
      req,
      res,
      'admin/users',
      {
        users: users.map((u) => ({ ...u, org: byId.get(u.organization.id) })),
        orgs,
        orgFilter: filter?.bin ?? '',
        roles: ROLES,
        langCodes: LANGS,
        values: form.values ?? { organization: filter?.bin ?? '', role: '', lang: '' },
        errors: form.errors ?? {},
        flash: flashOf(req),
        orgName,
        selfId: principalOf(req).user.id,
      },
      status,
    );
  }

  async function renderUser(
    req: Request,
    res: Response,
    extra: { created?: unknown; tokenValues?: unknown; tokenErrors?: FieldErrors; passwordErrors?: FieldErrors } = {},
    status = 200,
  ) {
    const user = await accounts.getUser(deps, idParam(req.params.id));
    const orgs = await accounts.listOrganizations(deps);
    noStore(res);
    views.render(
      req,
      res,
      'admin/user',
      {
        user,
        org: orgs.find((o) => o.id === user.organization.id),
        tokens: tokenRows(await accounts.listTokens(deps, user.id), deps.clock()),
        scopes: SCOPES,
        created: extra.created ?? null,
        tokenValues: extra.tokenValues ?? TOKEN_FORM_DEFAULTS,
        tokenErrors: extra.tokenErrors ?? {},
        passwordErrors: extra.passwordErrors ?? {},
        flash: flashOf(req),
        selfId: principalOf(req).user.id,
        orgName,
        formatTime,
        scripts: ['copy.js'],
      },
      status,
    );
  }

  return {
    organizations: (req: Request, res: Response) => renderOrganizations(req, res),

    async createOrganization(req: Request, res: Response) {
      const { values, input } = pick(req.body as Record<string, unknown>, ORG_FIELDS, REQUIRED_ORG_FIELDS);
      try {
        const org = await accounts.createOrganization(deps, actorOf(req), input);
        res.redirect(303, `/admin/organizations?done=org_created&kind=${org.kind}`);
      } catch (err) {
        const refused = formErrors(err, req.lang, { organization_exists: 'bin' });
        if (!refused) throw err;
        await renderOrganizations(req, res, { values, errors: refused.fields }, refused.status);
      }
    },

    users: (req: Request, res: Response) => renderUsers(req, res),

    async createUser(req: Request, res: Response) {
      const { values, input } = pick(req.body as Record<string, unknown>, USER_FIELDS, REQUIRED_USER_FIELDS);
      input.password = values.password === '' ? undefined : values.password; // a password is never trimmed
      values.password = ''; // nor sent back into the page
      try {
        const user = await accounts.createUser(deps, actorOf(req), input);
        res.redirect(303, `/admin/users/${user.id}?done=user_created`);
      } catch (err) {
        const refused = formErrors(err, req.lang, { login_taken: 'login' });
        if (!refused) throw err;
        await renderUsers(req, res, { values, errors: refused.fields }, refused.status);
      }
    },

    user: (req: Request, res: Response) => renderUser(req, res),

    async setPassword(req: Request, res: Response) {
      const user = await accounts.getUser(deps, idParam(req.params.id));
      const body = req.body as Record<string, unknown>;
      try {
        if (text(body.password) !== text(body.confirm)) throw new InvalidInput('validation_failed', {}, { confirm: { key: 'admin.fields.password_mismatch' } });
        await accounts.setPassword(deps, actorOf(req), user.login, text(body.password));
        res.redirect(303, `/admin/users/${user.id}?done=password_set`);
      } catch (err) {
        const refused = formErrors(err, req.lang);
        if (!refused) throw err;
        await renderUser(req, res, { passwordErrors: refused.fields }, refused.status);
      }
    },

    async disable(req: Request, res: Response) {
      const id = idParam(req.params.id);
      await accounts.setUserDisabled(deps, actorOf(req), id, true);
      res.redirect(303, `/admin/users/${id}?done=user_disabled`);
    },

    async enable(req: Request, res: Response) {
      const id = idParam(req.params.id);
      await accounts.setUserDisabled(deps, actorOf(req), id, false);
      res.redirect(303, `/admin/users/${id}?done=user_enabled`);
    },

    /** A token for another user: shown once, in this response, to the admin who hands it over. */
    async createToken(req: Request, res: Response) {
      const user = await accounts.getUser(deps, idParam(req.params.id));
      const { values, input } = tokenFormInput(req.body as Record<string, unknown>);
      try {
        const created = await accounts.createToken(deps, actorOf(req), user.id, input);
        await renderUser(req, res, { created }, 201);
      } catch (err) {
        const refused = formErrors(err, req.lang, {}, TOKEN_FIELD_MESSAGES);
        if (!refused) throw err;
        await renderUser(req, res, { tokenValues: values, tokenErrors: refused.fields }, refused.status);
      }
    },

    async revokeToken(req: Request, res: Response) {
      const id = idParam(req.params.id);
      await accounts.revokeToken(deps, actorOf(req), idParam(req.params.tokenId), id);
      res.redirect(303, `/admin/users/${id}?done=token_revoked`);
    },
  };
}

