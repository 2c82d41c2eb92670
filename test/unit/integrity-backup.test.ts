import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { backupVerify, restoreBackup, RestoreRefused, takeBackup } from '../../server/integrity/backup.js';
import { LocalBlobStore } from '../../storage/blobs.js';

const root = mkdtempSync(join(tmpdir(), 'qoima-backup-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('backup manifest, verify and restore (SQLite, no repositories)', () => {
  it('verifies a fresh backup, names a changed, a missing and an extra file, and restores only into an empty folder', async () => {
    const dataDir = join(root, 'data');
    const config = loadConfig({ QOIMA_DATA_DIR: dataDir });
    const sqlite = new Database(join(dataDir, 'qoima.sqlite'));
    sqlite.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')");
    sqlite.close();
    const blob = await new LocalBlobStore(join(dataDir, 'blobs')).write(Readable.from([Buffer.from('a blob')]));
    mkdirSync(join(dataDir, 'acts', '1'), { recursive: true });
    writeFileSync(join(dataDir, 'acts', '1', 'v1.pdf'), '%PDF-1.7 act');
    mkdirSync(join(dataDir, 'blobs', 'tmp'), { recursive: true });
    writeFileSync(join(dataDir, 'blobs', 'tmp', 'partial'), 'scratch');

    const out = join(root, 'backup');
    const m = await takeBackup(config, out);
    expect(m.files.map((f) => f.path)).toEqual(['blobs/' + blob.oid.slice(0, 2) + '/' + blob.oid.slice(2, 4) + '/' + blob.oid, 'db/qoima.sqlite', 'files/acts/1/v1.pdf', 'files/secret.key']);
    expect(await backupVerify(out)).toEqual([]);

    const act = join(out, 'files/acts/1/v1.pdf');
    writeFileSync(act, '%PDF-1.7 acT');
    writeFileSync(join(out, 'files/extra.txt'), 'x');
    unlinkSync(join(out, 'db/qoima.sqlite'));
    const problems = await backupVerify(out);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^db\/qoima\.sqlite: missing/);
    expect(problems[1]).toMatch(/^files\/acts\/1\/v1\.pdf: 12 bytes, sha256 [0-9a-f]{64}; manifest says 12 bytes/);
    expect(problems[2]).toBe('files/extra.txt: not in the manifest');
    await expect(restoreBackup(loadConfig({ QOIMA_DATA_DIR: join(root, 'r0') }), out)).rejects.toThrow(/fails verification/);

    await takeBackup(config, out); // repairs the backup: db and files rewritten, the extra file gone
    expect(await backupVerify(out)).toEqual([]);
    await expect(restoreBackup(config, out)).rejects.toBeInstanceOf(RestoreRefused);
    const target = join(root, 'restored');
    await restoreBackup(loadConfig({ QOIMA_DATA_DIR: target }), out); // holds only the secret.key loadConfig wrote
    const restoredDb = new Database(join(target, 'qoima.sqlite'), { readonly: true });
    expect(restoredDb.prepare('SELECT v FROM t').get()).toEqual({ v: 'kept' });
    restoredDb.close();
    expect(readFileSync(join(target, 'secret.key'), 'utf8')).toBe(readFileSync(join(dataDir, 'secret.key'), 'utf8'));
    expect(existsSync(join(target, 'blobs', 'tmp'))).toBe(false);
    unlinkSync(join(out, 'manifest.json'));
    expect(await backupVerify(out)).toEqual(['manifest.json: missing or unreadable (an interrupted backup, or not a backup)']);
  });
});
