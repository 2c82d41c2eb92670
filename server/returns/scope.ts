import type { Knex } from 'knex';
import type { Principal } from '../accounts/service.js';
import { isOperatorRole } from '../accounts/roles.js';
import type { ReadScope, SystemStatus } from '../systems/policy.js';

/** Systems handed back (Rules p.11) or transferred to the state archive (p.12). */
export const RETURNED: readonly SystemStatus[] = ['returned', 'archived'];

/**
 * Rules p.12: archivists receive what was handed back, to transfer it to the National Archive Fund,
 * so they may read returned and archived systems (registered in systems/policy.ts `readScopes`):
 * the system's page, its accepted versions and acts — the same content as its return package.
 */
export const archivistReadScope: ReadScope = (where, principal, alias) => {
  if (principal.roles[0] === 'archivist') where.orWhereIn(`${alias}.status`, [...RETURNED]);
};

/**
 * Who may see a system's return and download its package (issue 8 §3): the owner's users, archivists
 * (once it is returned) and operator staff — and nobody else: not the developer, not a body that
 * holds only a reuse or recovery grant (whose read scope is for the repository, not for the return).
 * Narrows a query over `systems`; a caller outside it gets the same 404 as for a missing system.
 */
export function scopeReturns(query: Knex.QueryBuilder, principal: Principal, alias = 'systems'): Knex.QueryBuilder {
  const role = principal.roles[0];
  if (isOperatorRole(role)) return query;
  if (role === 'body_user') return query.where(`${alias}.owner_org_id`, principal.org.id);
  if (role === 'archivist') return query.whereIn(`${alias}.status`, [...RETURNED]);
  return query.whereRaw('1 = 0');
}

/** Rules p.11: only the owner's users send the notice. */
export function scopeOwned(query: Knex.QueryBuilder, principal: Principal, alias = 'systems'): Knex.QueryBuilder {
  return principal.roles[0] === 'body_user' ? query.where(`${alias}.owner_org_id`, principal.org.id) : query.whereRaw('1 = 0');
}

/** Rules p.12: the transfer is recorded by an archivist (of a returned system) or by the owner's users. */
export function scopeTransfer(query: Knex.QueryBuilder, principal: Principal, alias = 'systems'): Knex.QueryBuilder {
  const role = principal.roles[0];
  if (role === 'archivist') return query.whereIn(`${alias}.status`, [...RETURNED]);
  return scopeOwned(query, principal, alias);
}
