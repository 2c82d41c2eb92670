import type { Request, Response } from 'express';
import type { AppDeps } from '../deps.js';
import { t } from '../http/i18n.js';
import type { Views } from '../http/views.js';
import { OBJECT_KINDS } from './scrub.js';
import * as sq from './scrub-queries.js';

/**
 * The operator's fixity page (issue 12): per kind of object the scrubber's cursor, cycle and last full
 * cycle; the latest runs (scheduled slices and `qoima fsck`); the latest findings, or one run's (?run=ID).
 * Operator staff only (the route table says so).
 */
export function fixityPages(deps: AppDeps, views: Views) {
  return {
    async page(req: Request, res: Response) {
      const run = typeof req.query.run === 'string' && /^\d{1,12}$/.test(req.query.run) ? Number(req.query.run) : undefined;
      const now = deps.clock().getTime();
      const cursors = (await sq.cursors(deps.db))
        .sort((a, b) => OBJECT_KINDS.indexOf(a.object_kind as never) - OBJECT_KINDS.indexOf(b.object_kind as never))
        .map((c) => ({ ...c, oldestUncheckedS: Math.max(0, Math.round((now - Date.parse(c.last_full_cycle_started_at ?? c.cycle_started_at)) / 1000)) }));
      const [runs, findings] = await Promise.all([sq.recentRuns(deps.db, { limit: 50 }), sq.recentFindings(deps.db, { limit: 100, runId: run })]);
      res.setHeader('Cache-Control', 'no-store');
      views.render(req, res, 'integrity/fixity', {
        title: t(req.lang, 'fixity.title'),
        enabled: deps.config.scrubMbPerSecond > 0,
        budget: deps.config.scrubMbPerSecond,
        cycleHours: deps.config.scrubCycleMs / 3_600_000,
        cursors,
        runs,
        findings,
        run: run ?? null,
        mb: (n: number) => (n / 1048576).toFixed(1),
        ago: (s: number) => (s >= 86400 ? `${(s / 86400).toFixed(1)} d` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${s} s`),
      });
    },
  };
}
