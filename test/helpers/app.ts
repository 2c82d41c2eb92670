import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import knexFactory from 'knex';
import { loadConfig, type Config } from '../../server/config.js';
import { serve, type Running } from '../../server/main.js';
import * as accounts from '../../server/accounts/service.js';
import { binCheckDigit } from '../../server/accounts/bin.js';
import type { Actor } from '../../server/deps.js';
import type { Role, Scope } from '../../server/accounts/roles.js';

export const TEST_ADMIN_PASSWORD = 'Qoima-Test-Pa55word';
const SYSTEM: Actor = { userId: null, orgId: null, login: 'test', ip: null };

/** A mutable clock for tests: `clock.set('2026-03-19T10:00:00+05:00')`. */
export function testClock(start = '2026-03-19T10:00:00+05:00') {
  let now = new Date(start);
  const fn = () => new Date(now);
  return Object.assign(fn, {
    set: (iso: string) => void (now = new Date(iso)),
    advance: (ms: number) => void (now = new Date(now.getTime() + ms)),
  });
}

/** A valid BIN built from an 11-digit seed (the check digit computed by the official rule). */
export function makeBin(seed: number): string {
  for (let n = seed; ; n++) {
    const first11 = ('0000' + String(n).padStart(7, '0')).slice(-11);
    const first = `${first11.slice(0, 4)}4${first11.slice(5)}`;
    const check = binCheckDigit(first);
    if (check !== null) return first + check;
  }
}

export interface TestApp extends Running {
  config: Config;
  deps: Running['app']['deps'];
  dataDir: string;
  /** An organisation plus one user of the given role, with a token; returns what tests need. */
  addUser(opts: { role: Role; kind?: string; bin?: string; login?: string; scopes?: Scope[]; password?: string; lang?: 'kk' | 'ru' | 'en' }): Promise<{ login: string; token: string; bin: string; orgId: number; userId: number; password: string }>;
  adminToken: string;
}

let counter = 0;

/**
 * A real server on a loopback port over a temp data folder and a fresh database: an SQLite file,
 * or a fresh schema in the PostgreSQL of DATABASE_URL (dropped at close).
 */
export async function startTestApp(opts: { clock?: () => Date; env?: Record<string, string> } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qoima-test-'));
  const schema = process.env.DATABASE_URL ? `t_${process.pid}_${Date.now()}_${counter++}_${randomBytes(3).toString('hex')}` : undefined;
  const config = loadConfig(
    { QOIMA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', QOIMA_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, QOIMA_LOG_LEVEL: 'silent', QOIMA_SCRUB_MB_S: '0', ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, QOIMA_DB_SCHEMA: schema } : {}), ...opts.env },
  );
  const logger = pino({ level: process.env.QOIMA_TEST_LOG ?? 'silent' });
  const running = await serve(config, { clock: opts.clock, logger });
  const deps = running.app.deps;
  let seq = 0;
  const addUser: TestApp['addUser'] = async (o) => {
    seq++;
    const kind = o.kind ?? ({ operator_admin: 'operator', operator_staff: 'operator', body_user: 'government_body', developer_user: 'developer', authority_viewer: 'authorized_body', archivist: 'archive' } as const)[o.role];
    const bin = o.bin ?? makeBin(1000 + seq * 37 + counter * 1000);
    let org = await accounts.findOrganization(deps, bin);
    if (!org) org = await accounts.createOrganization(deps, SYSTEM, { kind, bin, nameKk: `Ұйым ${seq}`, nameRu: `Организация ${seq}` });
    const login = o.login ?? `${o.role.replace('_', '-')}-${seq}`;
    const password = o.password ?? `Pw-${seq}-${randomBytes(6).toString("hex")}`;
    const user = await accounts.createUser(deps, SYSTEM, { organization: bin, login, fullName: `User ${login}`, role: o.role, password, lang: o.lang });
    const token = await accounts.createToken(deps, SYSTEM, user.id, { name: 'test', scopes: o.scopes ?? ['api', 'git:read', 'git:write'] });
    return { login, token: token.token, bin, orgId: org.id, userId: user.id, password };
  };
  const adminId = await accounts.userIdByLogin(deps, 'admin');
  const adminToken = (await accounts.createToken(deps, SYSTEM, adminId, { name: 'test', scopes: ['api', 'git:read', 'git:write'] })).token;
  return {
    ...running,
    config,
    deps,
    dataDir,
    addUser,
    adminToken,
    async stop() {
      await running.stop();
      if (schema && process.env.DATABASE_URL) {
        const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });
        await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
