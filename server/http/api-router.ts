import { Router, type RequestHandler } from 'express';
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);
import type { Role } from '../accounts/roles.js';
import { parseInput } from '../util/validate.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** What `validate()` parsed: the typed body, query and params. */
      valid: { body?: unknown; query?: unknown; params?: unknown };
    }
  }
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDoc {
  summary: string;
  tags: string[];
  /** Schema of the success body (JSON), or a media type for files and pages. */
  response?: z.ZodType;
  responseMedia?: string[];
  status?: number;
  /** Whether the route is open to anonymous callers. */
  public?: boolean;
}

type Tagged = RequestHandler & { doc?: RouteDoc; schemas?: Schemas; roles?: Role[] };
interface Schemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodObject;
  /** A raw streamed body (uploads): documented, never parsed. */
  rawBody?: string;
}

/** A route as the table declares it: the tenant matrix and the OpenAPI document read these. */
export interface RecordedRoute {
  method: Method;
  path: string;
  doc: RouteDoc;
  schemas: Schemas;
  roles: Role[] | null;
}

/** Documentation of a route; a no-op in the chain. */
export function doc(summary: string, opts: Omit<RouteDoc, 'summary' | 'tags'> & { tags?: string[] } = {}): Tagged {
  const mw: Tagged = (_req, _res, next) => next();
  mw.doc = { summary, tags: opts.tags ?? [], ...opts };
  return mw;
}

/** Parses body, query and params with zod; a bad value is a 400 naming each field. */
export function validate(schemas: Schemas): Tagged {
  const mw: Tagged = (req, _res, next) => {
    req.valid = {
      body: schemas.body ? parseInput(schemas.body, req.body ?? {}) : undefined,
      query: schemas.query ? parseInput(schemas.query, req.query) : undefined,
      params: schemas.params ? parseInput(schemas.params, req.params) : undefined,
    };
    next();
  };
  mw.schemas = schemas;
  return mw;
}

/** An Express router that also records each route (its doc, schemas and roles) as it is declared. */
export class ApiRouter {
  readonly router = Router();
  readonly routes: RecordedRoute[] = [];

  constructor(readonly prefix: string) {}

  get = (path: string, ...handlers: Tagged[]) => this.add('get', path, handlers);
  post = (path: string, ...handlers: Tagged[]) => this.add('post', path, handlers);
  put = (path: string, ...handlers: Tagged[]) => this.add('put', path, handlers);
  patch = (path: string, ...handlers: Tagged[]) => this.add('patch', path, handlers);
  delete = (path: string, ...handlers: Tagged[]) => this.add('delete', path, handlers);

  private add(method: Method, path: string, handlers: Tagged[]): void {
    const docs = handlers.find((h) => h.doc)?.doc ?? { summary: '', tags: [] };
    const schemas = handlers.find((h) => h.schemas)?.schemas ?? {};
    const roles = handlers.find((h) => h.roles)?.roles ?? null;
    this.routes.push({ method, path: this.prefix + path, doc: docs, schemas, roles });
    this.router[method](path, ...handlers);
  }
}

const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() }),
});

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApi(routes: RecordedRoute[], info: { version: string; serverUrl?: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'personal access token (scope api)' });
  registry.register('Error', ErrorBody);
  for (const r of routes) {
    const openPath = r.path.replace(/:(\w+)/g, '{$1}').replace(/\*(\w+)/g, '{$1}');
    const pathParams = [...r.path.matchAll(/[:*](\w+)/g)].map((m) => m[1]);
    const params = r.schemas.params ?? (pathParams.length ? z.object(Object.fromEntries(pathParams.map((p) => [p, z.string()]))) : undefined);
    const status = r.doc.status ?? 200;
    const success = r.doc.response
      ? { description: 'OK', content: { 'application/json': { schema: r.doc.response } } }
      : r.doc.responseMedia
        ? { description: 'OK', content: Object.fromEntries(r.doc.responseMedia.map((m) => [m, { schema: z.string() }])) }
        : { description: 'OK' };
    registry.registerPath({
      method: r.method,
      path: openPath,
      summary: r.doc.summary,
      tags: r.doc.tags,
      description: r.roles ? `Roles: ${r.roles.join(', ')}` : undefined,
      security: r.doc.public ? [] : [{ bearer: [] }],
      request: {
        params: params as z.ZodObject | undefined,
        query: r.schemas.query as z.ZodObject | undefined,
        body: r.schemas.body
          ? { content: { 'application/json': { schema: r.schemas.body } } }
          : r.schemas.rawBody
            ? { content: { [r.schemas.rawBody]: { schema: z.string() } } }
            : undefined,
      },
      responses: {
        [status]: success,
        '4XX': { description: 'Error', content: { 'application/json': { schema: ErrorBody } } },
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Qoima API', version: info.version, description: 'Source-code escrow of the e-government ICT infrastructure operator' },
    servers: [{ url: info.serverUrl ?? '/' }],
  });
}
