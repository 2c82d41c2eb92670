import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../accounts/service.js';
import type { AppDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { gitEnv, hooksDir, prepareGitHome } from '../git/env.js';
import { GitError } from '../git/errors.js';
import { installHooks } from '../git/hooks.js';
import { Limiter } from '../git/limiter.js';
import { advertiseRefs, serviceFromQuery, serviceRpc, wantsV2, type GitService, type RunContext } from '../git/transport.js';
import { gitPrincipal } from '../http/auth.js';
import { actorOf } from '../http/context.js';
import { isLang } from '../http/i18n.js';
import type { Metrics } from '../http/metrics.js';
import { findSystemFor } from '../systems/queries.js';
import { grantGitAccess } from '../access/use.js';
import { repoExists, repoPath } from '../../storage/repos.js';
import { pushHooks } from './push.js';
import { hasRepository } from './service.js';

/** What an authorized git request is about; set by `authorize`, used by the handlers. */
interface GitTarget {
  service: GitService;
  principal: Principal;
  systemId: number;
  repo: string;
  /** access/ (issue 7): how a grantee's upload-pack is narrowed; null for everyone else. */
  grant?: { config: string[]; v0: boolean } | null;
}

const targetOf = (res: Response) => res.locals.git as GitTarget;

/** `<code>.git` → code; the code's own pattern is checked by the scoped lookup. */
function codeOf(param: unknown): string | null {
  return typeof param === 'string' && param.endsWith('.git') && param.length > 4 ? param.slice(0, -4) : null;
}

/**
 * Smart HTTP for `/git/<code>.git/…` (contract.md, "git"). Express authenticates and authorizes —
 * on the ref advertisement *and* on every POST, since a client may POST without asking for refs —
 * then git serves the protocol (server/git/transport.ts).
 */
export function gitTransport(deps: AppDeps, metrics: Metrics) {
  const { dataDir } = deps.config;
  prepareGitHome(dataDir);
  installHooks(dataDir);
  const uploads = new Limiter(deps.config.gitMaxUploads);
  const onStderr = (text: string) => deps.logger.debug({ stderr: text }, 'git stderr');

  /**
   * No credentials → 401 (with `WWW-Authenticate: Basic`, by the error handler); a token without the
   * scope → 403; a system the caller may not see → the same 404 as a missing one; a system the
   * caller may read but not push to → 403 on push (gitprotocol-http(5): the repository exists).
   */
  function authorize(service: GitService | 'from-query'): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      const svc = service === 'from-query' ? serviceFromQuery(req.query.service) : service;
      // Dumb HTTP (a plain GET of info/refs) is not served: smart clients always name the service.
      if (!svc) throw new GitError(403, 'dumb_http_refused');
      const principal = await gitPrincipal(deps, req, svc === 'receive-pack' ? 'git:write' : 'git:read');
      req.principal = principal;
      const code = codeOf(req.params.repo);
      if (!code) throw new NotFound();
      const need = svc === 'receive-pack' ? 'write' : 'read';
      const system = await findSystemFor(deps.db, principal, code, need);
      if (!system) {
        if (need === 'write' && (await findSystemFor(deps.db, principal, code, 'read'))) throw new GitError(403, 'push_not_allowed');
        throw new NotFound();
      }
      if (!hasRepository(system.status) || !repoExists(dataDir, system.id)) throw new NotFound();
      // access/ (issue 7): a grantee's clone or fetch is audited once, on the ref advertisement; a grant
      // restricted to one deposit version narrows what upload-pack serves.
      const grant = svc === 'upload-pack' ? await grantGitAccess(deps, principal, req.ip ?? null, system.id, { record: req.method === 'GET' }) : null;
      res.locals.git = { service: svc, principal, systemId: system.id, repo: repoPath(dataDir, system.id), grant } satisfies GitTarget;
      next();
    };
  }

  function context(target: GitTarget, v2: boolean, extraEnv: Record<string, string> = {}, config: string[] = []): RunContext {
    return {
      service: target.service,
      repo: target.repo,
      env: gitEnv(dataDir, v2 ? { GIT_PROTOCOL: 'version=2', ...extraEnv } : extraEnv),
      config: [...config, ...(target.grant?.config ?? [])],
      metrics,
      gzipMaxBytes: deps.config.gitGzipMaxBytes,
      onStderr,
    };
  }

  return {
    authorize,

    async infoRefs(req: Request, res: Response) {
      const target = targetOf(res);
      const v2 = wantsV2(req.headers['git-protocol'], target.service) && !target.grant?.v0;
      await advertiseRefs(req, res, { ...context(target, v2), v2 });
    },

    async uploadPack(req: Request, res: Response) {
      const target = targetOf(res);
      const v2 = wantsV2(req.headers['git-protocol'], 'upload-pack') && !target.grant?.v0;
      const release = await uploads.acquire();
      try {
        if (res.destroyed) return; // the client gave up while waiting for a slot
        await serviceRpc(req, res, context(target, v2));
      } finally {
        release();
      }
    },

    async receivePack(req: Request, res: Response) {
      const target = targetOf(res);
      wantsV2(req.headers['git-protocol'], 'receive-pack'); // validates the header; pushes speak v0
      const p = target.principal;
      const hooks = pushHooks(deps, {
        systemId: target.systemId,
        repo: target.repo,
        principal: p,
        actor: actorOf(req),
        lang: isLang(p.user.lang) ? p.user.lang : req.lang,
      });
      try {
        // Reflogs name the pusher, as git http-backend does with REMOTE_USER.
        const env = { GIT_COMMITTER_NAME: p.user.login, GIT_COMMITTER_EMAIL: `${p.user.login}@qoima` };
        await serviceRpc(req, res, {
          ...context(target, false, env, [`core.hooksPath=${hooksDir(dataDir)}`]),
          hooks: { handler: hooks.handler, onError: (err) => deps.logger.error({ err }, 'git: hook handler failed') },
        });
      } finally {
        await hooks.release();
      }
    },

    /** GET (or anything but POST) on a POST endpoint. */
    postOnly(_req: Request, res: Response) {
      res.setHeader('Allow', 'POST');
      throw new GitError(405, 'method_not_allowed');
    },
  };
}
