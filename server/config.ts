import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * The only place that reads process.env (style.md §6). Validated with zod at boot, then frozen.
 * A bad value stops the start with one line naming the variable.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  QOIMA_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  QOIMA_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  QOIMA_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  QOIMA_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  QOIMA_PUBLIC_URL: z.url('must be an absolute URL').optional(),
  QOIMA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QOIMA_DEFAULT_LANG: z.enum(['kk', 'ru', 'en']).default('ru'),
  QOIMA_SECURE_COOKIES: z.enum(['true', 'false']).default('false'),
  QOIMA_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  QOIMA_LOGIN_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  QOIMA_MAX_JSON_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  QOIMA_REQUEST_TIMEOUT_S: z.coerce.number().int().min(0).default(0),
  QOIMA_MAX_BLOB_MB: z.coerce.number().int().min(1).max(1_000_000).default(50),
  QOIMA_GIT_MAX_UPLOADS: z.coerce.number().int().min(1).max(1000).optional(),
  QOIMA_GIT_GZIP_MAX_MB: z.coerce.number().int().min(1).max(100_000).default(512),
  QOIMA_BODY_MIN_BYTES: z.coerce.number().int().min(1).default(8192),
  QOIMA_BODY_RATE_WINDOW_S: z.coerce.number().min(0).max(3600).default(60),
  QOIMA_FORM_ON_REGISTER: z.enum(['true', 'false']).default('true'),
  QOIMA_MAX_OBJECT_MB: z.coerce.number().int().min(1).max(100_000_000).default(50 * 1024),
  QOIMA_DIRECT_IO: z.enum(['auto', 'off']).default('auto'),
  // notify/: e-mail through SMTP when set (in-app notifications only when not)
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL').optional(),
  QOIMA_MAIL_FROM: z.string().min(3).max(320).default('Qoima <qoima@localhost>'),
  // integrity/: the background fixity scrubber's read budget (MB/s; 0 = off) and how often a full cycle starts
  QOIMA_SCRUB_MB_S: z.coerce.number().min(0).max(100_000).default(25),
  QOIMA_SCRUB_CYCLE_H: z.coerce.number().min(0).max(24 * 365).default(24),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly dbSchema: string | undefined;
  readonly adminPassword: string | undefined;
  /** Key for CSRF tokens and other HMACs; kept in the data folder when not given. */
  readonly secret: string;
  readonly publicUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly defaultLang: 'kk' | 'ru' | 'en';
  readonly secureCookies: boolean;
  readonly trustProxy: boolean;
  readonly loginAttempts: number;
  readonly maxJsonBytes: number;
  /** 0 = no overall request timeout: multi-gigabyte uploads and long pushes must not be cut. */
  readonly requestTimeoutMs: number;
  /** Largest blob a push may carry outside Git LFS (bytes; QOIMA_MAX_BLOB_MB, default 50 MB). */
  readonly maxBlobBytes: number;
  /** git upload-pack processes (clones, fetches) served at once; more wait (default: CPUs, at least 2). */
  readonly gitMaxUploads: number;
  /** Largest gzip-inflated git push body (bytes; QOIMA_GIT_GZIP_MAX_MB, default 512 MB): stops gzip bombs. */
  readonly gitGzipMaxBytes: number;
  /** Slow-loris rule: a request body must deliver at least `minBytes` in every `windowMs` the server waits on it (0 = off). */
  readonly bodyRate: { readonly minBytes: number; readonly windowMs: number };
  /** Largest single Git LFS object or uploaded file (bytes; QOIMA_MAX_OBJECT_MB, default 50 GiB). */
  readonly maxObjectBytes: number;
  /** Blob writes past the page cache (`O_DIRECT`) where the filesystem takes them (QOIMA_DIRECT_IO: auto | off). */
  readonly directIo: boolean;
  /** SMTP server for e-mail notifications (`smtp://user:pass@host:port`); none: in-app only. */
  readonly smtpUrl: string | undefined;
  /** The From of notification e-mails. */
  readonly mailFrom: string;
  /** Rules p.8: form the repository right when an application is registered (else by an explicit operator action). */
  readonly formOnRegister: boolean;
  /** The background fixity scrubber's read budget in MB/s (QOIMA_SCRUB_MB_S); 0: the scrubber does not run. */
  readonly scrubMbPerSecond: number;
  /** A new full scrub cycle of a kind of object starts no sooner than this after the last one started (QOIMA_SCRUB_CYCLE_H). */
  readonly scrubCycleMs: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`qoima: invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? e.QOIMA_DATA_DIR);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    dbSchema: e.QOIMA_DB_SCHEMA,
    adminPassword: e.QOIMA_ADMIN_PASSWORD,
    secret: e.QOIMA_SECRET ?? '',
    publicUrl: e.QOIMA_PUBLIC_URL,
    logLevel: e.QOIMA_LOG_LEVEL,
    defaultLang: e.QOIMA_DEFAULT_LANG,
    secureCookies: e.QOIMA_SECURE_COOKIES === 'true',
    trustProxy: e.QOIMA_TRUST_PROXY === 'true',
    loginAttempts: e.QOIMA_LOGIN_ATTEMPTS,
    maxJsonBytes: e.QOIMA_MAX_JSON_BYTES,
    requestTimeoutMs: e.QOIMA_REQUEST_TIMEOUT_S * 1000,
    maxBlobBytes: e.QOIMA_MAX_BLOB_MB * 1024 * 1024,
    gitMaxUploads: e.QOIMA_GIT_MAX_UPLOADS ?? Math.max(2, availableParallelism()),
    gitGzipMaxBytes: e.QOIMA_GIT_GZIP_MAX_MB * 1024 * 1024,
    bodyRate: Object.freeze({ minBytes: e.QOIMA_BODY_MIN_BYTES, windowMs: Math.round(e.QOIMA_BODY_RATE_WINDOW_S * 1000) }),
    maxObjectBytes: e.QOIMA_MAX_OBJECT_MB * 1024 * 1024,
    directIo: e.QOIMA_DIRECT_IO === 'auto',
    smtpUrl: e.SMTP_URL,
    mailFrom: e.QOIMA_MAIL_FROM,
    formOnRegister: e.QOIMA_FORM_ON_REGISTER === 'true',
    scrubMbPerSecond: e.QOIMA_SCRUB_MB_S,
    scrubCycleMs: e.QOIMA_SCRUB_CYCLE_H * 3_600_000,
    ...overrides,
  };
  return Object.freeze({ ...config, dataDir, secret: config.secret || persistentSecret(dataDir) });
}

/** A random key generated on first start and kept in the data folder, so sessions survive restarts. */
function persistentSecret(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}
