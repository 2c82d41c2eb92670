import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { actorOf, principalOf } from '../http/context.js';
import { parseInput } from '../util/validate.js';
import { fileName, MEDIA, renderReport, type StoredMark } from './formats.js';
import { createReportMailer, deliverReportMail } from './mail.js';
import type { ReportData } from './model.js';
import { reportOptions, StoredIdParams, StoreInput } from './schemas.js';
import * as service from './service.js';
import type { StoredReport } from './stored.js';

/**
 * Sends the report in the asked format and language. Drafts say so in a header; a stored report
 * carries its SHA-256 (of the canonical JSON of its data) as `X-Report-SHA256`.
 */
export async function sendReportAs(req: Request, res: Response, data: ReportData, stored: StoredReport | null): Promise<void> {
  const { format, lang } = reportOptions(req.query as Record<string, unknown>, req.lang);
  const mark: StoredMark | undefined = stored ? { revision: stored.revision, sha256: stored.sha256 } : undefined;
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('X-Report-Draft', String(data.draft));
  if (stored) res.setHeader('X-Report-SHA256', stored.sha256);
  const name = fileName(data, lang, format, mark);
  const bytes = await renderReport(format, lang, data, mark);
  res.setHeader('Content-Type', MEDIA[format]);
  res.setHeader('Content-Disposition', `${format === 'json' || format === 'html' ? 'inline' : 'attachment'}; filename="${name}"`);
  res.setHeader('Content-Language', lang);
  res.send(bytes);
}

/** Sends the e-mails of a report just sent, after commit; the schedule's poll retries failures. */
export function deliverAfterSend(deps: AppDeps): void {
  void deliverReportMail(deps, createReportMailer(deps.config)).catch((err: unknown) => deps.logger.error({ err }, 'reports: e-mail delivery failed'));
}

/** REST handlers of the half-yearly report (Rules p.13): HTTP only — parse, call, answer. */
export function reportsApi(deps: AppDeps) {
  return {
    async list(req: Request, res: Response) {
      const p = principalOf(req);
      const [items, due] = await Promise.all([service.listStored(deps, p), p.roles[0] === 'authority_viewer' ? null : service.dueReport(deps)]);
      res.json({ items, due });
    },

    /** `GET /reports/:period`: a half-year, or `range` with `from` and `to` (operator staff only). */
    async period(req: Request, res: Response) {
      reportOptions(req.query as Record<string, unknown>, req.lang);
      const { data, stored } = await service.getReport(deps, principalOf(req), { period: String(req.params.period), from: req.query.from, to: req.query.to });
      await sendReportAs(req, res, data, stored);
    },

    async store(req: Request, res: Response) {
      const { period } = parseInput(StoreInput, req.body ?? {});
      res.status(201).json(await service.storeReport(deps, actorOf(req), { period }));
    },

    async stored(req: Request, res: Response) {
      const { id } = parseInput(StoredIdParams, req.params);
      reportOptions(req.query as Record<string, unknown>, req.lang);
      const report = await service.getStored(deps, principalOf(req), id);
      await sendReportAs(req, res, report.data, report);
    },

    async send(req: Request, res: Response) {
      const { id } = parseInput(StoredIdParams, req.params);
      const sent = await service.sendReport(deps, principalOf(req), actorOf(req), id);
      deliverAfterSend(deps);
      res.json(sent);
    },
  };
}
