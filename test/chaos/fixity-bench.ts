/**
 * `npx tsx test/chaos/fixity-bench.ts [--blobs N] [--mb M]` (issue 12 figures): fills a fresh data folder
 * with N random blobs of M MB (default 48 × 4 MB), then in the same run times
 *  - the scrubber (`runFsck`, blob pass and all) against `sha256sum` over the same files;
 *  - `takeBackup` (the whole backup: database, repositories, blobs, manifest) against `cp -a` of the data folder;
 *  - a second, incremental `takeBackup` (no blob copied again).
 * Also plants one corruption of each kind the scrubber knows in blobs and counts how many it found.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as accounts from '../../server/accounts/service.js';
import { loadConfig } from '../../server/config.js';
import { SYSTEM_ACTOR } from '../../server/deps.js';
import { takeBackup } from '../../server/integrity/backup.js';
import { runFsck } from '../../server/integrity/fsck.js';
import { LocalBlobStore } from '../../storage/blobs.js';
import { migrate, openDb } from '../../storage/db.js';

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const count = arg('--blobs', 48);
const mb = arg('--mb', 4);
const root = mkdtempSync(join(tmpdir(), 'qoima-fixity-bench-'));
const dataDir = join(root, 'data');
const config = loadConfig({ QOIMA_DATA_DIR: dataDir, QOIMA_ADMIN_PASSWORD: 'Qoima-Bench-Pa55word' });
const db = openDb({ sqliteFile: join(dataDir, 'qoima.sqlite') });
await migrate(db);
await accounts.bootstrap({ db, clock: () => new Date() }, config.adminPassword);
const blobs = new LocalBlobStore(join(dataDir, 'blobs'));
const oids: string[] = [];
for (let i = 0; i < count; i++) oids.push((await blobs.write(Readable.from([randomBytes(mb * 1024 * 1024)]))).oid);
const total = count * mb * 1024 * 1024;
const deps = { db, clock: () => new Date(), dataDir, blobs };
const time = async (f: () => unknown) => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};
const mbps = (s: number) => (total / 1048576 / s).toFixed(0);

execFileSync('sh', ['-c', `cat ${oids.map((o) => blobs.pathOf(o)).join(' ')} > /dev/null`]); // same page cache for both
const shaSum = await time(() => execFileSync('sha256sum', oids.map((o) => blobs.pathOf(o)), { maxBuffer: 1 << 24 }));
const scrub = await time(() => runFsck(deps, SYSTEM_ACTOR));
const cpA = await time(() => execFileSync('cp', ['-a', dataDir, join(root, 'cp-copy')]));
const backup = await time(() => takeBackup(config, join(root, 'backup')));
const again = await time(() => takeBackup(config, join(root, 'backup')));

// Planted corruptions: one flipped byte, one deleted blob (held by no row: found by the re-hash / not at all
// when nothing records it, so the deleted one is recorded in lfs_objects first).
const now = new Date().toISOString();
const org = await accounts.createOrganization({ db, clock: () => new Date() }, SYSTEM_ACTOR, { kind: 'government_body', bin: (await import('../helpers/app.js')).makeBin(777), nameKk: 'a', nameRu: 'b' });
const [row] = await db('systems').insert({ code: 'BENCH-1', name_kk: 'a', name_ru: 'b', owner_org_id: org.id, status: 'registered', created_at: now, updated_at: now }).returning('id');
await db('lfs_objects').insert({ system_id: Number(typeof row === 'object' ? (row as { id: number }).id : row), oid: oids[1], size: mb * 1048576, created_at: now });
const flipped = Buffer.from(randomBytes(mb * 1024 * 1024));
writeFileSync(blobs.pathOf(oids[0]), flipped);
unlinkSync(blobs.pathOf(oids[1]));
const planted = 2;
const report = await runFsck(deps, SYSTEM_ACTOR);
const found = [report.findings.some((f) => f.kind === 'blob_hash_mismatch' && f.subject === `blob ${oids[0]}`), report.findings.some((f) => f.kind === 'blob_missing' && f.subject === `blob ${oids[1]}`)].filter(Boolean).length;

process.stdout.write(
  [
    `data set: ${count} blobs × ${mb} MB = ${(total / 1048576).toFixed(0)} MB`,
    `sha256sum: ${shaSum.toFixed(2)} s (${mbps(shaSum)} MB/s)`,
    `qoima scrubber (runFsck): ${scrub.toFixed(2)} s (${mbps(scrub)} MB/s) = ${(shaSum / scrub).toFixed(2)}× sha256sum`,
    `cp -a data folder: ${cpA.toFixed(2)} s`,
    `qoima backup (full): ${backup.toFixed(2)} s = ${(backup / cpA).toFixed(2)}× cp -a`,
    `qoima backup (incremental, nothing new): ${again.toFixed(2)} s`,
    `corruptions found / planted: ${found} / ${planted}`,
  ].join('\n') + '\n',
);
await db.destroy();
rmSync(root, { recursive: true, force: true });
