import type { Knex } from 'knex';
import type { Principal } from '../accounts/service.js';
import { isOperatorRole } from '../accounts/roles.js';
import { activeGrantScope } from '../access/scope.js';
import { archivistReadScope } from '../returns/scope.js';

/**
 * Who may do what with a system — the one place that answers it (issue: foundation §5).
 * - read:  see it, clone/fetch it, browse and download it;
 * - write: push and upload deposits (owner's body users; the named developer's users);
 * - operate: operator actions (register, accept, grant, return).
 * A caller who may not see a system gets the same 404 as for a system that does not exist, so the
 * lookups below are *scoped* queries: they never find a row the caller may not see.
 */
export type SystemNeed = 'read' | 'write' | 'operate';

export const SYSTEM_STATUSES = [
  'applied',
  'registered',
  'repository_formed',
  'deposit_received',
  'accepted',
  'decommission_notified',
  'returned',
  'archived',
] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

/**
 * Narrows a query over `systems` (aliased as given) to the rows the principal may use for `need`.
 * Grants (reuse/recovery, rules p.10) and archivists' access to returned systems are added by their
 * modules through `extraReadScopes`.
 */
export function scopeSystems(
  query: Knex.QueryBuilder,
  principal: Principal,
  need: SystemNeed,
  alias = 'systems',
  extraReadScopes: ReadScope[] = readScopes,
): Knex.QueryBuilder {
  const role = principal.roles[0];
  if (isOperatorRole(role)) return query; // operator staff may read and operate on everything
  if (need === 'operate') return query.whereRaw('1 = 0');
  const orgId = principal.org.id;
  if (need === 'write') {
    if (role === 'body_user') return query.where(`${alias}.owner_org_id`, orgId);
    if (role === 'developer_user') return query.where(`${alias}.developer_org_id`, orgId);
    return query.whereRaw('1 = 0');
  }
  return query.where((w) => {
    if (role === 'body_user') w.orWhere(`${alias}.owner_org_id`, orgId);
    if (role === 'developer_user') w.orWhere(`${alias}.developer_org_id`, orgId);
    for (const scope of extraReadScopes) scope(w, principal, alias);
    w.orWhereRaw('1 = 0');
  });
}

/** A further way to read a system (a grant, an archivist's task): adds an OR branch to the scope. */
export type ReadScope = (where: Knex.QueryBuilder, principal: Principal, alias: string) => void;

/** Read scopes registered by later modules (access grants, returns); kept in one list here. */
export const readScopes: ReadScope[] = [
  activeGrantScope, // access/: active grants for reuse or recovery (Rules p.10)
  archivistReadScope, // returns/: archivists read returned and archived systems (Rules p.12)
];
