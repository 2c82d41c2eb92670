import { join } from 'node:path';
import type { Request, Response } from 'express';
import { Eta } from 'eta';
import { templatesDir } from '../paths.js';
import type { Csrf } from './csrf.js';
import { LANGS, t, type Lang } from './i18n.js';

/** Server-rendered pages (Eta, auto-escaped); every page gets the helpers below. */
export function createViews(csrf: Csrf, opts: { cache: boolean }) {
  const eta = new Eta({ views: join(templatesDir, 'views'), cache: opts.cache, autoEscape: true, autoTrim: false });

  function render(req: Request, res: Response, view: string, data: Record<string, unknown> = {}, status = 200): void {
    const lang: Lang = req.lang;
    const html = eta.render(view, {
      ...data,
      lang,
      langs: LANGS,
      t: (key: string, params?: Record<string, string | number>) => t(lang, key, params),
      me: req.principal ?? null,
      csrf: csrf.token(req, res),
      path: req.originalUrl,
    });
    res.status(status).type('html').send(html);
  }

  return { render };
}

export type Views = ReturnType<typeof createViews>;
