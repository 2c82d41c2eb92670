import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountsApi } from './accounts/routes.js';
import { accountsPages, requireLogin } from './accounts/pages.js';
import { OrganizationCreate, OrganizationOut, TokenCreate, TokenCreated, TokenOut, UserCreate, UserOut } from './accounts/schemas.js';
import type { AppDeps } from './deps.js';
import { ApiRouter, buildOpenApi, doc, validate } from './http/api-router.js';
import { apiAuth, OPERATOR, requireRole, sessionLoader } from './http/auth.js';
import type { Csrf } from './http/csrf.js';
import type { Metrics } from './http/metrics.js';
import type { Views } from './http/views.js';
import { homePages } from './home/pages.js';
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

  let openApiCache: unknown;
  api.get('/openapi.json', doc('This document', { tags: ['meta'], public: true }), (_req, res) => {
    openApiCache ??= buildOpenApi(api.routes, { version, serverUrl: deps.config.publicUrl });
    res.json(openApiCache);
  });

  // ---------------------------------------------------------------- git smart HTTP and LFS
  const git = Router();

  // ---------------------------------------------------------------- UI pages
  const ui = Router();
  const pages = accountsPages(deps, views, { secureCookies: deps.config.secureCookies });
  const home = homePages(deps, views);

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

  return { api, git, ui };
}
