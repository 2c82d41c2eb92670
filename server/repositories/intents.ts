import type { Db, Trx } from '../../storage/db.js';
import type { Actor } from '../deps.js';
import { insertReturningId } from '../accounts/queries.js';
import type { RefUpdate } from './push-policy.js';

type Q = Db | Trx;

/**
 * The journal of ref moves under way (table `ref_intents`, issue 12 §3). Git and the database cannot
 * commit together: a push's refs move in receive-pack, an upload's branch by `update-ref`, and only
 * then is the move recorded (audit event, status) in a transaction. The row is written first (under
 * the repository lock) and removed by that transaction; one left over is settled by
 * `settleRefIntent` (server/repositories/recovery.ts): what landed in git is recorded, the rest dropped.
 */
export interface UploadDetails {
  path: string;
  category: string;
  sha256: string;
  size: number;
  lfs: boolean;
}

export type RefIntent =
  | { id: number; systemId: number; kind: 'push'; actor: Actor; details: { updates: RefUpdate[] }; startedAt: string }
  | { id: number; systemId: number; kind: 'upload'; actor: Actor; details: UploadDetails; startedAt: string };

type NewIntent = Omit<RefIntent, 'id'>;

/** The line an upload's commit message carries, so that a commit a crash left unrecorded is found again. */
export const uploadLine = (intentId: number) => `Qoima-Upload: ${intentId}`;

export function insertRefIntent(q: Q, intent: NewIntent): Promise<number> {
  return insertReturningId(q, 'ref_intents', {
    system_id: intent.systemId,
    kind: intent.kind,
    actor: JSON.stringify(intent.actor),
    details: JSON.stringify(intent.details),
    started_at: intent.startedAt,
  });
}

export async function deleteRefIntent(q: Q, id: number): Promise<void> {
  await q('ref_intents').where({ id }).delete();
}

export async function refIntent(q: Q, id: number): Promise<RefIntent | undefined> {
  const row = await q('ref_intents').where({ id }).first();
  return row ? toIntent(row) : undefined;
}

/** Every row (oldest first), or those of one system. */
export async function listRefIntents(q: Q, systemId?: number): Promise<RefIntent[]> {
  const query = q('ref_intents').orderBy('id');
  return (await (systemId === undefined ? query : query.where({ system_id: systemId }))).map(toIntent);
}

function toIntent(row: { id: number; system_id: number; kind: string; actor: string; details: string; started_at: string }): RefIntent {
  return {
    id: Number(row.id),
    systemId: Number(row.system_id),
    kind: row.kind,
    actor: JSON.parse(row.actor),
    details: JSON.parse(row.details),
    startedAt: row.started_at,
  } as RefIntent;
}
