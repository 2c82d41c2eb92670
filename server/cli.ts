import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import * as accounts from './accounts/service.js';
import { verifyAuditChain } from './audit/service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Actor, ServiceDeps } from './deps.js';
import { AppError } from './errors.js';
import { t, type Lang } from './http/i18n.js';
import { serve } from './main.js';
import { migrate, openDb } from '../storage/db.js';
import { registerCalendarCommands } from './calendar/cli.js';
import { registerIntegrityCommands } from './integrity/cli.js';
import { registerReportCommands } from './reports/cli.js';
import { sweepBlobs } from './lfs/gc.js';
import { LocalBlobStore } from '../storage/blobs.js';

/** What CLI commands are handed: storage opened and migrated, a clock, and the console. */
export interface CliContext {
  config: Config;
  open(): Promise<ServiceDeps & { close(): Promise<void> }>;
  out(line: string): void;
  lang: Lang;
}

export const CLI_ACTOR: Actor = { userId: null, orgId: null, login: 'cli', ip: null };

function readStdin(): string {
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}

export function buildCli(ctx: CliContext): Command {
  const program = new Command('qoima').description('Qoima — source-code escrow service').exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('serve')
    .description('run the service')
    .action(async () => {
      const running = await serve(ctx.config, {
        onBootstrap: (password) => ctx.out(`qoima: created user "admin" with the one-time password: ${password}`),
      });
      ctx.out(`qoima: listening on ${running.url}`);
      const stop = () => void running.stop().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const db = openDb({ databaseUrl: ctx.config.databaseUrl, schema: ctx.config.dbSchema, sqliteFile: join(ctx.config.dataDir, 'qoima.sqlite') });
      try {
        const applied = await migrate(db);
        ctx.out(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
      } finally {
        await db.destroy();
      }
    });

  const org = program.command('org').description('organisations');
  org
    .command('add')
    .requiredOption('--kind <kind>', 'operator | government_body | developer | authorized_body | archive')
    .requiredOption('--bin <bin>', 'BIN, 12 digits')
    .requiredOption('--name-kk <name>', 'name in Kazakh')
    .requiredOption('--name-ru <name>', 'name in Russian')
    .option('--name-en <name>', 'name in English')
    .option('--short-name <name>')
    .option('--email <email>')
    .action(async (o: Record<string, string>) => {
      const deps = await ctx.open();
      try {
        const created = await accounts.createOrganization(deps, CLI_ACTOR, {
          kind: o.kind, bin: o.bin, nameKk: o.nameKk, nameRu: o.nameRu, nameEn: o.nameEn, shortName: o.shortName, email: o.email,
        });
        ctx.out(`organization ${created.bin} created (id ${created.id})`);
      } finally {
        await deps.close();
      }
    });

  const user = program.command('user').description('users');
  user
    .command('add')
    .requiredOption('--org <bin>', "the user's organisation (BIN)")
    .requiredOption('--login <login>')
    .requiredOption('--role <role>', 'operator_admin | operator_staff | body_user | developer_user | authority_viewer | archivist')
    .option('--name <fullName>', 'full name (defaults to the login)')
    .option('--email <email>')
    .option('--lang <lang>', 'kk | ru | en')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (o: Record<string, string | boolean>) => {
      const password = o.passwordStdin ? readStdin() : undefined;
      const deps = await ctx.open();
      try {
        const created = await accounts.createUser(deps, CLI_ACTOR, {
          organization: o.org, login: o.login, role: o.role, fullName: (o.name as string) ?? o.login, email: o.email, lang: o.lang, password,
        });
        ctx.out(`user ${created.login} created (id ${created.id})`);
      } finally {
        await deps.close();
      }
    });
  user
    .command('password')
    .requiredOption('--login <login>')
    .description('set a password read from standard input')
    .action(async (o: { login: string }) => {
      const password = readStdin();
      const deps = await ctx.open();
      try {
        await accounts.setPassword(deps, CLI_ACTOR, o.login, password);
        ctx.out(`password of ${o.login} set`);
      } finally {
        await deps.close();
      }
    });

  const token = program.command('token').description('personal access tokens');
  token
    .command('create')
    .requiredOption('--login <login>')
    .option('--scopes <list>', 'comma-separated: api, git:read, git:write', 'api,git:read,git:write')
    .option('--expires-days <n>', 'days until it expires', '90')
    .option('--name <name>', 'what the token is for', 'cli')
    .description('create a token; prints only the token')
    .action(async (o: { login: string; scopes: string; expiresDays: string; name: string }) => {
      const deps = await ctx.open();
      try {
        const userId = await accounts.userIdByLogin(deps, o.login);
        const days = /^\d+$/.test(o.expiresDays) ? Number(o.expiresDays) : NaN;
        const created = await accounts.createToken(deps, CLI_ACTOR, userId, { name: o.name, scopes: o.scopes.split(',').map((s) => s.trim()).filter(Boolean), expiresInDays: days });
        ctx.out(created.token);
      } finally {
        await deps.close();
      }
    });

  const audit = program.command('audit').description('the audit trail');
  audit
    .command('verify')
    .description('check the hash chain; names the first bad row')
    .action(async () => {
      const deps = await ctx.open();
      try {
        const verdict = await verifyAuditChain(deps);
        if (!verdict.ok) throw new CliFailure(`audit chain broken at event ${verdict.firstBad!.id} (${verdict.firstBad!.reason}); ${verdict.checked} events before it are intact`);
        ctx.out(`audit chain intact: ${verdict.checked} events`);
      } finally {
        await deps.close();
      }
    });

  registerCalendarCommands(program, ctx);
  registerIntegrityCommands(program, ctx); // integrity/: qoima fsck, backup, restore (issue 12)
  registerReportCommands(program, ctx); // reports/: qoima report (Rules p.13, issue 9)

  program
    .command('gc')
    .description('list (--dry-run) or remove blobs no system holds, older than the grace period')
    .option('--dry-run', 'only list what would be removed')
    .option('--grace-hours <n>', 'leave blobs younger than this alone', '24')
    .option('--json', 'print the report as JSON')
    .action(async (o: { dryRun?: boolean; graceHours: string; json?: boolean }) => {
      const graceHours = /^\d+$/.test(o.graceHours) ? Number(o.graceHours) : NaN;
      if (!Number.isFinite(graceHours)) throw new CliFailure(`--grace-hours must be a whole number of hours, not "${o.graceHours}"`);
      const deps = await ctx.open();
      try {
        const blobs = new LocalBlobStore(join(ctx.config.dataDir, 'blobs'));
        const report = await sweepBlobs({ ...deps, blobs }, CLI_ACTOR, { dryRun: !!o.dryRun, graceHours });
        if (o.json) return ctx.out(JSON.stringify(report));
        for (const orphan of report.orphans) ctx.out(`${report.dryRun ? 'would remove' : 'removed'} ${orphan.oid} ${orphan.size} ${orphan.mtime}`);
        ctx.out(`${report.orphans.length} orphan blob(s), ${report.orphanBytes} bytes${report.dryRun ? ' (dry run: nothing removed)' : `; ${report.tempFiles} temp file(s) removed`}`);
      } finally {
        await deps.close();
      }
    });
  return program;
}

/** A CLI command's failure with its one-line message. */
export class CliFailure extends Error {}

/** Runs the CLI; returns the exit code. Errors become one line on stderr. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      return 2;
    }
    throw err;
  }
  const lang: Lang = config.defaultLang;
  const ctx: CliContext = {
    config,
    lang,
    out: (line) => process.stdout.write(line + '\n'),
    async open() {
      const db = openDb({ databaseUrl: config.databaseUrl, schema: config.dbSchema, sqliteFile: join(config.dataDir, 'qoima.sqlite') });
      await migrate(db);
      const deps = { db, clock: () => new Date() };
      const boot = await accounts.bootstrap(deps, config.adminPassword);
      if (boot.password) process.stderr.write(`qoima: created user "admin" with the one-time password: ${boot.password}\n`);
      return { ...deps, close: () => db.destroy() };
    },
  };
  try {
    await buildCli(ctx).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof AppError) {
      const fields = err.fields ? ': ' + Object.entries(err.fields).map(([k, v]) => `${k}: ${t(lang, v.key, v.params ?? {})}`).join('; ') : '';
      process.stderr.write(`qoima: ${t(lang, err.messageKey, err.params)}${fields}\n`);
      return 1;
    }
    if (err instanceof CliFailure) {
      process.stderr.write(`qoima: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`qoima: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href || process.argv[1]?.endsWith('bin/qoima.js')) {
  const argv = process.argv.slice(2);
  const code = await runCli(argv);
  if (argv[0] !== 'serve' || code !== 0) process.exit(code);
}

