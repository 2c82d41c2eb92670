import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { projectRoot } from '../../server/paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `qoima` CLI (through tsx, from source) against a temp data folder and a fresh
 * database: an SQLite file, or its own schema in DATABASE_URL's PostgreSQL.
 */
export function cliSandbox() {
  const dataDir = mkdtempSync(join(tmpdir(), 'qoima-cli-'));
  const schema = process.env.DATABASE_URL ? `cli_${process.pid}_${randomBytes(4).toString('hex')}` : undefined;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    QOIMA_DATA_DIR: dataDir,
    QOIMA_ADMIN_PASSWORD: 'Qoima-Test-Pa55word',
    QOIMA_DEFAULT_LANG: 'en',
    ...(schema ? { QOIMA_DB_SCHEMA: schema } : {}),
  };
  return {
    dataDir,
    env,
    run(args: string[], input?: string): CliResult {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'server/cli.ts'), ...args], {
        cwd: projectRoot,
        env,
        input: input ?? '',
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    async cleanup() {
      if (schema && process.env.DATABASE_URL) {
        const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });
        await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
