import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../cli.js';
import type { Actor } from '../deps.js';
import { isLang, t, type Lang } from '../http/i18n.js';
import { ReportInvalid } from './errors.js';
import { FORMATS, renderReport, type ReportFormat } from './formats.js';
import { computeReport } from './load.js';
import { parsePeriod } from './period.js';
import * as service from './service.js';
import { almatyDate } from '../calendar/types.js';
import { formatDate } from '../intake/read.js';

/** As server/cli.ts's CLI_ACTOR (not imported: cli.ts imports this file). */
const CLI_ACTOR: Actor = { userId: null, orgId: null, login: 'cli', ip: null };

/**
 * `qoima report --period 2026-H1 --format pdf --lang kk --out report.pdf` (Rules p.13): the report of
 * a half-year (or `--from`/`--to`) computed from the database, written to a file or standard output;
 * `--store` keeps an ended half-year's report, as an operator admin would. Input is checked before
 * the database is opened.
 */
export function registerReportCommands(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('the half-yearly report to the authorized body (Rules p.13)')
    .option('--period <period>', 'a half-year: 2026-H1 or 2026-H2')
    .option('--from <date>', 'instead of --period: first day, YYYY-MM-DD')
    .option('--to <date>', 'with --from: last day, YYYY-MM-DD')
    .option('--format <format>', FORMATS.join(' | '), 'json')
    .option('--lang <lang>', 'kk | ru | en')
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--store', 'store the report of an ended half-year (immutable, with its SHA-256) and print its id and SHA-256')
    .action(async (o: { period?: string; from?: string; to?: string; format: string; lang?: string; out?: string; store?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(o.format)) throw new ReportInvalid('report_format_invalid', { value: o.format });
      if (o.lang !== undefined && !isLang(o.lang)) throw new ReportInvalid('report_format_invalid', { value: o.lang });
      const lang: Lang = isLang(o.lang) ? o.lang : ctx.lang;
      const key = o.period ?? (o.from || o.to ? 'range' : '');
      const period = parsePeriod(key, { from: o.from, to: o.to });
      if (!o.store && period.from > almatyDate(new Date())) throw new ReportInvalid('report_period_future', { from: period.from });
      const deps = await ctx.open();
      try {
        if (o.store) {
          const stored = await service.storeReport(deps, CLI_ACTOR, { period: key }, 'cli');
          return ctx.out(`report ${stored.period} revision ${stored.revision} stored (id ${stored.id}) sha256 ${stored.sha256}`);
        }
        const data = await computeReport(deps.db, deps.clock, period);
        const bytes = await renderReport(o.format as ReportFormat, lang, data);
        if (data.draft) process.stderr.write(`qoima: ${t(lang, 'reports.draft_banner', { date: formatDate(data.asOf) })}\n`);
        if (!o.out) return void process.stdout.write(bytes);
        writeFileSync(o.out, bytes);
        ctx.out(t(lang, 'reports.cli.written', { file: o.out, bytes: bytes.length, format: `${o.format}${data.draft ? `, ${t(lang, 'reports.draft')}` : ''}`, lang }));
      } finally {
        await deps.close();
      }
    });
}
