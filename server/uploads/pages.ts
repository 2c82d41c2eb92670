import { PassThrough } from 'node:stream';
import type { Request, Response } from 'express';
import busboy from 'busboy';
import type { AppDeps } from '../deps.js';
import { AppError, InvalidInput } from '../errors.js';
import type { Csrf } from '../http/csrf.js';
import { actorOf, principalOf } from '../http/context.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { findSystemFor } from '../systems/queries.js';
import { NotFound } from '../errors.js';
import { CATEGORIES } from './paths.js';
import { uploadFile, type UploadResult } from './service.js';

/**
 * The upload page: a multipart form read as a stream (busboy), the file part piped straight into
 * the same `uploadFile` the API uses — never buffered, never written twice. The form's fields come
 * before its file, so the CSRF token is checked before a byte of the file is stored. With
 * JavaScript, templates/static/upload.js sends the same form with a progress bar.
 */
export function uploadPages(deps: AppDeps, views: Views, csrf: Csrf) {
  async function systemOr404(req: Request) {
    const system = await findSystemFor(deps.db, principalOf(req), String(req.params.code), 'write');
    if (!system) throw new NotFound();
    return system;
  }

  function renderForm(req: Request, res: Response, data: { code: string; result?: UploadResult; error?: string; fields?: Record<string, string>; category?: string }, status = 200) {
    views.render(req, res, 'uploads/form', { title: t(req.lang, 'uploads.title'), categories: Object.keys(CATEGORIES), ...data }, status);
  }

  return {
    async form(req: Request, res: Response) {
      const system = await systemOr404(req);
      renderForm(req, res, { code: system.code, category: typeof req.query.category === 'string' ? req.query.category : 'docs' });
    },

    async upload(req: Request, res: Response) {
      const system = await systemOr404(req);
      const wantsJson = (req.headers.accept ?? '').includes('application/json');
      let result: UploadResult;
      try {
        result = await receiveMultipart(req, (fields, file, filename) => {
          req.body = fields;
          csrf.check(req);
          return uploadFile(deps, actorOf(req), principalOf(req), { code: system.code, category: fields.category ?? '', path: (fields.path || filename || '').trim(), body: file });
        });
      } catch (err) {
        if (!(err instanceof AppError) || err.status === 403 || err.status === 404) throw err;
        if (wantsJson) throw err;
        const message = t(req.lang, err.messageKey, err.params);
        const fields = err.fields ? Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k, t(req.lang, v.key, v.params ?? {})])) : undefined;
        return renderForm(req, res, { code: system.code, error: message, fields, category: String((req.body as Record<string, string>)?.category ?? '') }, err.status);
      }
      if (wantsJson) return void res.status(201).json(result);
      renderForm(req, res, { code: system.code, result, category: result.path.split('/')[0] }, 201);
    },
  };
}

type FileHandler = (fields: Record<string, string>, file: PassThrough, filename: string) => Promise<UploadResult>;

/** Reads one multipart form: its text fields, then exactly one file handed to `onFile` as a stream. */
function receiveMultipart(req: Request, onFile: FileHandler): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 4096, parts: 12 } });
    } catch {
      return reject(new InvalidInput('multipart_expected'));
    }
    const fields: Record<string, string> = {};
    let handled: Promise<UploadResult> | null = null;
    let body: PassThrough | null = null;
    let ended = false;
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream, info) => {
      if (handled) return stream.resume();
      // A pass-through we control: a client that goes away mid-file fails it instead of ending it short.
      const file = new PassThrough({ highWaterMark: 1 << 20 });
      file.on('error', () => undefined); // the consumer sees it through its own pipeline
      body = file;
      stream.pipe(file);
      stream.on('error', (err) => file.destroy(err));
      // A refused form (CSRF, bad field) still reads the rest of the request, so the answer can be sent.
      handled = Promise.resolve().then(() => onFile({ ...fields }, file, info.filename ?? ''));
      handled.catch(() => {
        stream.unpipe(file);
        stream.resume();
      });
    });
    parser.on('error', (err) => {
      body?.destroy(Object.assign(new Error('multipart aborted'), { code: 'ECONNRESET', cause: err }));
      if (!handled) reject(new InvalidInput('multipart_expected'));
    });
    parser.on('close', () => {
      ended = true;
      if (!handled) reject(new InvalidInput('validation_failed', {}, { file: { key: 'errors.fields.required' } }));
      else handled.then(resolve, reject);
    });
    req.on('close', () => {
      if (!ended && !req.complete) body?.destroy(Object.assign(new Error('client went away'), { code: 'ECONNRESET' }));
    });
    req.pipe(parser);
  });
}
