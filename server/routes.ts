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
import { apiAuth, OPERATOR, requireRole, requireRoleOr404, sessionLoader } from './http/auth.js';
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
// access for reuse and recovery (server/access, Rules p.10) and notifications (server/notify), issue 7
import { accessApi } from './access/routes.js';
import { accessPages, accessPanel } from './access/pages.js';
import { AccessRequestCreate, AccessRequestOut, AccessRequestQuery, CatalogueItemOut, CatalogueQuery, GrantCreate, GrantOut, RequestGrantInput, RequestRefuseInput, RevokeInput } from './access/schemas.js';
// deposits: inventory, findings, acceptance, versions, acts (issue 6)
import { depositsApi } from './deposits/routes.js';
import { depositsPages } from './deposits/pages.js';
import { AcceptedOut, AcceptInput, ActQuery, DepositDetailOut, DepositOut, DiffOut, DiffQuery, FilesQuery, InventoryOut, InventoryQuery } from './deposits/schemas.js';
import { notifyApi } from './notify/routes.js';
import { notifyPages, unreadBadge } from './notify/pages.js';
import { NotificationIdParams, NotificationList, NotificationQuery } from './notify/schemas.js';
// the half-yearly report to the authorized body (server/reports, Rules p.13), issue 9
import { reportsApi } from './reports/routes.js';
import { reportsPages, reportsPanel } from './reports/pages.js';
import { ReportListOut, ReportOut, ReportQuery, StoredIdParams, StoredOut, StoreInput } from './reports/schemas.js';
// returns: decommissioning notice, return package (BagIt), download, archive transfer, purge (Rules p.11–12, issue 8)
import { returnsApi } from './returns/routes.js';
import { returnsPages } from './returns/pages.js';
import { NoticeInput, PackageOut, PurgeInput, ReturnListQuery, ReturnOut, TransferInput } from './returns/schemas.js';
// integrity: fixity runs and findings of `qoima fsck` and the background scrubber (server/integrity), issue 12
import { fixityPages } from './integrity/pages.js';
import { registerFixityMetrics } from './integrity/metrics.js';

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
  const home = homePages(deps, views, [dashboardPanel(deps), reportsPanel(deps), accessPanel(deps)]);

  ui.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  ui.get('/metrics', session, auth, requireRole(...OPERATOR), async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  ui.use(session);
  ui.use(unreadBadge(deps)); // notify/: the unread count the nav shows (issue 7)
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

  // ---- access for reuse and recovery (server/access, Rules p.10) and notifications (server/notify), issue 7
  const accessH = accessApi(deps);
  const ACCESS = { tags: ['access'] };
  api.post('/systems/:code/grants', doc('Grant a government body read access for reuse or recovery (Rules p.10); notifies the body and the authorized body', { ...ACCESS, response: GrantOut, status: 201 }), auth, requireRole(...OPERATOR), validate({ body: GrantCreate }), accessH.grant);
  api.get('/systems/:code/grants', doc("A system's access grants: active, expired and revoked", { ...ACCESS, response: z.object({ items: z.array(GrantOut) }) }), auth, requireRole(...OPERATOR), accessH.listGrants);
  api.delete('/systems/:code/grants/:id', doc('Revoke a grant: it stops working at the next request', { ...ACCESS, response: GrantOut }), auth, requireRole(...OPERATOR), validate({ body: RevokeInput }), accessH.revoke);
  api.get('/access-grants', doc("The active grants the caller's body holds", { ...ACCESS, response: z.object({ items: z.array(GrantOut) }) }), auth, requireRole('body_user'), accessH.myGrants);
  api.post('/access-requests', doc('Ask for access to a system of the catalogue (a body user)', { ...ACCESS, response: AccessRequestOut, status: 201 }), auth, requireRole('body_user'), validate({ body: AccessRequestCreate }), accessH.request);
  api.get('/access-requests', doc("Access requests: all (operator) or the caller's body's", { ...ACCESS, response: z.object({ items: z.array(AccessRequestOut) }) }), auth, requireRole('body_user', ...OPERATOR), validate({ query: AccessRequestQuery }), accessH.listRequests);
  api.post('/access-requests/:id/grant', doc('Grant what a request asks for, with an optional expiry and version', { ...ACCESS, response: z.object({ request: AccessRequestOut, grant: GrantOut }) }), auth, requireRole(...OPERATOR), validate({ body: RequestGrantInput }), accessH.grantRequest);
  api.post('/access-requests/:id/refuse', doc('Refuse a request with a reason', { ...ACCESS, response: AccessRequestOut }), auth, requireRole(...OPERATOR), validate({ body: RequestRefuseInput }), accessH.refuseRequest);
  api.get('/catalogue', doc('The catalogue of accepted systems for reuse: what the application says, never contents', { ...ACCESS, response: z.object({ items: z.array(CatalogueItemOut) }) }), auth, requireRole('body_user', ...OPERATOR), validate({ query: CatalogueQuery }), accessH.catalogue);
  const notifyH = notifyApi(deps);
  const NOTIFY = { tags: ['notifications'] };
  api.get('/notifications', doc("The caller's notifications, newest first, in the request's language", { ...NOTIFY, response: NotificationList }), auth, validate({ query: NotificationQuery }), notifyH.list);
  api.post('/notifications/read-all', doc('Mark all of them read', { ...NOTIFY, response: z.object({ marked: z.number() }) }), auth, notifyH.markAllRead);
  api.post('/notifications/:id/read', doc('Mark one read', { ...NOTIFY, status: 204 }), auth, validate({ params: NotificationIdParams }), notifyH.markRead);
  const accessUi = accessPages(deps, views);
  const notifyUi = notifyPages(deps, views);
  const ACCESS_UI = [requireLogin, requireRole('body_user', ...OPERATOR)];
  ui.get('/systems/:code/access', ...OPERATOR_UI, accessUi.grants);
  ui.post('/systems/:code/access', ...OPERATOR_UI, csrf.protect, accessUi.grant);
  ui.post('/systems/:code/access/:id/revoke', ...OPERATOR_UI, csrf.protect, accessUi.revoke);
  ui.get('/catalogue', ...ACCESS_UI, accessUi.catalogue);
  ui.get('/access-requests', ...ACCESS_UI, accessUi.requests);
  ui.get('/access-requests/new', requireLogin, requireRole('body_user'), accessUi.requestForm);
  ui.post('/access-requests/new', requireLogin, requireRole('body_user'), csrf.protect, accessUi.createRequest);
  ui.post('/access-requests/:id/grant', ...OPERATOR_UI, csrf.protect, accessUi.grantRequest);
  ui.post('/access-requests/:id/refuse', ...OPERATOR_UI, csrf.protect, accessUi.refuseRequest);
  ui.get('/notifications', requireLogin, notifyUi.list);
  ui.post('/notifications/read-all', requireLogin, csrf.protect, notifyUi.readAll);
  ui.post('/notifications/:id/read', requireLogin, csrf.protect, notifyUi.read);
  // ---- end access and notifications

  // ---- deposits: inventory, completeness and integrity findings, acceptance (Rules p.5, p.9), versions,
  // acceptance acts and the diff between versions (server/deposits, issue 6). Acceptance is operator-only
  // and about one system: any other caller gets the same 404 as for a missing system.
  const depositsH = depositsApi(deps, views);
  const DEP = { tags: ['deposits'] };
  api.get('/systems/:code/inventory', doc('Inventory of a ref (default: main): files by category with size, SHA-256, type, LFS presence; findings; third-party components (files streamed)', { ...DEP, response: InventoryOut }), auth, validate({ query: InventoryQuery }), depositsH.inventory);
  api.post('/systems/:code/deposits', doc('Accept the deposit at a ref as the next version (Rules p.9): tag deposit/vN, inventory stored, act made; error findings need an overrideReason', { ...DEP, response: AcceptedOut, status: 201 }), auth, requireRoleOr404(...OPERATOR), documented({ body: AcceptInput }), depositsH.accept);
  api.get('/systems/:code/deposits', doc('Accepted versions of a system, newest first', { ...DEP, response: z.object({ items: z.array(DepositOut) }) }), auth, depositsH.list);
  api.get('/systems/:code/deposits/diff', doc('Files added, removed and changed per category between two versions (default: the last two)', { ...DEP, response: DiffOut }), auth, validate({ query: DiffQuery }), depositsH.diff);
  api.get('/systems/:code/deposits/:version', doc('One version (3 or v3) with its findings and files (all, or a page: ?limit=&offset=&category=)', { ...DEP, response: DepositDetailOut }), auth, validate({ query: FilesQuery }), depositsH.get);
  api.get('/systems/:code/deposits/:version/act.pdf', doc('The acceptance act as PDF (kk and ru, with the annex of files)', { ...DEP, responseMedia: ['application/pdf'] }), auth, depositsH.actPdf);
  api.get('/systems/:code/deposits/:version/act', doc('The acceptance act: printable HTML (?lang=kk|ru) or PDF (?format=pdf)', { ...DEP, responseMedia: ['text/html', 'application/pdf'] }), auth, validate({ query: ActQuery }), depositsH.act);
  const depositsUi = depositsPages(deps, views);
  ui.get('/deposits', requireLogin, depositsUi.overview);
  ui.get('/systems/:code/inventory', requireLogin, depositsUi.inventory);
  ui.post('/systems/:code/deposits', requireLogin, csrf.protect, requireRoleOr404(...OPERATOR), depositsUi.accept);
  ui.get('/systems/:code/deposits', requireLogin, depositsUi.history);
  ui.get('/systems/:code/deposits/:version', requireLogin, depositsUi.detail);
  ui.get('/systems/:code/deposits/:version/act.pdf', requireLogin, depositsUi.actPdf);
  ui.get('/systems/:code/deposits/:version/act', requireLogin, depositsUi.act);
  // ---- end deposits

  // ---- returns: decommissioning and the return package (server/returns, Rules p.11–12, issue 8). The notice
  // is the owner's, the return the operator's, the archive transfer the archivist's or the owner's; the
  // package is downloaded by the owner's users, archivists and operator staff — a grantee gets a 404.
  const returnsH = returnsApi(deps);
  const RET = { tags: ['returns'] };
  api.post('/systems/:code/decommission', doc("The owner's notice that the system was withdrawn from operation (Rules p.11): fixes the notice and return deadlines; 409 when nothing was ever accepted", { ...RET, response: ReturnOut, status: 201 }), auth, requireRoleOr404('body_user'), documented({ body: NoticeInput }), returnsH.notice);
  api.get('/systems/:code/return', doc('The return: notice, deadlines, the package job with its progress, the archive transfer, the purge', { ...RET, response: ReturnOut }), auth, returnsH.get);
  api.post('/systems/:code/return', doc('Start building the return package (BagIt, zip and tar) as a tracked job: generating → ready (system returned) | failed', { ...RET, response: ReturnOut, status: 202 }), auth, requireRoleOr404(...OPERATOR), returnsH.start);
  api.get('/systems/:code/return/package.zip', doc('The return package as zip (Range, ETag = SHA-256; each download audited)', { ...RET, responseMedia: ['application/zip'] }), auth, returnsH.zip);
  api.get('/systems/:code/return/package.tar', doc('The return package as tar (Range, ETag = SHA-256; each download audited)', { ...RET, responseMedia: ['application/x-tar'] }), auth, returnsH.tar);
  api.post('/systems/:code/archive-transfer', doc('Record the transfer to the state archive (Rules p.12): act number and date; the system becomes archived', { ...RET, response: ReturnOut }), auth, requireRoleOr404('archivist', 'body_user'), documented({ body: TransferInput }), returnsH.transfer);
  api.post('/systems/:code/purge', doc('Purge the repository of an archived system, with a reason (operator admin); records and package checksums stay', { ...RET, response: ReturnOut }), auth, requireRoleOr404('operator_admin'), documented({ body: PurgeInput }), returnsH.purge);
  api.get('/returns', doc("Returns in the caller's scope with their newest package (archivists: ready for transfer and archived)", { ...RET, response: z.object({ items: z.array(z.object({ code: z.string(), status: z.string(), package: PackageOut.nullable() }).passthrough()) }) }), auth, requireRole('body_user', 'archivist', ...OPERATOR), validate({ query: ReturnListQuery }), returnsH.list);
  const returnsUi = returnsPages(deps, views);
  ui.get('/returns', requireLogin, requireRole('body_user', 'archivist', ...OPERATOR), returnsUi.list);
  ui.get('/systems/:code/return', requireLogin, returnsUi.page);
  ui.get('/systems/:code/return/package.zip', requireLogin, returnsUi.zip);
  ui.get('/systems/:code/return/package.tar', requireLogin, returnsUi.tar);
  ui.post('/systems/:code/decommission', requireLogin, csrf.protect, requireRoleOr404('body_user'), returnsUi.notice);
  ui.post('/systems/:code/return', requireLogin, csrf.protect, requireRoleOr404(...OPERATOR), returnsUi.start);
  ui.post('/systems/:code/archive-transfer', requireLogin, csrf.protect, requireRoleOr404('archivist', 'body_user'), returnsUi.transfer);
  ui.post('/systems/:code/purge', requireLogin, csrf.protect, requireRoleOr404('operator_admin'), returnsUi.purge);
  // ---- end returns

  // ---- the half-yearly report to the authorized body (server/reports, Rules p.13), issue 9. Operator
  // staff read any period (a half-year not yet ended is a draft); the authorized body only what was
  // sent to it (the service decides). Fixed paths come before /reports/:period.
  const reportsH = reportsApi(deps);
  const REP = { tags: ['reports'] };
  const REPORT_MEDIA = ['application/json', 'text/csv', 'text/html', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf'];
  const REPORT_READERS = requireRole(...OPERATOR, 'authority_viewer');
  api.get('/reports', doc('Stored reports (the authorized body: those sent to it) and the report due next (Rules p.13: by the 10th of January and July)', { ...REP, response: ReportListOut }), auth, REPORT_READERS, reportsH.list);
  api.post('/reports', doc('Store the report of an ended half-year: immutable, with the SHA-256 of its data; the next revision if one is stored', { ...REP, response: StoredOut, status: 201 }), auth, requireRole('operator_admin'), validate({ body: StoreInput }), reportsH.store);
  api.get('/reports/stored/:id', doc('A stored report: ?format=json|csv|html|xlsx|pdf&lang=kk|ru|en (X-Report-SHA256 names its data)', { ...REP, response: ReportOut, responseMedia: REPORT_MEDIA }), auth, REPORT_READERS, validate({ params: StoredIdParams }), documented({ query: ReportQuery }), reportsH.stored);
  api.post('/reports/stored/:id/send', doc('Send a stored report to the authorized body (once; the latest revision): records when and to whom, e-mails the PDF', { ...REP, response: StoredOut }), auth, requireRole('operator_admin'), validate({ params: StoredIdParams }), reportsH.send);
  api.get('/reports/:period', doc('The report of a half-year (2026-H1, 2026-H2) or of `range` with from/to (operator staff): ?format=json|csv|html|xlsx|pdf&lang=kk|ru|en; a half-year not yet ended is a draft (X-Report-Draft)', { ...REP, response: ReportOut, responseMedia: REPORT_MEDIA }), auth, REPORT_READERS, documented({ query: ReportQuery }), reportsH.period);
  const reportsUi = reportsPages(deps, views);
  const REPORTS_UI = [requireLogin, requireRole(...OPERATOR, 'authority_viewer')];
  ui.get('/reports', ...REPORTS_UI, reportsUi.list);
  ui.post('/reports', requireLogin, csrf.protect, requireRole('operator_admin'), reportsUi.store);
  ui.get('/reports/stored/:id', ...REPORTS_UI, reportsUi.stored);
  ui.post('/reports/stored/:id/send', requireLogin, csrf.protect, requireRole('operator_admin'), reportsUi.send);
  ui.get('/reports/:period', ...REPORTS_UI, reportsUi.period);
  // ---- end reports

  // ---- integrity (server/integrity, issue 12): the scrubber's cursors, runs and findings — operator staff only;
  // its counters and the age of the oldest unchecked object are in /metrics (read from the database when scraped).
  registerFixityMetrics(metrics.registry, deps);
  const fixityUi = fixityPages(deps, views);
  ui.get('/fixity', ...OPERATOR_UI, fixityUi.page);
  // ---- end integrity

  return { api, git, ui };
}
