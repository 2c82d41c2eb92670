import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { BlobWriteError } from '../../storage/blobs.js';
import { uploadFile } from './service.js';

/** `PUT /systems/:code/files/:category/*path`: the raw body is the file (never parsed). */
export function uploadsApi(deps: AppDeps) {
  return {
    async put(req: Request, res: Response) {
      const segments = req.params.path as unknown as string[];
      try {
        const result = await uploadFile(deps, actorOf(req), principalOf(req), {
          code: String(req.params.code),
          category: String(req.params.category),
          path: Array.isArray(segments) ? segments.join('/') : String(segments),
          body: req,
          reprDigest: typeof req.headers['repr-digest'] === 'string' ? req.headers['repr-digest'] : undefined,
        });
        res.status(201).json(result);
      } catch (err) {
        if (err instanceof BlobWriteError && err.reason === 'aborted') {
          req.log.info({ code: req.params.code }, 'upload aborted by the client; nothing stored');
          return;
        }
        throw err;
      }
    },
  };
}

/** The upload route takes the raw body: the JSON parser must not touch it. */
export function isRawUpload(req: Request): boolean {
  return req.method === 'PUT' && /^\/systems\/[^/]+\/files\//.test(req.path);
}
