import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import pino, { type Logger } from 'pino';
import * as cookie from 'cookie';
import { bootstrap } from './accounts/service.js';
import type { Config } from './config.js';
import type { AppDeps } from './deps.js';
import { bodyRate } from './http/body-rate.js';
import { createCsrf } from './http/csrf.js';
import { noteBodyBytes } from './util/young-gc.js';
import { NotFound } from './errors.js';
import { errorHandler } from './http/error-handler.js';
import { pickLanguage, isLang } from './http/i18n.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { createViews } from './http/views.js';
import { templatesDir } from './paths.js';
import { buildRoutes } from './routes.js';
import { isRawUpload } from './uploads/routes.js';
import type { RecordedRoute } from './http/api-router.js';
import { migrate, openDb } from '../storage/db.js';
import { LocalBlobStore } from '../storage/blobs.js';

export interface App {
  app: Express;
  deps: AppDeps;
  metrics: Metrics;
  /** Every API route as declared in the route table (for the OpenAPI document and the tenant matrix). */
  routes: RecordedRoute[];
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: () => Date;
  logger?: Logger;
  /** Called with the one-time admin password on first start. */
  onBootstrap?: (password: string) => void;
}

/** Opens storage, brings the schema up to date and builds the app, without listening (style.md §7). */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const db = openDb({ databaseUrl: config.databaseUrl, schema: config.dbSchema, sqliteFile: join(config.dataDir, 'qoima.sqlite') });
  await migrate(db);
  const blobs = new LocalBlobStore(join(config.dataDir, 'blobs'), { onBodyBytes: noteBodyBytes, directIo: config.directIo }); // util/young-gc.ts: bounded memory under large uploads
  const deps: AppDeps = { db, clock: opts.clock ?? (() => new Date()), config, logger, blobs };
  const boot = await bootstrap(deps, config.adminPassword);
  if (boot.password) opts.onBootstrap?.(boot.password);

  const metrics = createMetrics();
  const csrf = createCsrf(config.secret, config.secureCookies);
  const views = createViews(csrf, { cache: process.env.NODE_ENV === 'production' });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Never log credentials: the Authorization header and cookies are dropped from request logs.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.replace(/([?&](token|password)=)[^&]*/gi, '$1[redacted]') }),
        // nor the session a login sets: response headers are logged without Set-Cookie
        res: (res: { statusCode: number; headers?: Record<string, unknown> }) => ({ statusCode: res.statusCode, headers: { ...res.headers, 'set-cookie': undefined } }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? (req.baseUrl ?? '') + String(req.route.path) : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  });
  app.use((req, _res, next) => {
    req.cookies = cookie.parse(req.headers.cookie ?? '') as Record<string, string>;
    const chosen = req.cookies.qoima_lang;
    req.lang = isLang(chosen) && !req.originalUrl.startsWith('/api/') ? chosen : pickLanguage(req.headers['accept-language'], config.defaultLang);
    next();
  });
  // Slow-loris: every request body (uploads, LFS PUT, git POST, forms) keeps a minimum rate.
  app.use(bodyRate(config.bodyRate, (req) => logger.warn({ reqId: req.id, url: req.originalUrl.split('?')[0] }, 'request body too slow: connection cut')));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null } },
      strictTransportSecurity: config.secureCookies,
    }),
  );
  app.use('/static', express.static(join(templatesDir, 'static'), { maxAge: '1h', fallthrough: false }));

  const table = buildRoutes(deps, { metrics, csrf, views });
  app.use(table.git);
  const json = express.json({ limit: config.maxJsonBytes, strict: true });
  // Uploads stream their raw body into storage: whatever their Content-Type, no parser reads them.
  app.use('/api/v1', (req, res, next) => (isRawUpload(req) ? next() : json(req, res, next)), table.api.router);
  app.use(express.urlencoded({ extended: false, limit: config.maxJsonBytes, parameterLimit: 2000 }), table.ui);
  app.use((_req, _res, next) => next(new NotFound()));
  app.use(errorHandler(logger, views));

  return {
    app,
    deps,
    metrics,
    routes: table.api.routes,
    close: async () => {
      await db.destroy();
    },
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      cookies: Record<string, string | undefined>;
    }
  }
}
