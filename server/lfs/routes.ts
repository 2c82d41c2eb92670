import express, { type Request, type RequestHandler, type Response } from 'express';
import { authenticateToken, authenticateTokenId, type Principal } from '../accounts/service.js';
import type { AppDeps } from '../deps.js';
import { InvalidInput, NotFound, Unauthenticated } from '../errors.js';
import { basicPassword } from '../http/auth.js';
import { actorOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import { sendStream } from '../http/send-stream.js';
import { BlobWriteError } from '../../storage/blobs.js';
import { isActionToken, verifyAction } from './action-token.js';
import * as lfs from './service.js';
import { noteGrantUse } from '../access/use.js';

export const LFS_MEDIA = 'application/vnd.git-lfs+json';

/** `/git/<code>.git/…`: the system code, or NotFound for anything else. */
function codeOf(req: Request): string {
  const repo = String(req.params.repo ?? '');
  if (!repo.endsWith('.git')) throw new NotFound();
  return repo.slice(0, -'.git'.length);
}

function baseUrl(deps: AppDeps, req: Request): string {
  return deps.config.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
}

/** HTTP Basic with a personal access token, as for git itself. */
async function basicPrincipal(deps: AppDeps, req: Request): Promise<Principal> {
  const password = basicPassword(req);
  if (!password) throw new Unauthenticated('git_credentials_required');
  return authenticateToken(deps, password);
}

/**
 * An object href is authorized by the signed action token of the batch answer (bound to the
 * system, the object and the operation), or by HTTP Basic; either way the caller's access to the
 * system is checked again now, so a revoked token or grant stops working at once.
 */
async function objectPrincipal(deps: AppDeps, req: Request, op: 'upload' | 'download' | 'verify', oid: string | null): Promise<Principal> {
  const header = req.headers.authorization ?? '';
  const bearer = header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '';
  if (!isActionToken(bearer)) return basicPrincipal(deps, req);
  const claims = verifyAction(deps.config.secret, bearer, deps.clock().getTime());
  if (!claims || claims.op !== op || (oid !== null && claims.oid !== oid)) throw new Unauthenticated('token_invalid');
  const principal = await authenticateTokenId(deps, claims.tokenId);
  (req as Request & { lfsSystemId?: number }).lfsSystemId = claims.systemId;
  return principal;
}

function sameSystem(req: Request, systemId: number): void {
  const bound = (req as Request & { lfsSystemId?: number }).lfsSystemId;
  if (bound !== undefined && bound !== systemId) throw new Unauthenticated('token_invalid');
}

export function lfsRoutes(deps: AppDeps) {
  const json: RequestHandler = express.json({ type: [LFS_MEDIA, 'application/json'], limit: '8mb' });
  const messages = (req: Request) => ({
    missing: t(req.lang, 'errors.lfs_object_missing'),
    invalid: t(req.lang, 'errors.lfs_oid_invalid'),
    tooLarge: t(req.lang, 'errors.lfs_object_too_large'),
  });

  return {
    json,
    async batch(req: Request, res: Response) {
      const principal = await basicPrincipal(deps, req);
      const code = codeOf(req);
      const base = `${baseUrl(deps, req)}/git/${encodeURIComponent(code)}.git/info/lfs`;
      const answer = await lfs.batch(deps, principal, code, req.body, (oid, op) => (op === 'verify' ? `${base}/verify` : `${base}/objects/${oid}`), messages(req));
      res.status(200).type(LFS_MEDIA).send(JSON.stringify(answer));
    },

    async upload(req: Request, res: Response) {
      const oid = String(req.params.oid);
      const principal = await objectPrincipal(deps, req, 'upload', oid);
      const system = await lfs.systemForLfs(deps, principal, codeOf(req), 'write');
      sameSystem(req, system.id);
      const size = Number(req.headers['content-length']);
      if (!Number.isSafeInteger(size) || size < 0) throw new InvalidInput('length_required');
      try {
        req.principal = principal;
        await lfs.storeObject(deps, actorOf(req), system, oid, size, req);
      } catch (err) {
        if (err instanceof BlobWriteError && err.reason === 'aborted') {
          req.log.info({ oid, system: system.code }, 'LFS upload aborted by the client; nothing stored');
          return;
        }
        throw err;
      }
      res.status(200).end();
    },

    async download(req: Request, res: Response) {
      const oid = String(req.params.oid);
      const principal = await objectPrincipal(deps, req, 'download', oid);
      const system = await lfs.systemForLfs(deps, principal, codeOf(req), 'read');
      sameSystem(req, system.id);
      const size = await lfs.objectForDownload(deps, principal, system, oid);
      await noteGrantUse(deps, principal, req.ip ?? null, system.id, { via: 'lfs-download', oid }); // access/: a grantee's download is audited (issue 7)
      await sendStream(req, res, { size, etag: oid, type: 'application/octet-stream', open: (range) => deps.blobs.read(oid, range) });
    },

    async verify(req: Request, res: Response) {
      const principal = await objectPrincipal(deps, req, 'verify', (req.body as { oid?: string })?.oid ?? '');
      const system = await lfs.systemForLfs(deps, principal, codeOf(req), 'write');
      sameSystem(req, system.id);
      await lfs.verifyObject(deps, system, req.body);
      res.status(200).type(LFS_MEDIA).send('{}');
    },
  };
}
