import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import type { Actor, AppDeps } from '../deps.js';
import { Conflict, Forbidden, InsufficientStorage, NotFound, TooLarge, Unprocessable } from '../errors.js';
import { findSystemFor, type SystemRow } from '../systems/queries.js';
import { parseInput } from '../util/validate.js';
import { BlobWriteError, OID } from '../../storage/blobs.js';
import { ACTION_TTL_MS, signAction } from './action-token.js';
import { insertObject, objectOfSystem, objectsOfSystem, objectsOfVersion } from './queries.js';
import { grantedVersion } from '../access/use.js';

/** Systems whose deposit was handed back take no more objects (rules p.11: returned = read-only). */
const CLOSED: SystemRow['status'][] = ['returned', 'archived'];

export const BatchRequest = z.object({
  operation: z.enum(['download', 'upload']),
  transfers: z.array(z.string()).optional(),
  ref: z.object({ name: z.string() }).passthrough().optional(),
  objects: z.array(z.object({ oid: z.string(), size: z.number().int() }).passthrough()).max(10_000),
  hash_algo: z.string().optional(),
});

interface Action {
  href: string;
  header: Record<string, string>;
  expires_in: number;
}

export interface BatchObject {
  oid: string;
  size: number;
  authenticated?: boolean;
  actions?: Partial<Record<'upload' | 'download' | 'verify', Action>>;
  error?: { code: number; message: string };
}

/**
 * The system of a git/LFS request for the operation, as the caller may use it: another tenant's
 * system is NotFound (the same as a missing one); a readable system the caller may not write is
 * Forbidden (rules: only the owner and its named developer deposit).
 */
export async function systemForLfs(deps: AppDeps, principal: Principal, code: string, op: 'read' | 'write'): Promise<SystemRow> {
  const readable = await findSystemFor(deps.db, principal, code, 'read');
  if (!readable) throw new NotFound();
  if (op === 'read') {
    if (!principal.scopes.includes('git:read') && !principal.scopes.includes('git:write')) throw new Forbidden('token_scope_missing', { scope: 'git:read' });
    return readable;
  }
  if (!principal.scopes.includes('git:write')) throw new Forbidden('token_scope_missing', { scope: 'git:write' });
  const writable = await findSystemFor(deps.db, principal, code, 'write');
  if (!writable) throw new Forbidden('read_only_access');
  if (CLOSED.includes(writable.status)) throw new Forbidden('system_returned');
  return writable;
}

/** The Git LFS batch API (basic transfer adapter). `href(oid)` is the object's URL on this server. */
export async function batch(
  deps: AppDeps,
  principal: Principal,
  code: string,
  input: unknown,
  href: (oid: string, op: 'object' | 'verify') => string,
  messages: { missing: string; invalid: string; tooLarge: string },
): Promise<{ transfer: 'basic'; objects: BatchObject[]; hash_algo: 'sha256' }> {
  const req = parseInput(BatchRequest, input);
  if (req.hash_algo && req.hash_algo !== 'sha256') throw new Conflict('lfs_hash_algo_unsupported', { algo: req.hash_algo });
  const system = await systemForLfs(deps, principal, code, req.operation === 'upload' ? 'write' : 'read');
  const valid = req.objects.filter((o) => OID.test(o.oid) && o.size >= 0);
  const oids = [...new Set(valid.map((o) => o.oid))];
  const held = req.operation === 'download' ? await downloadable(deps, principal, system.id, oids) : await objectsOfSystem(deps.db, system.id, oids);
  const exp = deps.clock().getTime() + ACTION_TTL_MS;
  const action = (oid: string, op: 'upload' | 'download' | 'verify'): Action => ({
    href: href(oid, op === 'verify' ? 'verify' : 'object'),
    header: { Authorization: `Bearer ${signAction(deps.config.secret, { tokenId: principal.tokenId ?? 0, systemId: system.id, oid, op, exp })}` },
    expires_in: Math.floor(ACTION_TTL_MS / 1000),
  });
  const objects = req.objects.map((o): BatchObject => {
    if (!OID.test(o.oid) || o.size < 0) return { oid: o.oid, size: o.size, error: { code: 422, message: messages.invalid } };
    if (req.operation === 'download') {
      const size = held.get(o.oid);
      if (size === undefined) return { oid: o.oid, size: o.size, error: { code: 404, message: messages.missing } };
      return { oid: o.oid, size, authenticated: true, actions: { download: action(o.oid, 'download') } };
    }
    if (o.size > deps.config.maxObjectBytes) return { oid: o.oid, size: o.size, error: { code: 413, message: messages.tooLarge } };
    if (held.get(o.oid) === o.size) return { oid: o.oid, size: o.size, authenticated: true }; // already here: nothing to send
    return { oid: o.oid, size: o.size, authenticated: true, actions: { upload: action(o.oid, 'upload'), verify: action(o.oid, 'verify') } };
  });
  return { transfer: 'basic', objects, hash_algo: 'sha256' };
}

/**
 * Stores one uploaded object for a system: streamed into the blob store (hash checked while it
 * arrives), then recorded for the system in one transaction with its audit event. A mismatch, an
 * abort or a full disk leaves no blob and no row.
 */
export async function storeObject(deps: AppDeps, actor: Actor, system: SystemRow, oid: string, size: number, body: Readable): Promise<{ created: boolean }> {
  if (!OID.test(oid)) throw new Unprocessable('lfs_oid_invalid');
  if (size > deps.config.maxObjectBytes) throw new TooLarge('lfs_object_too_large');
  if ((await objectOfSystem(deps.db, system.id, oid)) === size && (await deps.blobs.size(oid)) === size) {
    body.resume(); // the system already holds it: read and drop the body
    return { created: false };
  }
  try {
    await deps.blobs.write(body, { expectedOid: oid, expectedSize: size, maxSize: deps.config.maxObjectBytes });
  } catch (err) {
    if (err instanceof BlobWriteError) {
      if (err.reason === 'no_space') throw new InsufficientStorage();
      if (err.reason === 'too_large') throw new TooLarge('lfs_object_too_large');
      if (err.reason === 'aborted') throw err;
      throw new Unprocessable(err.reason === 'size_mismatch' ? 'lfs_size_mismatch' : 'lfs_hash_mismatch');
    }
    throw err;
  }
  await deps.db.transaction(async (trx) => {
    await insertObject(trx, { system_id: system.id, oid, size, uploaded_by: actor.userId, created_at: deps.clock().toISOString() });
    await recordAudit(trx, deps.clock, actor, { action: 'lfs.object_stored', subjectType: 'system', subjectId: system.id, details: { oid, size } });
  });
  return { created: true };
}

/** The size of an object the system holds and the store has; NotFound otherwise. */
export async function objectForDownload(deps: AppDeps, principal: Principal, system: SystemRow, oid: string): Promise<number> {
  if (!OID.test(oid)) throw new NotFound('lfs_object_missing');
  const size = (await downloadable(deps, principal, system.id, [oid])).get(oid);
  if (size === undefined || (await deps.blobs.size(oid)) !== size) throw new NotFound('lfs_object_missing');
  return size;
}

/**
 * Of `oids`, the objects the principal may download, with their sizes: every one the system holds,
 * or for a grantee limited to one deposit version (Rules p.10; issue 7 §1), the LFS files of that version only —
 * any other is missing to it, as in its git clone, which advertises that version's tag alone.
 */
async function downloadable(deps: AppDeps, principal: Principal, systemId: number, oids: string[]): Promise<Map<string, number>> {
  const held = await objectsOfSystem(deps.db, systemId, oids);
  const version = await grantedVersion(deps, principal, systemId);
  if (version === null) return held;
  const inVersion = await objectsOfVersion(deps.db, systemId, version, [...held.keys()]);
  return new Map([...held].filter(([oid]) => inVersion.has(oid)));
}

/** The verify action: the system holds the object with exactly that size. */
export async function verifyObject(deps: AppDeps, system: SystemRow, input: unknown): Promise<void> {
  const { oid, size } = parseInput(z.object({ oid: z.string(), size: z.number().int().min(0) }).passthrough(), input);
  const held = OID.test(oid) ? await objectOfSystem(deps.db, system.id, oid) : null;
  if (held === null) throw new NotFound('lfs_object_missing');
  if (held !== size) throw new Unprocessable('lfs_size_mismatch');
}
