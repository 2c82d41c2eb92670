import { join } from 'node:path';
import type { Command } from 'commander';
import { CLI_ACTOR, CliFailure, type CliContext } from '../cli.js';
import { LocalBlobStore } from '../../storage/blobs.js';
import { backupVerify, restoreBackup, takeBackup } from './backup.js';
import { runFsck, UnknownSystem } from './fsck.js';

/** `qoima fsck`, `qoima backup`, `qoima restore` (issue 12). Any finding exits non-zero. */
export function registerIntegrityCommands(program: Command, ctx: CliContext): void {
  program
    .command('fsck')
    .description('check the fixity of everything stored; exits non-zero on any finding')
    .option('--system <code>', 'only this system')
    .option('--json', 'print the report as JSON')
    .action(async (o: { system?: string; json?: boolean }) => {
      const deps = await ctx.open();
      let failed: number;
      try {
        const blobs = new LocalBlobStore(join(ctx.config.dataDir, 'blobs'));
        const report = await runFsck({ ...deps, blobs, dataDir: ctx.config.dataDir }, CLI_ACTOR, { system: o.system }).catch((err: unknown) => {
          if (err instanceof UnknownSystem) throw new CliFailure(err.message);
          throw err;
        });
        failed = report.findings.length;
        if (o.json) ctx.out(JSON.stringify(report));
        else {
          for (const f of report.findings) ctx.out(`${f.kind}\t${f.subject}\t${f.detail}`);
          ctx.out(`fsck run ${report.runId}: ${report.objectsChecked} object(s), ${report.bytesChecked} bytes checked; ${report.findings.length} finding(s)${report.skipped.length ? `; not in this build: ${report.skipped.join(', ')}` : ''}`);
        }
      } finally {
        await deps.close();
      }
      if (failed) throw new CliFailure(`${failed} fixity finding(s)`);
    });

  program
    .command('backup')
    .description('take a consistent backup while the service runs (--out DIR), or check one (--verify DIR)')
    .option('--out <dir>', 'the backup folder (blobs already there are not copied again)')
    .option('--verify <dir>', 'check a backup against its manifest without restoring it')
    .action(async (o: { out?: string; verify?: string }) => {
      if (!!o.out === !!o.verify) throw new CliFailure('give either --out DIR or --verify DIR');
      if (o.verify) {
        const problems = await backupVerify(o.verify);
        for (const p of problems) ctx.out(`bad\t${p}`);
        if (problems.length) throw new CliFailure(`backup ${o.verify} fails verification: ${problems.length} problem(s)`);
        return ctx.out(`backup ${o.verify} verified`);
      }
      const m = await takeBackup(ctx.config, o.out!);
      ctx.out(`backup written to ${o.out}: ${m.files.length} file(s), ${m.files.reduce((s, f) => s + f.size, 0)} bytes, ${m.repositories} repositories, ${m.blobsCopied} blob(s) copied, ${m.blobsKept} already there`);
    });

  program
    .command('restore')
    .description('restore a backup into the (empty) data folder')
    .requiredOption('--from <dir>', 'the backup folder')
    .action(async (o: { from: string }) => {
      const r = await restoreBackup(ctx.config, o.from);
      ctx.out(`restored ${r.files} file(s) from ${o.from} into ${ctx.config.dataDir}`);
    });
}
