import type { Command } from 'commander';
import type { CliContext } from '../cli.js';
import type { Actor } from '../deps.js';
import { InvalidInput } from '../errors.js';
import { isLang, t, type Lang } from '../http/i18n.js';
import { parseInput } from '../util/validate.js';
import { isoWeekday } from './dates.js';
import { OverrideDateParams, OverrideInput, WorkingDaysQuery, YearParams } from './schemas.js';
import * as calendar from './service.js';

/** As server/cli.ts's CLI_ACTOR (not imported: cli.ts imports this file). */
const CLI_ACTOR: Actor = { userId: null, orgId: null, login: 'cli', ip: null };

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * `qoima calendar …`. Input is checked before the database is opened, so a typo costs one line on
 * stderr and nothing else.
 */
export function registerCalendarCommands(program: Command, ctx: CliContext): void {
  const cal = program.command('calendar').description('the working-day calendar of Kazakhstan');

  cal
    .command('show')
    .argument('<year>', 'a year, 2020–2100')
    .option('--lang <lang>', 'kk | ru | en (names of the days off)')
    .description('the working-day count and every day off of a year, with its kind and name')
    .action(async (year: string, o: { lang?: string }) => {
      parseInput(YearParams, { year });
      const lang = pickLang(o.lang, ctx.lang);
      await withDeps(ctx, async (deps) => {
        const view = await calendar.calendarYear(deps, { year });
        ctx.out(t(lang, 'calendar.cli.summary', { year: view.year, n: view.workingDays }));
        for (const d of view.daysOff) ctx.out(`${d.date} ${WEEKDAYS[isoWeekday(d.date) - 1]} ${d.kind.padEnd(10)} ${d.name[lang]}${d.basis ? ` — ${d.basis}` : ''}`);
        for (const d of view.workingWeekendDays) ctx.out(`${d.date} ${WEEKDAYS[isoWeekday(d.date) - 1]} ${'working'.padEnd(10)} ${d.name[lang]}${d.basis ? ` — ${d.basis}` : ''}`);
      });
    });

  cal
    .command('add')
    .requiredOption('--from <date>', 'YYYY-MM-DD')
    .requiredOption('--days <n>', 'working days to add (0–1000)')
    .description('prints the Nth working day after a date')
    .action(async (o: { from: string; days: string }) => {
      parseInput(WorkingDaysQuery, { from: o.from, add: o.days });
      await withDeps(ctx, async (deps) => {
        ctx.out((await calendar.workingDayAfter(deps, { from: o.from, add: o.days })).date);
      });
    });

  cal
    .command('override')
    .requiredOption('--date <date>', 'YYYY-MM-DD')
    .option('--working', 'the date is worked')
    .option('--off', 'the date is a day off')
    .option('--remove', 'remove the decree of the date')
    .option('--basis <text>', 'the decree: number, date, title')
    .description('enter or remove a Government decree that moves a day off')
    .action(async (o: { date: string; working?: boolean; off?: boolean; remove?: boolean; basis?: string }) => {
      const chosen = [o.working, o.off, o.remove].filter(Boolean).length;
      if (chosen !== 1) throw new InvalidInput('validation_failed', {}, { working: { key: 'calendar.cli.choose_one' } });
      if (o.remove) {
        parseInput(OverrideDateParams, { date: o.date });
        await withDeps(ctx, async (deps) => {
          const removed = await calendar.removeOverride(deps, CLI_ACTOR, { date: o.date });
          ctx.out(t(ctx.lang, 'calendar.cli.removed', { date: removed.date }));
        });
        return;
      }
      const input = { date: o.date, working: Boolean(o.working), basis: o.basis ?? '' };
      parseInput(OverrideInput, input);
      await withDeps(ctx, async (deps) => {
        const { override } = await calendar.setOverride(deps, CLI_ACTOR, input);
        ctx.out(t(ctx.lang, override.working ? 'calendar.cli.set_working' : 'calendar.cli.set_off', { date: override.date }));
      });
    });

  cal
    .command('overrides')
    .description('list the decrees entered by operator admins')
    .action(async () => {
      await withDeps(ctx, async (deps) => {
        for (const o of await calendar.listOverrides(deps)) ctx.out(`${o.date} ${o.working ? 'working' : 'off    '} ${o.basis}`);
      });
    });
}

function pickLang(value: string | undefined, fallback: Lang): Lang {
  if (value === undefined) return fallback;
  if (!isLang(value)) throw new InvalidInput('validation_failed', {}, { lang: { key: 'errors.fields.invalid_value', params: { allowed: 'kk, ru, en' } } });
  return value;
}

async function withDeps(ctx: CliContext, work: (deps: Awaited<ReturnType<CliContext['open']>>) => Promise<void>): Promise<void> {
  const deps = await ctx.open();
  try {
    await work(deps);
  } finally {
    await deps.close();
  }
}
