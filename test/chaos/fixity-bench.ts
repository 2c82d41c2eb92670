/**
 * `npx tsx test/chaos/fixity-bench.ts [--blobs N] [--mb M]` (issue 12 figures): fills a fresh data folder
 * with N random blobs of M MB (default 48 × 4 MB), then in the same run times
 *  - the scrubber (`runFsck`, blob pass and all) against `sha256sum` over the same files;
 *  - the scheduled scrubber's path (`runScrubSlice`, cursor and run rows) with no budget, and with a
 *    budget of `--budget` MB/s (default 64) to show it is held;
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
import { runScrubSlice } from '../../server/integrity/scrub.js';
import { TokenBucket } from '../../server/integrity/token-bucket.js';
import { LocalBlobStore } from '../../storage/blobs.js';
import { migrate, openDb } from '../../storage/db.js';

const arg = (name: string, dflt: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const count = arg('--blobs', 48);
const mb = arg('--mb', 4);
const budgetMb = arg('--budget', 64);
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
/** One full cycle of the background scrubber over the blob store (the other kinds are empty here). */
const scrubCycle = async (bytesPerSecond: number | null) => {
  const budget = new TokenBucket(bytesPerSecond);
  for (;;) {
    const r = await runScrubSlice(deps, { budget, sliceMs: 3_600_000, minCycleMs: 0 });
    if (r.slices.some((x) => x.kind === 'blob' && x.cycleDone)) return;
  }
};
const scheduled = await time(() => scrubCycle(null));
const budgeted = await time(() => scrubCycle(budgetMb * 1048576));
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
    `qoima scheduled scrubber (runScrubSlice, budget 0 = unlimited): ${scheduled.toFixed(2)} s (${mbps(scheduled)} MB/s) = ${(shaSum / scheduled).toFixed(2)}× sha256sum`,
    `qoima scheduled scrubber, budget ${budgetMb} MB/s: ${budgeted.toFixed(2)} s (${mbps(budgeted)} MB/s)`,
    `cp -a data folder: ${cpA.toFixed(2)} s`,
    `qoima backup (full): ${backup.toFixed(2)} s = ${(backup / cpA).toFixed(2)}× cp -a`,
    `qoima backup (incremental, nothing new): ${again.toFixed(2)} s`,
    `corruptions found / planted: ${found} / ${planted}`,
  ].join('\n') + '\n',
);
await db.destroy();
rmSync(root, { recursive: true, force: true });
