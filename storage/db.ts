import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';

export type Db = Knex;
export type Trx = Knex.Transaction;

export interface DbOptions {
  /** postgres:// URL; when absent, an SQLite file at `sqliteFile`. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created when missing); lets test runs share one database. */
  schema?: string;
  sqliteFile: string;
}

const require = createRequire(import.meta.url);

/**
 * knex's SQLite transactions start with a deferred BEGIN; a deferred transaction that reads and then
 * writes can fail with SQLITE_BUSY when another connection wrote meanwhile, without waiting on
 * busy_timeout. BEGIN IMMEDIATE takes the write lock up front, so writers queue instead of failing.
 */
function immediateSqliteClient(): typeof Knex.Client {
  // knex ships these classes without types; both are part of its dialect API for custom clients.
  const BetterSqlite = require('knex/lib/dialects/better-sqlite3/index.js') as new (...args: unknown[]) => object;
  const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as new (...args: unknown[]) => {
    query(conn: unknown, sql: string): unknown;
  };
  class ImmediateTransaction extends SqliteTransaction {
    begin(conn: unknown) {
      return this.query(conn, 'BEGIN IMMEDIATE;');
    }
  }
  class Client extends BetterSqlite {
    transaction(...args: unknown[]) {
      return new ImmediateTransaction(this, ...args);
    }
  }
  return Client as unknown as typeof Knex.Client;
}

interface SqliteConnection {
  pragma(s: string): unknown;
  prepare(sql: string): unknown;
}

/**
 * knex prepares every query anew; compiling the SQL took a tenth of the server's CPU time under load
 * (docs/benchmarks.md, "Load"). better-sqlite3 statements are reusable (each `all`/`run` runs to the end
 * before the next starts, and SQLite re-prepares a statement itself after a schema change), so the
 * connection keeps the most recent ones by their SQL text. Nothing in this codebase sets per-statement
 * options (safeIntegers), which would otherwise stick to a shared statement.
 */
const STATEMENT_CACHE = 500;
function cacheStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
    } else {
      cache.delete(sql); // re-inserted below: the map's order is the order of last use
    }
    cache.set(sql, statement);
    return statement;
  };
}

export function openDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      searchPath: opts.schema ? [opts.schema] : undefined,
      pool: {
        min: 0,
        max: 10,
        afterCreate(conn: { query: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, c: unknown) => void) {
          if (!opts.schema) return done(null, conn);
          conn.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`, (err) => done(err, conn));
        },
      },
    });
  }
  mkdirSync(dirname(opts.sqliteFile), { recursive: true });
  return knexFactory({
    client: immediateSqliteClient(),
    connection: { filename: opts.sqliteFile },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, c: unknown) => void) {
        try {
          cacheStatements(conn);
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = FULL'); // a 2xx means durable (brief: nothing deposited is lost)
          conn.pragma('busy_timeout = 10000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

export function isPostgres(db: Db): boolean {
  return db.client.config.client === 'pg';
}

interface MigrationModule {
  up(db: Knex): Promise<void>;
  down?(db: Knex): Promise<void>;
}

/** Migrations are files `YYYYMMDDHHMMSS_verb_noun.ts` beside this module's `migrations/`; append-only. */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  private readonly dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

  async getMigrations(): Promise<string[]> {
    return readdirSync(this.dir)
      .filter((f) => /^\d{14}_[a-z0-9_]+\.(ts|js)$/.test(f))
      .map((f) => f.replace(/\.(ts|js)$/, ''))
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<Knex.Migration> {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const mod = (await import(pathToFileURL(join(this.dir, name + ext)).href)) as MigrationModule;
    return { up: mod.up, down: mod.down ?? (async () => { throw new Error(`migration ${name} cannot be undone`); }) };
  }
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrate(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new FolderMigrationSource() })) as [number, string[]];
  return applied;
}

/** A timestamp as stored: ISO 8601 UTC text, the same on SQLite and PostgreSQL. */
export function isoNow(clock: () => Date): string {
  return clock().toISOString();
}
