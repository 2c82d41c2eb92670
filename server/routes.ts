import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountsApi } from './accounts/routes.js';
import { accountsPages, requireLogin } from './accounts/pages.js';
import { adminPages } from './accounts/admin-pages.js';
import { OrganizationCreate, OrganizationOut, TokenCreate, TokenCreated, TokenOut, UserCreate, UserOut } from './accounts/schemas.js';
import { calendarApi } from './calendar/routes.js';
import { calendarPages } from './calendar/pages.js';
import { CalendarYearOut, OverrideDateParams, OverrideInput, OverrideOut, WorkingDaysOut, WorkingDaysQuery, YearParams } from './calendar/schemas.js';
import type { AppDeps } from './deps.js';
import { ApiRouter, buildOpenApi, doc, validate } from './http/api-router.js';
import { apiAuth, OPERATOR, requireRole, sessionLoader } from './http/auth.js';
import type { Csrf } from './http/csrf.js';
import type { Metrics } from './http/metrics.js';
import type { Views } from './http/views.js';
import { homePages } from './home/pages.js';
// intake: applications (Annex 1), the register (Annex 2), systems, deadlines, the dashboard panel
import { dashboardPanel } from './home/dashboard.js';
import { documented, intakeApi } from './intake/routes.js';
import { intakePages } from './intake/pages.js';
import { ApplicationDraft, ApplicationForm, ApplicationListQuery, ApplicationOut, PortalReferenceInput, RegisterInput, RegisterQuery, RegisterRowOut, RejectInput } from './intake/schemas.js';
import { systemsApi } from './systems/routes.js';
import { systemsPages } from './systems/pages.js';
import { DeadlineOut, SystemDetailOut, SystemListQuery, SystemOut } from './systems/schemas.js';
import { gitTransport } from './repositories/git-routes.js';
import { repositoryPages } from './repositories/pages.js';
import { repositoriesApi } from './repositories/routes.js';
import { RepositoryFormed, RepositoryOut } from './repositories/schemas.js';
import { lfsRoutes } from './lfs/routes.js';
import { uploadsApi } from './uploads/routes.js';
import { uploadPages } from './uploads/pages.js';
import { UploadOut } from './uploads/schemas.js';
import { projectRoot } from './paths.js';
import { loginLimiter } from './http/rate-limit.js';
import { z } from 'zod';

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The route table: every route with its whole chain, read top to bottom (style.md §2).
 * API routes are recorded (doc, schemas, roles) for the OpenAPI document and the tenant matrix.
 */
export function buildRoutes(deps: AppDeps, http: { metrics: Metrics; csrf: Csrf; views: Views }) {
  const { views, csrf, metrics } = http;
  const auth = apiAuth(deps, csrf);
  const session = sessionLoader(deps);

  // ---------------------------------------------------------------- REST API, /api/v1
  const api = new ApiRouter('/api/v1');
  api.router.use(session);
  const accounts = accountsApi(deps);

  api.get('/me', doc('The caller: user, organisation, roles, scopes', { tags: ['accounts'] }), auth, accounts.me);
  api.post('/organizations', doc('Register an organisation', { tags: ['accounts'], response: OrganizationOut, status: 201 }), auth, requireRole(...OPERATOR), validate({ body: OrganizationCreate }), accounts.createOrganization);
  api.get('/organizations', doc('List organisations', { tags: ['accounts'], response: z.object({ items: z.array(OrganizationOut) }) }), auth, requireRole(...OPERATOR), accounts.listOrganizations);
  api.post('/users', doc('Create a user', { tags: ['accounts'], response: UserOut, status: 201 }), auth, requireRole('operator_admin'), validate({ body: UserCreate }), accounts.createUser);
  api.get('/users', doc('List users', { tags: ['accounts'], response: z.object({ items: z.array(UserOut) }) }), auth, requireRole('operator_admin'), accounts.listUsers);
  api.post('/tokens', doc('Create a personal access token (shown once)', { tags: ['accounts'], response: TokenCreated, status: 201 }), auth, validate({ body: TokenCreate }), accounts.createToken);
  api.get('/tokens', doc("The caller's tokens", { tags: ['accounts'], response: z.object({ items: z.array(TokenOut) }) }), auth, accounts.listTokens);
  api.delete('/tokens/:id', doc('Revoke a token', { tags: ['accounts'], status: 204 }), auth, accounts.revokeToken);

  // calendar: working days of Kazakhstan (server/calendar). Express 5 matches in order, so the
  // fixed paths come before /calendar/:year (which takes four digits only).
  const calendar = calendarApi(deps);
  api.get('/calendar/working-days', doc('The Nth working day after a date (how every deadline is counted)', { tags: ['calendar'], response: WorkingDaysOut }), auth, validate({ query: WorkingDaysQuery }), calendar.workingDays);
  api.get('/calendar/overrides', doc('Decrees entered by operator admins', { tags: ['calendar'], response: z.object({ items: z.array(OverrideOut) }) }), auth, calendar.listOverrides);
  api.post('/calendar/overrides', doc('Enter a Government decree for a date: worked or off (201 new, 200 replaced)', { tags: ['calendar'], response: OverrideOut, status: 201 }), auth, requireRole('operator_admin'), validate({ body: OverrideInput }), calendar.setOverride);
  api.delete('/calendar/overrides/:date', doc('Remove the decree of a date', { tags: ['calendar'], status: 204 }), auth, requireRole('operator_admin'), validate({ params: OverrideDateParams }), calendar.removeOverride);
  api.get('/calendar/:year', doc('A year: working-day count, days off by kind (name in the request language and in kk/ru/en), working weekend days', { tags: ['calendar'], response: CalendarYearOut }), auth, validate({ params: YearParams }), calendar.year);

  // ---- intake (server/intake, server/systems): applications (Rules p.7, Annex 1), the register
  // (p.8, Annex 2), the system record. Bodies act for their own organisation; operator staff for any.
  const intakeH = intakeApi(deps);
  const systemsH = systemsApi(deps);
  const INTAKE = requireRole('body_user', ...OPERATOR);
  const APP = { tags: ['intake'] };
  const Registered = z.object({ registerNo: z.number(), year: z.number(), system: z.object({ id: z.number(), code: z.string(), status: z.string(), created: z.boolean() }), application: ApplicationOut, deadlines: z.array(DeadlineOut) });
  api.post('/applications', doc('Submit an application (Annex 1), signed by the caller', { ...APP, response: ApplicationOut, status: 201 }), auth, INTAKE, documented({ body: ApplicationForm }), intakeH.submit);
  api.get('/applications', doc('Applications the caller may see', { ...APP, response: z.object({ items: z.array(ApplicationOut), total: z.number() }) }), auth, INTAKE, documented({ query: ApplicationListQuery }), intakeH.list);
  api.post('/applications/drafts', doc('Save a new draft (only sizes checked)', { ...APP, response: ApplicationOut, status: 201 }), auth, INTAKE, documented({ body: ApplicationDraft }), intakeH.createDraft);
  api.get('/applications/:id', doc('One application with its timeline and deadlines', { ...APP, response: ApplicationOut }), auth, INTAKE, intakeH.get);
  api.put('/applications/:id', doc('Update a draft', { ...APP, response: ApplicationOut }), auth, INTAKE, documented({ body: ApplicationDraft }), intakeH.updateDraft);
  api.post('/applications/:id/submit', doc('Submit a draft with the whole form', { ...APP, response: ApplicationOut }), auth, INTAKE, documented({ body: ApplicationForm }), intakeH.submitDraft);
  api.post('/applications/:id/register', doc('Register in the Annex 2 register (p.8): creates or attaches the system, fixes the p.7/p.8 deadlines', { ...APP, response: Registered }), auth, requireRole(...OPERATOR), documented({ body: RegisterInput }), intakeH.register);
  api.post('/applications/:id/reject', doc('Reject a submitted application with a reason', { ...APP, response: ApplicationOut }), auth, requireRole(...OPERATOR), documented({ body: RejectInput }), intakeH.reject);
  api.put('/applications/:id/portal-reference', doc('Record the architecture-portal entry of a registered application (p.8)', { ...APP, response: ApplicationOut }), auth, requireRole(...OPERATOR), documented({ body: PortalReferenceInput }), intakeH.portalReference);
  api.get('/register', doc('The Annex 2 register of a year (JSON, with the portal references)', { ...APP, response: z.object({ year: z.number(), items: z.array(RegisterRowOut) }) }), auth, requireRole(...OPERATOR), documented({ query: RegisterQuery }), intakeH.registerList);
  api.get('/register.csv', doc('The Annex 2 register of a year as CSV, columns exactly as Annex 2 (lang kk|ru)', { ...APP, responseMedia: ['text/csv'] }), auth, requireRole(...OPERATOR), documented({ query: RegisterQuery }), intakeH.registerCsv);
  api.get('/systems', doc('Systems the caller may see', { tags: ['systems'], response: z.object({ items: z.array(SystemOut) }) }), auth, documented({ query: SystemListQuery }), systemsH.list);
  api.get('/systems/:code', doc('One system: status, dates, deadlines, applications, events, clone URL', { tags: ['systems'], response: SystemDetailOut }), auth, systemsH.get);

  // Uploads (server/uploads/): one file into a category of the deposit, streamed, committed on main.
  const uploads = uploadsApi(deps);
  api.put('/systems/:code/files/:category/*path', doc('Upload one file into a category of the deposit (raw body; optional Repr-Digest sha-256)', { tags: ['deposits'], response: UploadOut, status: 201 }), auth, validate({ rawBody: 'application/octet-stream' }), uploads.put);

  let openApiCache: unknown;
  api.get('/openapi.json', doc('This document', { tags: ['meta'], public: true }), (_req, res) => {
    openApiCache ??= buildOpenApi(api.routes, { version, serverUrl: deps.config.publicUrl });
    res.json(openApiCache);
  });

  // ---------------------------------------------------------------- git smart HTTP and LFS
  const git = Router();
  // Git LFS (server/lfs/): the batch API with the basic transfer adapter. Object hrefs carry signed,
  // short-lived action tokens bound to one system, object and operation.
  const gitLfs = lfsRoutes(deps);
  git.post('/git/:repo/info/lfs/objects/batch', gitLfs.json, gitLfs.batch);
  git.put('/git/:repo/info/lfs/objects/:oid', gitLfs.upload);
  git.get('/git/:repo/info/lfs/objects/:oid', gitLfs.download);
  git.post('/git/:repo/info/lfs/verify', gitLfs.json, gitLfs.verify);
  // Repositories (server/repositories/git-routes.ts): smart HTTP only, served by git itself; no body
  // parser here — request and response bodies stream straight between the socket and git.
  const gitHttp = gitTransport(deps, metrics);
  git.get('/git/:repo/info/refs', gitHttp.authorize('from-query'), gitHttp.infoRefs);
  git.post('/git/:repo/git-upload-pack', gitHttp.authorize('upload-pack'), gitHttp.uploadPack);
  git.post('/git/:repo/git-receive-pack', gitHttp.authorize('receive-pack'), gitHttp.receivePack);
  git.all('/git/:repo/git-upload-pack', gitHttp.postOnly);
  git.all('/git/:repo/git-receive-pack', gitHttp.postOnly);

  // ---------------------------------------------------------------- UI pages
  const ui = Router();
  const pages = accountsPages(deps, views, { secureCookies: deps.config.secureCookies });
  const home = homePages(deps, views, [dashboardPanel(deps)]);

  ui.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  ui.get('/metrics', session, auth, requireRole(...OPERATOR), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  ui.use(session);
  ui.get('/api', (req, res) => views.render(req, res, 'api-docs', { routes: api.routes }));
  ui.get('/login', pages.loginForm);
  ui.post('/login', loginLimiter(deps.config.loginAttempts), csrf.protect, pages.login);
  ui.post('/logout', csrf.protect, pages.logout);
  ui.post('/lang', csrf.protect, pages.setLanguage);
  ui.get('/', requireLogin, home.home);

  // UI: the calendar page (server/calendar/pages.ts); decrees by operator admins
  const calendarUi = calendarPages(deps, views);
  ui.get('/calendar', requireLogin, calendarUi.page);
  ui.post('/calendar/overrides', requireLogin, csrf.protect, requireRole('operator_admin'), calendarUi.setOverride);
  ui.post('/calendar/overrides/:date/remove', requireLogin, csrf.protect, requireRole('operator_admin'), calendarUi.removeOverride);

  // UI: own access tokens (every signed-in user) and operator admin pages (accounts/admin-pages.ts)
  const admin = adminPages(deps, views);
  const ADMIN = [requireLogin, requireRole('operator_admin')];
  ui.get('/tokens', requireLogin, pages.tokens);
  ui.post('/tokens', requireLogin, csrf.protect, pages.createToken);
  ui.post('/tokens/:id/revoke', requireLogin, csrf.protect, pages.revokeToken);
  ui.get('/admin/organizations', ...ADMIN, admin.organizations);
  ui.post('/admin/organizations', ...ADMIN, csrf.protect, admin.createOrganization);
  ui.get('/admin/users', ...ADMIN, admin.users);
  ui.post('/admin/users', ...ADMIN, csrf.protect, admin.createUser);
  ui.get('/admin/users/:id', ...ADMIN, admin.user);
  ui.post('/admin/users/:id/password', ...ADMIN, csrf.protect, admin.setPassword);
  ui.post('/admin/users/:id/disable', ...ADMIN, csrf.protect, admin.disable);
  ui.post('/admin/users/:id/enable', ...ADMIN, csrf.protect, admin.enable);
  ui.post('/admin/users/:id/tokens', ...ADMIN, csrf.protect, admin.createToken);
  ui.post('/admin/users/:id/tokens/:tokenId/revoke', ...ADMIN, csrf.protect, admin.revokeToken);

  // ---- UI: intake (server/intake/pages.ts) and systems (server/systems/pages.ts)
  const intakeUi = intakePages(deps, views);
  const systemsUi = systemsPages(deps, views);
  const INTAKE_UI = [requireLogin, requireRole('body_user', ...OPERATOR)];
  const OPERATOR_UI = [requireLogin, requireRole(...OPERATOR)];
  ui.get('/applications', ...INTAKE_UI, intakeUi.list);
  ui.get('/applications/new', ...INTAKE_UI, intakeUi.newForm);
  ui.post('/applications/new', ...INTAKE_UI, csrf.protect, intakeUi.create);
  ui.get('/applications/:id', ...INTAKE_UI, intakeUi.detail);
  ui.get('/applications/:id/edit', ...INTAKE_UI, intakeUi.editForm);
  ui.post('/applications/:id/edit', ...INTAKE_UI, csrf.protect, intakeUi.update);
  ui.get('/applications/:id/print', ...INTAKE_UI, intakeUi.print);
  ui.post('/applications/:id/register', ...OPERATOR_UI, csrf.protect, intakeUi.register);
  ui.post('/applications/:id/reject', ...OPERATOR_UI, csrf.protect, intakeUi.reject);
  ui.post('/applications/:id/portal-reference', ...OPERATOR_UI, csrf.protect, intakeUi.portalReference);
  ui.get('/register', ...OPERATOR_UI, intakeUi.registerPage);
  ui.get('/register.csv', ...OPERATOR_UI, intakeUi.registerCsv);
  ui.get('/systems', requireLogin, systemsUi.list);
  ui.get('/systems/:code', requireLogin, systemsUi.detail);
  // Uploads (server/uploads/pages.ts): multipart streamed into the deposit; CSRF checked from the form's first field.
  const uploadUi = uploadPages(deps, views, csrf);
  ui.get('/systems/:code/upload', requireLogin, uploadUi.form);
  ui.post('/systems/:code/upload', requireLogin, uploadUi.upload);

  // ---- repositories: browser and API (server/repositories, issue 4)
  const repoApi = repositoriesApi(deps);
  const repoPages = repositoryPages(deps, views);
  const REPO = { tags: ['repositories'] };
  api.post('/systems/:code/repository', doc('Form the repository of a registered system (Rules p.8)', { ...REPO, response: RepositoryFormed, status: 201 }), auth, requireRole(...OPERATOR), repoApi.form);
  api.get('/systems/:code/repository', doc('The repository: clone URL, default branch, branches, tags', { ...REPO, response: RepositoryOut }), auth, repoApi.show);
  ui.get('/repositories', requireLogin, repoPages.list);
  ui.get('/systems/:code/repository', requireLogin, repoPages.show);
  ui.get('/systems/:code/repository/commits', requireLogin, repoPages.commits);
  ui.get('/systems/:code/repository/blob', requireLogin, repoPages.blob);
  ui.get('/systems/:code/repository/raw', requireLogin, repoPages.raw);
  // ---- end repositories

  return { api, git, ui };
}
