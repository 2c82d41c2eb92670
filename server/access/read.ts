import type { z } from 'zod';
import { isOperatorRole } from '../accounts/roles.js';
import type { Principal } from '../accounts/service.js';
import type { ServiceDeps } from '../deps.js';
import { findSystemFor } from '../systems/queries.js';
import { SystemNotFound } from '../systems/errors.js';
import * as q from './queries.js';
import { principalNow } from './scope.js';
import type { AccessRequestOut, CatalogueItemOut, GrantOut, Purpose } from './schemas.js';

export type Grant = z.infer<typeof GrantOut>;
export type AccessRequest = z.infer<typeof AccessRequestOut>;
export type CatalogueItem = z.infer<typeof CatalogueItemOut>;

export function grantState(r: Pick<q.GrantRow, 'revoked_at' | 'expires_at'>, now: string): Grant['state'] {
  if (r.revoked_at) return 'revoked';
  return r.expires_at && r.expires_at <= now ? 'expired' : 'active';
}

export function toGrant(r: q.GrantJoined, now: string): Grant {
  return {
    id: r.id,
    system: { code: r.system_code, nameKk: r.system_name_kk, nameRu: r.system_name_ru },
    organization: { bin: r.org_bin, nameKk: r.org_name_kk, nameRu: r.org_name_ru },
    purpose: r.purpose as Purpose,
    basis: r.basis,
    expiresAt: r.expires_at,
    version: r.version,
    requestId: r.request_id,
    grantedAt: r.granted_at,
    grantedBy: r.granted_by_login,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by_login,
    revokeReason: r.revoke_reason,
    state: grantState(r, now),
  };
}

export function toRequest(r: q.RequestJoined): AccessRequest {
  return {
    id: r.id,
    system: { code: r.system_code, nameKk: r.system_name_kk, nameRu: r.system_name_ru },
    organization: { bin: r.org_bin, nameKk: r.org_name_kk, nameRu: r.org_name_ru },
    requestedBy: { login: r.user_login, fullName: r.user_full_name },
    purpose: r.purpose as Purpose,
    basis: r.basis,
    status: r.status,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
    refuseReason: r.refuse_reason,
    grantId: r.grant_id,
  };
}

/** Every grant of a system, newest first (operator staff: the system is looked up for `operate`). */
export async function listGrants(deps: ServiceDeps, principal: Principal, code: string): Promise<Grant[]> {
  const system = await findSystemFor(deps.db, principal, code, 'operate');
  if (!system) throw new SystemNotFound();
  const now = deps.clock().toISOString();
  return (await q.grantsOfSystem(deps.db, system.id)).map((g) => toGrant(g, now));
}

/** The active grants the caller's organisation holds. */
export async function myGrants(deps: ServiceDeps, principal: Principal): Promise<Grant[]> {
  const now = deps.clock().toISOString();
  return (await q.activeGrantsOfOrg(deps.db, principal.org.id, now)).map((g) => toGrant(g, now));
}

/** Access requests: operator staff see all; a body's users their organisation's. */
export async function listRequests(deps: ServiceDeps, principal: Principal, filter: { status?: q.RequestRow['status'] } = {}): Promise<AccessRequest[]> {
  const orgId = isOperatorRole(principal.roles[0]) ? undefined : principal.org.id;
  return (await q.listRequests(deps.db, { ...filter, orgId })).map(toRequest);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

/**
 * The catalogue of accepted systems for reuse (issue 7 §2): what the Annex 1 form says of each —
 * name, owner, annotation, programming language, version, release year — and never its contents
 * (those need a grant). `search` matches code, names, owner, annotation and language.
 */
export async function catalogue(deps: ServiceDeps, principal: Principal, search?: string): Promise<CatalogueItem[]> {
  const rows = await q.catalogueRows(deps.db);
  const operator = isOperatorRole(principal.roles[0]);
  const now = principalNow(principal);
  const granted = new Set((await q.activeGrantsOfOrg(deps.db, principal.org.id, now)).map((g) => g.system_id));
  const requested = await q.pendingRequestSystems(deps.db, principal.org.id);
  const needle = search?.trim().toLowerCase();
  const items: CatalogueItem[] = [];
  for (const r of rows) {
    const form = r.form ? (JSON.parse(r.form) as Record<string, unknown>) : {};
    const item: CatalogueItem = {
      code: r.code,
      nameKk: r.name_kk,
      nameRu: r.name_ru,
      owner: { bin: r.owner_bin, nameKk: r.owner_name_kk, nameRu: r.owner_name_ru },
      annotation: str(form.annotation),
      programmingLanguage: str(form.programmingLanguage),
      version: str(form.version),
      releaseYear: typeof form.releaseYear === 'number' ? form.releaseYear : null,
      access: operator ? 'operator' : r.owner_org_id === principal.org.id ? 'owner' : granted.has(r.id) ? 'granted' : requested.has(r.id) ? 'requested' : 'none',
    };
    if (needle) {
      const hay = [item.code, item.nameKk, item.nameRu, item.owner.nameKk, item.owner.nameRu, item.owner.bin, item.annotation, item.programmingLanguage].join('\n').toLowerCase();
      if (!hay.includes(needle)) continue;
    }
    items.push(item);
  }
  return items;
}
