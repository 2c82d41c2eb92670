import type { Actor } from '../deps.js';
import type { RefUpdate } from './push-policy.js';

/**
 * The journal of ref moves under way (table `ref_intents`, issue 12 §3). Git and the database cannot
 * commit together: a push's refs move in receive-pack, an upload's branch by `update-ref`, and only
 * then is the move recorded (audit event, status) in a transaction. The row is written first (under
 * the repository lock) and removed by that transaction (its SQL: queries.ts); one left over is settled by
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

export type NewIntent = Omit<RefIntent, 'id'>;

/** The line an upload's commit message carries, so that a commit a crash left unrecorded is found again. */
export const uploadLine = (intentId: number) => `Qoima-Upload: ${intentId}`;
