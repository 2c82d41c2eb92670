import { recordAudit } from '../audit/service.js';
import { SYSTEM_ACTOR } from '../deps.js';
import { enqueue } from '../notify/service.js';
import type { Trx } from '../../storage/db.js';
import { checkAuditChain, checkBlob, checkDeposit, checkHeldBlob, checkPackage, checkReport, checkRepository, newTally, refsOf, type CheckDeps, type Finding, type Tally } from './checks.js';
import * as q from './queries.js';
import * as sq from './scrub-queries.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * The scheduled fixity scrubber (issue 12; ISO 16363 §4.2.7), a slice at a time: the same checks as
 * `qoima fsck`, but each kind of object is walked in a fixed order from a cursor kept in the database
 * (fixity_cursors), so a stop or a crash loses at most one slice and a terabyte store is covered over
 * time, within a read budget (token-bucket.ts). Each slice of a kind is one transaction: its run row,
 * its findings, its cursor, and — for findings not already seen in this or the last cycle — one notice
 * to operator admins and one audit event.
 */
export const OBJECT_KINDS = ['blob', 'lfs', 'repo', 'deposit', 'package', 'report', 'audit'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export interface ScrubOptions {
  budget: TokenBucket;
  /** A slice stops taking new objects after this long (ms). */
  sliceMs: number;
  /** A kind's next full cycle starts no sooner than this long after its last one started (ms). */
  minCycleMs: number;
  /** Objects read from the database per page. */
  pageSize?: number;
  /** At most this many objects per kind per slice (tests stop a cycle half way with it). */
  maxObjects?: number;
  signal?: AbortSignal;
}

export interface KindSlice {
  kind: ObjectKind;
  runId: number;
  from: string | null;
  to: string | null;
  objects: number;
  bytes: number;
  findings: Finding[];
  newFindings: number;
  cycleDone: boolean;
}

export interface SliceResult {
  slices: KindSlice[];
  /** Nothing was due: every kind finished its cycle less than `minCycleMs` ago. */
  idle: boolean;
}

export async function runScrubSlice(deps: CheckDeps, opts: ScrubOptions): Promise<SliceResult> {
  const deadline = performance.now() + opts.sliceMs;
  const now = () => deps.clock().toISOString();
  const kinds: ObjectKind[] = [];
  for (const kind of OBJECT_KINDS) {
    if (kind === 'package' && !(await q.hasTable(deps.db, 'return_packages'))) continue;
    if (kind === 'report' && !(await q.hasTable(deps.db, 'reports'))) continue;
    await sq.ensureCursor(deps.db, kind, now());
    kinds.push(kind);
  }
  // The kind served least recently goes first, so a long blob cycle does not starve the repositories.
  const cursors = (await sq.cursors(deps.db)).filter((c) => kinds.includes(c.object_kind as ObjectKind)).sort((a, b) => a.updated_at.localeCompare(b.updated_at) || kinds.indexOf(a.object_kind as ObjectKind) - kinds.indexOf(b.object_kind as ObjectKind));
  const due = cursors.filter((c) => c.position !== null || !c.last_full_cycle_started_at || deps.clock().getTime() - Date.parse(c.last_full_cycle_started_at) >= opts.minCycleMs);
  const slices: KindSlice[] = [];
  for (const c of due) {
    if (performance.now() > deadline || opts.signal?.aborted) break;
    slices.push(await scrubKind(deps, c, opts, deadline));
  }
  return { slices, idle: due.length === 0 };
}

async function scrubKind(deps: CheckDeps, c: sq.CursorRow, opts: ScrubOptions, deadline: number): Promise<KindSlice> {
  const kind = c.object_kind as ObjectKind;
  const startedAt = deps.clock().toISOString();
  const starting = c.position === null;
  const t = newTally();
  let position = c.position;
  let done = false;
  let count = 0;
  const page = opts.pageSize ?? 100;
  const more = () => performance.now() <= deadline && !opts.signal?.aborted && (opts.maxObjects === undefined || count < opts.maxObjects);
  const walk = async <T>(fetch: (after: string | null) => Promise<T[]>, key: (row: T) => string, check: (row: T) => Promise<void>) => {
    for (;;) {
      const rows = await fetch(position);
      for (const row of rows) {
        if (!more()) return;
        await check(row);
        position = key(row);
        count++;
      }
      if (rows.length < page) return void (done = true);
    }
  };
  const id = (p: string | null) => (p === null ? 0 : Number(p));
  try {
    switch (kind) {
      case 'blob':
        done = true;
        for await (const oid of deps.blobs.listAfter(position)) {
          if (!more()) {
            done = false;
            break;
          }
          await checkBlob(deps, oid, t, opts.budget);
          position = oid;
          count++;
        }
        break;
      case 'lfs':
        await walk(
          async (after) => {
            const rows = await sq.lfsAfter(deps.db, after ? { systemId: Number(after.split(':')[0]), oid: after.split(':')[1] } : null, page);
            const codes = await sq.codesOf(deps.db, rows.map((r) => r.system_id));
            return rows.map((r) => ({ ...r, code: codes.get(r.system_id) ?? String(r.system_id) }));
          },
          (r) => `${r.system_id}:${r.oid}`,
          async (r) => {
            t.objects++;
            await checkHeldBlob(deps, r, r.code, t);
          },
        );
        break;
      case 'repo':
        await walk((after) => sq.systemsAfter(deps.db, id(after), page), (s) => String(s.id), async (s) => void (await checkRepository(deps, s, t, opts.budget)));
        break;
      case 'deposit':
        await walk(
          (after) => sq.depositsAfter(deps.db, id(after), page),
          (d) => String(d.id),
          async (d) => {
            const code = (await sq.codesOf(deps.db, [d.system_id])).get(d.system_id) ?? String(d.system_id);
            await checkDeposit(deps, d, code, await refsOf(deps, d.system_id), new Set(), t, opts.budget);
          },
        );
        break;
      case 'package':
        await walk(
          (after) => sq.packagesAfter(deps.db, id(after), page),
          (p) => String(p.id),
          async (p) => await checkPackage(deps, p, (await sq.codesOf(deps.db, [p.system_id])).get(p.system_id) ?? String(p.system_id), t, opts.budget),
        );
        break;
      case 'report':
        await walk((after) => sq.reportsAfter(deps.db, id(after), page), (r) => String(r.id), async (r) => checkReport(r, t));
        break;
      case 'audit':
        await checkAuditChain(deps, t);
        done = true;
        break;
    }
  } catch (err) {
    // A stop in the middle of an object: what was finished before it is recorded, the rest is the next slice's.
    if (!opts.signal?.aborted) throw err;
    done = false;
  }
  return recordSlice(deps, c, { kind, startedAt, starting, from: c.position, to: done ? null : position, done, tally: t });
}

async function recordSlice(deps: CheckDeps, c: sq.CursorRow, s: { kind: ObjectKind; startedAt: string; starting: boolean; from: string | null; to: string | null; done: boolean; tally: Tally }): Promise<KindSlice> {
  const finishedAt = deps.clock().toISOString();
  const { objects, bytes, findings } = s.tally;
  const cycleStartedAt = s.starting ? s.startedAt : c.cycle_started_at;
  return deps.db.transaction(async (trx) => {
    const fresh: Finding[] = [];
    for (const f of findings) if (!(await sq.seenRecently(trx, f, s.kind, c.cycle))) fresh.push(f);
    const runId = await q.insertRun(trx, { started_at: s.startedAt, finished_at: finishedAt, scope: null, objects_checked: objects, bytes_checked: bytes, finding_count: findings.length, trigger: 'scheduled', object_kind: s.kind, cursor_from: s.from, cursor_to: s.to, cycle: c.cycle }, findings);
    const cursor = s.done
      ? { position: null, cycle: c.cycle + 1, cycle_started_at: finishedAt, last_full_cycle_started_at: cycleStartedAt, last_full_cycle_finished_at: finishedAt, updated_at: finishedAt }
      : { position: s.to, cycle_started_at: cycleStartedAt, updated_at: finishedAt };
    await sq.saveCursor(trx, s.kind, cursor, { objects, bytes, findings: findings.length });
    if (fresh.length) await notifyFindings(trx, deps.clock, runId, s.kind, fresh);
    if (s.done) await recordAudit(trx, deps.clock, SYSTEM_ACTOR, { action: 'fixity.cycle_completed', subjectType: 'fixity_run', subjectId: runId, details: { kind: s.kind, cycle: c.cycle, startedAt: cycleStartedAt } });
    return { kind: s.kind, runId, from: s.from, to: s.to, objects, bytes, findings, newFindings: fresh.length, cycleDone: s.done };
  });
}

/** New findings (not seen in this or the last cycle of their kind): one notice to operator admins per slice, one audit event. */
async function notifyFindings(trx: Trx, clock: () => Date, runId: number, objectKind: ObjectKind, fresh: Finding[]): Promise<void> {
  await recordAudit(trx, clock, SYSTEM_ACTOR, { action: 'fixity.finding', subjectType: 'fixity_run', subjectId: runId, details: { objectKind, findings: fresh.map((f) => `${f.kind} ${f.subject}`).slice(0, 50), count: fresh.length } });
  await enqueue(trx, clock, {
    kind: 'fixity_finding',
    to: [{ roles: ['operator_admin'] }],
    params: { count: fresh.length, finding: fresh[0].kind, subject: fresh[0].subject, run: runId },
    link: `/fixity?run=${runId}`,
  });
}
