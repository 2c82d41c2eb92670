import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../storage/blobs.js';
import { openDb } from '../../storage/db.js';
import { cliSandbox } from '../helpers/cli.js';

const cli = cliSandbox();
afterAll(() => cli.cleanup());

describe('qoima gc: orphan blobs after a crash between blob and record', () => {
  it('lists old orphans on --dry-run, removes only them, and never touches a held or young blob', async () => {
    expect(cli.run(['audit', 'verify']).code).toBe(0); // opens the data folder: migrates and bootstraps
    const db = openDb({ databaseUrl: process.env.DATABASE_URL, schema: cli.env.QOIMA_DB_SCHEMA, sqliteFile: join(cli.dataDir, 'qoima.sqlite') });
    const store = new LocalBlobStore(join(cli.dataDir, 'blobs'));
    const held = await store.write(Readable.from([Buffer.from('held by a system')]));
    const orphan = await store.write(Readable.from([Buffer.from('left by a crash')]));
    const young = await store.write(Readable.from([Buffer.from('upload in flight')]));
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    for (const b of [held, orphan]) utimesSync(store.pathOf(b.oid), twoDaysAgo, twoDaysAgo);
    const now = new Date().toISOString();
    const [sys] = await db('systems').insert({ code: 'GC-1', name_kk: 'a', name_ru: 'b', owner_org_id: (await db('organizations').first('id')).id, status: 'repository_formed', created_at: now, updated_at: now }).returning('id');
    await db('lfs_objects').insert({ system_id: Number(typeof sys === 'object' ? sys.id : sys), oid: held.oid, size: held.size, created_at: now });

    const dry = cli.run(['gc', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would remove ${orphan.oid}`);
    expect(dry.stdout).not.toContain(held.oid);
    expect(dry.stdout).not.toContain(young.oid);
    expect(await store.size(orphan.oid)).not.toBeNull();

    const real = cli.run(['gc', '--json']);
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout);
    expect(report.orphans.map((o: { oid: string }) => o.oid)).toEqual([orphan.oid]);
    expect(await store.size(orphan.oid)).toBeNull();
    expect(await store.size(held.oid)).toBe(held.size);
    expect(await store.size(young.oid)).toBe(young.size);
    expect(await db('audit_events').where({ action: 'blobs.swept' })).toHaveLength(1);
    await db.destroy();

    const bad = cli.run(['gc', '--grace-hours', 'soon']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
