import type { Readable } from 'node:stream';
import type { Principal } from '../accounts/service.js';
import type { Actor, AppDeps } from '../deps.js';
import { Conflict, Forbidden, InsufficientStorage, InvalidInput, InvalidState, NotFound, TooLarge } from '../errors.js';
import { BranchMoved, commitFiles, lfsPointer, PathConflict, type NewFile } from '../git/commit.js';
import { DEFAULT_BRANCH } from '../git/form.js';
import { insertObject } from '../lfs/queries.js';
import { uploadLine, type UploadDetails } from '../repositories/intents.js';
import { insertRefIntent, refIntent } from '../repositories/queries.js';
import { settleRefIntent, settleRefIntentsOf } from '../repositories/recovery.js';
import { recordUpload } from '../repositories/service.js';
import { findSystemFor } from '../systems/queries.js';
import type { SystemStatus } from '../systems/policy.js';
import { BlobWriteError } from '../../storage/blobs.js';
import { repoPath, withRepoLock } from '../../storage/repos.js';
import { CATEGORIES, isCategory, validateTreePath } from './paths.js';

/** A deposit may be added to from the forming of the repository until its return (rules p.8–p.11). */
const OPEN_FOR_DEPOSIT: SystemStatus[] = ['repository_formed', 'deposit_received', 'accepted', 'decommission_notified'];

export interface UploadRequest {
  code: string;
  category: string;
  path: string;
  body: Readable;
  /** The `Repr-Digest` header (RFC 9530), if the client sent one: `sha-256=:<base64>:`. */
  reprDigest?: string;
}

export interface UploadResult {
  commit: string;
  path: string;
  sha256: string;
  size: number;
  lfs: boolean;
}

/** The sha-256 of a `Repr-Digest` header as hex, or null when it names no sha-256. */
export function sha256OfReprDigest(header: string): string | null {
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]+={0,2}):/.exec(header);
  if (!m) return null;
  const bytes = Buffer.from(m[1], 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

/**
 * Uploads one file into a category of a system's deposit (architecture.md, the spine): the body is
 * streamed into the blob store (LFS categories) or a temp file (others) while hashed, then committed
 * on the default branch with the uploader as author — an LFS pointer or the blob itself — and the
 * system moves to `deposit_received`. A bad digest, an abort or a full disk leaves no blob, no commit
 * and no row.
 */
export async function uploadFile(deps: AppDeps, actor: Actor, principal: Principal, req: UploadRequest): Promise<UploadResult> {
  if (!isCategory(req.category)) throw new InvalidInput('validation_failed', {}, { category: { key: 'errors.fields.category_unknown', params: { allowed: Object.keys(CATEGORIES).join(', ') } } });
  const relative = validateTreePath(req.path);
  const expectedOid = req.reprDigest === undefined ? undefined : sha256OfReprDigest(req.reprDigest);
  if (expectedOid === null) throw new InvalidInput('repr_digest_invalid');

  const system = await findSystemFor(deps.db, principal, req.code, 'write');
  if (!system) {
    // Readable but not writable (a grantee, an archivist): a clear refusal; invisible: not found.
    if (await findSystemFor(deps.db, principal, req.code, 'read')) throw new Forbidden('read_only_access');
    throw new NotFound();
  }
  if (system.status === 'returned' || system.status === 'archived') throw new InvalidState('system_returned');
  if (!OPEN_FOR_DEPOSIT.includes(system.status)) throw new InvalidState('repository_not_formed');

  const category = CATEGORIES[req.category];
  const treePath = `${category.folder}/${relative}`;
  const staged = await receive(deps, req.body, category.lfs, expectedOid);
  try {
    const file: NewFile = { path: treePath, source: category.lfs ? { content: lfsPointer(staged.oid, staged.size) } : { file: staged.path! } };
    const when = deps.clock();
    // The system holds the object before any commit names it: a crash between the commit and the
    // transaction below must not leave a pointer to an object the system does not hold (issue 12 §3).
    if (category.lfs) await deps.db.transaction((trx) => insertObject(trx, { system_id: system.id, oid: staged.oid, size: staged.size, uploaded_by: actor.userId, created_at: when.toISOString() }));
    const details: UploadDetails = { path: treePath, category: req.category, sha256: staged.oid, size: staged.size, lfs: category.lfs };
    return await withRepoLock(deps.config.dataDir, system.id, async () => {
      // The journal row (issue 12 §3): a commit this process makes but dies before recording is found
      // again by the line its message carries, and recorded at the next start (repositories/recovery.ts).
      await settleRefIntentsOf(deps, system.id);
      const intentId = await insertRefIntent(deps.db, { systemId: system.id, kind: 'upload', actor, details, startedAt: when.toISOString() });
      try {
        const commit = await commitWithRetry(deps, system.id, {
          branch: DEFAULT_BRANCH,
          files: [file],
          message: `${treePath}\n\nUploaded by ${principal.user.fullName} (${principal.user.login}), ${principal.org.nameRu}\nsha256 ${staged.oid}, ${staged.size} bytes\n\n${uploadLine(intentId)}\n`,
          author: { name: principal.user.fullName, email: principal.user.email ?? `${principal.user.login}@qoima.local` },
          when,
        });
        await recordUpload(deps, actor, system.id, details, commit, { intentId });
        return { commit, path: treePath, sha256: staged.oid, size: staged.size, lfs: category.lfs };
      } catch (err) {
        // Nothing committed: the row goes; a commit that landed: recorded now, or at the next start.
        const left = await refIntent(deps.db, intentId).catch(() => undefined);
        if (left) await settleRefIntent(deps, left).catch((e: unknown) => deps.logger.error({ err: e, systemId: system.id }, 'uploads: a commit left unrecorded; recorded at the next start'));
        throw err;
      }
    });
  } finally {
    await staged.discard();
  }
}

/** Receives the body: into the blob store for LFS categories, else into a temp file git will read. */
async function receive(deps: AppDeps, body: Readable, lfs: boolean, expectedOid: string | undefined) {
  try {
    if (lfs) {
      const blob = await deps.blobs.write(body, { expectedOid, maxSize: deps.config.maxObjectBytes });
      return { ...blob, path: undefined, discard: async () => undefined };
    }
    return await deps.blobs.stage(body, { expectedOid, maxSize: deps.config.maxBlobBytes });
  } catch (err) {
    if (!(err instanceof BlobWriteError)) throw err;
    if (err.reason === 'hash_mismatch') throw new InvalidInput('repr_digest_mismatch');
    if (err.reason === 'too_large') throw new TooLarge(lfs ? 'lfs_object_too_large' : 'upload_too_large_for_git', { maxMb: Math.round(deps.config.maxBlobBytes / 1048576) });
    if (err.reason === 'no_space') throw new InsufficientStorage();
    throw err;
  }
}

async function commitWithRetry(deps: AppDeps, systemId: number, request: Parameters<typeof commitFiles>[2]): Promise<string> {
  const gitdir = repoPath(deps.config.dataDir, systemId);
  for (let attempt = 1; ; attempt++) {
    try {
      return (await commitFiles(deps.config.dataDir, gitdir, request)).commit;
    } catch (err) {
      if (err instanceof PathConflict) throw new Conflict('path_conflict', { path: err.path });
      // A push landed between reading the branch and moving it: build again on the new tip.
      if (err instanceof BranchMoved && attempt < 5) continue;
      throw err;
    }
  }
}
