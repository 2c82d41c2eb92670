import type { Knex } from 'knex';
import type { Principal } from '../accounts/service.js';
import type { ReadScope } from '../systems/policy.js';

/** The time a principal's rights are judged at: when it was authenticated (deps.clock), else now. */
export const principalNow = (principal: Principal): string => principal.now ?? new Date().toISOString();

/**
 * Rules p.10: the users of an organisation holding an active grant on a system may read it — clone
 * and fetch it (git, LFS), browse and download it; never write (this is a read scope only). Active:
 * not revoked and not expired at the request's time, so revoking or expiry stops it at the next
 * request. Registered in systems/policy.ts `readScopes`.
 */
export const activeGrantScope: ReadScope = (where, principal, alias) => {
  const now = principalNow(principal);
  where.orWhereExists((sub) =>
    sub
      .select('ag.id')
      .from('access_grants as ag')
      .whereRaw('?? = ??', ['ag.system_id', `${alias}.id`])
      .where('ag.org_id', principal.org.id)
      .whereNull('ag.revoked_at')
      .where((e: Knex.QueryBuilder) => e.whereNull('ag.expires_at').orWhere('ag.expires_at', '>', now)),
  );
};
