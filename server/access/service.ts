import type { Trx } from '../../storage/db.js';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import type { Actor } from '../deps.js';
import { Forbidden } from '../errors.js';
import { resolveCommit } from '../git/browse.js';
import { enqueue } from '../notify/service.js';
import { OPERATOR_STAFF } from '../notify/kinds.js';
import { hasRepository, type RepoDeps } from '../repositories/service.js';
import { SystemNotFound } from '../systems/errors.js';
import { findSystemFor, systemByCode, type SystemRow } from '../systems/queries.js';
import { parseInput } from '../util/validate.js';
import { repoPath } from '../../storage/repos.js';
import { AccessConflict, AccessInvalidState, AccessNotFound, accessFieldError } from './errors.js';
import * as q from './queries.js';
import { toGrant, toRequest, type AccessRequest, type Grant } from './read.js';
import { AccessRequestCreate, GrantCreate, RequestGrantInput, RequestRefuseInput, RevokeInput, type Purpose } from './schemas.js';

/**
 * Rules p.10: the operator grants a government body read access to a system's repository and its
 * accepted deposits, for reuse or for recovery after a loss, **notifying the authorized body**.
 * Grants are revocable and may expire; bodies ask for them through requests the operator decides.
 */

/** The end of an expiry: a calendar day is valid through its end in Kazakhstan (UTC+5). */
export function expiryInstant(value: string | null | undefined): string | null {
  if (!value) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(Date.parse(`${value}T00:00:00+05:00`) + 86_400_000).toISOString();
  return new Date(value).toISOString();
}

interface GrantTerms {
  orgBin: string;
  purpose: Purpose;
  basis: string;
  expiresAt: string | null;
  version: number | null;
  requestId: number | null;
}

/** Checks what can be checked before the transaction: expiry in the future, the version's tag exists. */
async function checkTerms(deps: RepoDeps, system: SystemRow, expiresAt: string | null, version: number | null): Promise<void> {
  if (expiresAt && expiresAt <= deps.clock().toISOString()) throw accessFieldError('expiresAt', 'expiry_in_past');
  if (version !== null && hasRepository(system.status)) {
    // An accepted deposit version is the tag deposit/vN (server/deposits, Rules p.9).
    const tagged = await resolveCommit(deps.config.dataDir, repoPath(deps.config.dataDir, system.id), `refs/tags/deposit/v${version}`);
    if (!tagged) throw accessFieldError('version', 'version_unknown', { version });
  }
}

/** The grant itself, inside the caller's transaction: checks the grantee, inserts, audits, notifies. */
async function insertGrant(trx: Trx, deps: RepoDeps, actor: Actor, principal: Principal, system: SystemRow, terms: GrantTerms): Promise<Grant> {
  const org = await q.orgByBin(trx, terms.orgBin);
  if (!org) throw accessFieldError('organization', 'organization_unknown', { bin: terms.orgBin });
  // Access is for reuse or recovery by a government body; the owner has it already, as owner.
  if (org.kind !== 'government_body') throw accessFieldError('organization', 'grantee_not_body');
  if (Number(org.id) === system.owner_org_id) throw accessFieldError('organization', 'grantee_is_owner');
  if (!hasRepository(system.status)) throw new AccessInvalidState('system_without_repository', { code: system.code });
  await q.lockSystem(trx, system.id);
  const now = deps.clock().toISOString();
  if (await q.activeGrant(trx, Number(org.id), system.id, now)) throw new AccessConflict('grant_exists', { bin: org.bin, code: system.code });
  const id = await q.insertGrant(trx, {
    system_id: system.id,
    org_id: Number(org.id),
    purpose: terms.purpose,
    basis: terms.basis,
    expires_at: terms.expiresAt,
    version: terms.version,
    request_id: terms.requestId,
    granted_by: principal.user.id,
    granted_at: now,
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
  });
  const details = { grantId: id, code: system.code, organization: org.bin, purpose: terms.purpose, basis: terms.basis, expiresAt: terms.expiresAt, version: terms.version, requestId: terms.requestId };
  await recordAudit(trx, deps.clock, actor, { action: 'access.granted', subjectType: 'system', subjectId: system.id, details });
  const grant = toGrant((await q.grantById(trx, id))!, now);
  const params = {
    grantId: id,
    code: system.code,
    nameKk: system.name_kk,
    nameRu: system.name_ru,
    purpose: terms.purpose,
    basis: terms.basis,
    expiresAt: terms.expiresAt,
    version: terms.version,
    granteeBin: org.bin,
    granteeKk: org.name_kk,
    granteeRu: org.name_ru,
    grantedAt: now,
    grantedBy: principal.user.fullName,
  };
  await enqueue(trx, deps.clock, { kind: 'grant_given', to: [{ orgId: Number(org.id) }], params, link: `/systems/${system.code}` });
  // Rules p.10: the authorized body is notified of every grant.
  const owner = (await q.orgById(trx, system.owner_org_id))!;
  await enqueue(trx, deps.clock, { kind: 'grant_notice', to: [{ roles: ['authority_viewer'] }], params: { ...params, ownerBin: owner.bin, ownerKk: owner.name_kk, ownerRu: owner.name_ru } });
  return grant;
}

async function systemToOperate(deps: RepoDeps, principal: Principal, code: string, trx?: Trx): Promise<SystemRow> {
  const system = await findSystemFor(trx ?? deps.db, principal, code, 'operate');
  if (!system) throw new SystemNotFound();
  return system;
}

/** `POST /systems/:code/grants`: operator staff grant a body read access (Rules p.10). */
export async function grantAccess(deps: RepoDeps, principal: Principal, actor: Actor, code: string, input: unknown): Promise<Grant> {
  const data = parseInput(GrantCreate, input ?? {});
  const expiresAt = expiryInstant(data.expiresAt);
  await checkTerms(deps, await systemToOperate(deps, principal, code), expiresAt, data.version ?? null);
  return deps.db.transaction(async (trx) => {
    const system = await systemToOperate(deps, principal, code, trx);
    return insertGrant(trx, deps, actor, principal, system, { orgBin: data.organization, purpose: data.purpose, basis: data.basis, expiresAt, version: data.version ?? null, requestId: null });
  });
}

/** `DELETE /systems/:code/grants/:id`: the grant stops working at the grantee's next request. */
export async function revokeGrant(deps: RepoDeps, principal: Principal, actor: Actor, code: string, grantId: number, input: unknown): Promise<Grant> {
  const { reason } = parseInput(RevokeInput, input ?? {});
  return deps.db.transaction(async (trx) => {
    const system = await systemToOperate(deps, principal, code, trx);
    const grant = await q.grantById(trx, grantId);
    if (!grant || grant.system_id !== system.id) throw new AccessNotFound('grant_not_found');
    const now = deps.clock().toISOString();
    if (!(await q.markRevoked(trx, grantId, { revoked_at: now, revoked_by: principal.user.id, revoke_reason: reason || null }))) throw new AccessConflict('grant_already_revoked');
    await recordAudit(trx, deps.clock, actor, { action: 'access.revoked', subjectType: 'system', subjectId: system.id, details: { grantId, code: system.code, organization: grant.org_bin, reason: reason || null } });
    const params = { grantId, code: system.code, nameKk: system.name_kk, nameRu: system.name_ru, purpose: grant.purpose, reason: reason ?? '' };
    await enqueue(trx, deps.clock, { kind: 'grant_revoked', to: [{ orgId: grant.org_id }], params, link: '/catalogue' });
    return toGrant((await q.grantById(trx, grantId))!, now);
  });
}

/** `POST /access-requests`: a body's user asks for access to a system of the catalogue. */
export async function requestAccess(deps: RepoDeps, principal: Principal, actor: Actor, input: unknown): Promise<AccessRequest> {
  if (principal.roles[0] !== 'body_user') throw new Forbidden('role_required');
  const data = parseInput(AccessRequestCreate, input ?? {});
  return deps.db.transaction(async (trx) => {
    const known = await systemByCode(trx, data.system);
    // A body has its own system already: there is nothing to ask for.
    if (known && Number(known.owner_org_id) === principal.org.id) throw accessFieldError('system', 'own_system');
    const [row] = await q.catalogueRows(trx, data.system);
    if (!row) throw new AccessNotFound('system_not_in_catalogue');
    const now = deps.clock().toISOString();
    if (await q.activeGrant(trx, principal.org.id, row.id, now)) throw new AccessConflict('grant_exists', { bin: principal.org.bin, code: row.code });
    if (await q.pendingRequest(trx, principal.org.id, row.id)) throw new AccessConflict('request_exists', { code: row.code });
    const id = await q.insertRequest(trx, {
      system_id: row.id,
      org_id: principal.org.id,
      user_id: principal.user.id,
      purpose: data.purpose,
      basis: data.basis,
      status: 'pending',
      created_at: now,
      decided_by: null,
      decided_at: null,
      refuse_reason: null,
      grant_id: null,
    });
    await recordAudit(trx, deps.clock, actor, { action: 'access.requested', subjectType: 'system', subjectId: row.id, details: { requestId: id, code: row.code, organization: principal.org.bin, purpose: data.purpose, basis: data.basis } });
    const params = { requestId: id, code: row.code, nameKk: row.name_kk, nameRu: row.name_ru, purpose: data.purpose, basis: data.basis, requesterBin: principal.org.bin, requesterKk: principal.org.nameKk, requesterRu: principal.org.nameRu };
    await enqueue(trx, deps.clock, { kind: 'access_requested', to: [{ roles: OPERATOR_STAFF }], params, link: '/access-requests' });
    return toRequest((await q.requestById(trx, id))!);
  });
}

async function pendingRequestOf(trx: Trx, id: number): Promise<q.RequestJoined> {
  const request = await q.requestById(trx, id);
  if (!request) throw new AccessNotFound('request_not_found');
  if (request.status !== 'pending') throw new AccessConflict('request_decided', { status: request.status });
  return request;
}

/** The operator grants what a request asks for (its purpose and basis), with an optional expiry and version. */
export async function grantRequest(deps: RepoDeps, principal: Principal, actor: Actor, id: number, input: unknown): Promise<{ request: AccessRequest; grant: Grant }> {
  const data = parseInput(RequestGrantInput, input ?? {});
  const expiresAt = expiryInstant(data.expiresAt);
  const first = await q.requestById(deps.db, id);
  if (!first) throw new AccessNotFound('request_not_found');
  await checkTerms(deps, await systemToOperate(deps, principal, first.system_code), expiresAt, data.version ?? null);
  return deps.db.transaction(async (trx) => {
    const request = await pendingRequestOf(trx, id);
    const system = await systemToOperate(deps, principal, request.system_code, trx);
    const terms = { orgBin: request.org_bin, purpose: request.purpose as Purpose, basis: request.basis, expiresAt, version: data.version ?? null, requestId: id };
    const grant = await insertGrant(trx, deps, actor, principal, system, terms);
    await q.decideRequest(trx, id, { status: 'granted', decided_by: principal.user.id, decided_at: deps.clock().toISOString(), grant_id: grant.id });
    return { request: toRequest((await q.requestById(trx, id))!), grant };
  });
}

/** The operator refuses a request, with a reason the body is told. */
export async function refuseRequest(deps: RepoDeps, principal: Principal, actor: Actor, id: number, input: unknown): Promise<AccessRequest> {
  const { reason } = parseInput(RequestRefuseInput, input ?? {});
  return deps.db.transaction(async (trx) => {
    const request = await pendingRequestOf(trx, id);
    await systemToOperate(deps, principal, request.system_code, trx);
    await q.decideRequest(trx, id, { status: 'refused', decided_by: principal.user.id, decided_at: deps.clock().toISOString(), refuse_reason: reason });
    await recordAudit(trx, deps.clock, actor, { action: 'access.request_refused', subjectType: 'system', subjectId: request.system_id, details: { requestId: id, code: request.system_code, organization: request.org_bin, reason } });
    const params = { requestId: id, code: request.system_code, nameKk: request.system_name_kk, nameRu: request.system_name_ru, purpose: request.purpose, reason };
    await enqueue(trx, deps.clock, { kind: 'access_request_refused', to: [{ orgId: request.org_id }], params, link: '/access-requests' });
    return toRequest((await q.requestById(trx, id))!);
  });
}
