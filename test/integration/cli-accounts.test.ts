import { afterAll, describe, expect, it } from 'vitest';
import { cliSandbox } from '../helpers/cli.js';
import { makeBin } from '../helpers/app.js';
import { openDb } from '../../storage/db.js';
import { join } from 'node:path';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

describe('qoima CLI: organisations, users, tokens, audit', () => {
  const bin = makeBin(424242);

  it('adds an organisation, and refuses an invalid BIN with one line and a non-zero exit', () => {
    const ok = cli.run(['org', 'add', '--kind', 'government_body', '--bin', bin, '--name-kk', 'Министрлік', '--name-ru', 'Министерство']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`organization ${bin} created`));
    const bad = cli.run(['org', 'add', '--kind', 'government_body', '--bin', '123456789012', '--name-kk', 'A', '--name-ru', 'Б']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/bin: A BIN is 12 digits/);
  });

  it('adds a user with a password from stdin; refuses an unknown role and a weak password', () => {
    const ok = cli.run(['user', 'add', '--org', bin, '--login', 'aigerim', '--role', 'body_user', '--password-stdin'], 'Strong-Pa55phrase-1\n');
    expect(ok.code).toBe(0);
    const role = cli.run(['user', 'add', '--org', bin, '--login', 'other', '--role', 'king']);
    expect(role.code).not.toBe(0);
    expect(role.stderr.trim().split('\n')).toHaveLength(1);
    const weak = cli.run(['user', 'add', '--org', bin, '--login', 'weak', '--role', 'body_user', '--password-stdin'], 'short\n');
    expect(weak.code).not.toBe(0);
    expect(weak.stderr).toMatch(/password/);
  });

  it('creates a token and prints only the token', () => {
    const r = cli.run(['token', 'create', '--login', 'aigerim', '--scopes', 'api,git:read', '--expires-days', '7']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^qoima_[A-Za-z0-9_-]{43}\n$/);
    const bad = cli.run(['token', 'create', '--login', 'aigerim', '--scopes', 'root']);
    expect(bad.code).not.toBe(0);
    const nobody = cli.run(['token', 'create', '--login', 'nobody']);
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toMatch(/nobody/);
  });

  it('verifies the audit chain and names the first tampered event', async () => {
    const ok = cli.run(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit chain intact: \d+ events/);
    const db = openDb({ databaseUrl: process.env.DATABASE_URL, schema: cli.env.QOIMA_DB_SCHEMA, sqliteFile: join(cli.dataDir, 'qoima.sqlite') });
    const row = await db('audit_events').where({ action: 'user.created' }).orderBy('id').first();
    await db('audit_events').where({ id: row.id }).update({ actor_login: 'mallory' });
    await db.destroy();
    const bad = cli.run(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`broken at event ${row.id} \\(content_changed\\)`));
  });

  it('stops with a line naming a bad configuration variable', () => {
    cli.env.PORT = 'eighty';
    try {
      const res = cli.run(['migrate']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^qoima: invalid PORT: .+\n$/);
    } finally {
      delete cli.env.PORT;
    }
  });
});
