import type { Db, Trx } from '../../storage/db.js';

type Q = Db | Trx;

/** The size of `oid` as recorded for the system, or null when the system does not hold it. */
export async function objectOfSystem(q: Q, systemId: number, oid: string): Promise<number | null> {
  const row = await q('lfs_objects').where({ system_id: systemId, oid }).first('size');
  return row ? Number(row.size) : null;
}

/** The subset of `oids` the system holds, with their sizes. */
export async function objectsOfSystem(q: Q, systemId: number, oids: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (let i = 0; i < oids.length; i += 500) {
    const rows = await q('lfs_objects').where({ system_id: systemId }).whereIn('oid', oids.slice(i, i + 500)).select('oid', 'size');
    for (const r of rows) found.set(r.oid, Number(r.size));
  }
  return found;
}

/** Of `oids`, those that are LFS files of the system's accepted version `version` (its stored inventory). */
export async function objectsOfVersion(q: Q, systemId: number, version: number, oids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < oids.length; i += 500) {
    const rows: { oid: string }[] = await q('deposit_files as f')
      .join('deposits as d', 'd.id', 'f.deposit_id')
      .where({ 'd.system_id': systemId, 'd.version': version, 'f.lfs': true })
      .whereIn('f.sha256', oids.slice(i, i + 500))
      .distinct('f.sha256 as oid');
    for (const r of rows) found.add(r.oid);
  }
  return found;
}

export async function insertObject(trx: Trx, row: { system_id: number; oid: string; size: number; uploaded_by: number | null; created_at: string }): Promise<void> {
  await trx('lfs_objects').insert(row).onConflict(['system_id', 'oid']).ignore();
}

/** Every oid some system references (for the sweep of orphan blobs). */
export async function isReferenced(q: Q, oid: string): Promise<boolean> {
  return !!(await q('lfs_objects').where({ oid }).first('oid'));
}
