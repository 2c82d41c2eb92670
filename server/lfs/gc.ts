import { recordAudit } from '../audit/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import type { BlobStore, LocalBlobStore } from '../../storage/blobs.js';
import { isReferenced } from './queries.js';

export interface SweepReport {
  dryRun: boolean;
  graceHours: number;
  /** Objects no system holds, older than the grace period: removed (or, dry run, to remove). */
  orphans: { oid: string; size: number; mtime: string }[];
  orphanBytes: number;
  /** Temp files a crash left mid-write. */
  tempFiles: number;
}

/**
 * The sweep of the blob store (issue: large deposits §5): a crash between writing a blob and
 * recording it for its system leaves an orphan that no commit points at; after a grace period
 * (longer than any upload) it is listed and, unless this is a dry run, removed — in one audited
 * run. A blob any system holds is never touched, whatever its age.
 */
export async function sweepBlobs(
  deps: ServiceDeps & { blobs: BlobStore },
  actor: Actor,
  opts: { dryRun: boolean; graceHours: number },
): Promise<SweepReport> {
  const cutoff = deps.clock().getTime() - opts.graceHours * 3_600_000;
  const orphans: SweepReport['orphans'] = [];
  for await (const blob of deps.blobs.list()) {
    if (blob.mtimeMs > cutoff) continue;
    if (await isReferenced(deps.db, blob.oid)) continue;
    orphans.push({ oid: blob.oid, size: blob.size, mtime: new Date(blob.mtimeMs).toISOString() });
  }
  let tempFiles = 0;
  if (!opts.dryRun) {
    for (const o of orphans) {
      // Checked again right before removing: an upload of the same bytes may have just recorded it.
      if (!(await isReferenced(deps.db, o.oid))) await deps.blobs.remove(o.oid);
    }
    const local = deps.blobs as Partial<LocalBlobStore>;
    if (local.sweepTemp) tempFiles = await local.sweepTemp(opts.graceHours * 3_600_000, deps.clock().getTime());
    await deps.db.transaction((trx) =>
      recordAudit(trx, deps.clock, actor, {
        action: 'blobs.swept',
        details: { removed: orphans.length, bytes: orphans.reduce((s, o) => s + o.size, 0), tempFiles, graceHours: opts.graceHours },
      }),
    );
  }
  return { dryRun: opts.dryRun, graceHours: opts.graceHours, orphans, orphanBytes: orphans.reduce((s, o) => s + o.size, 0), tempFiles };
}
