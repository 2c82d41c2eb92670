import { isOperatorRole } from '../accounts/roles.js';
import type { Principal } from '../accounts/service.js';
import { recordAudit } from '../audit/service.js';
import type { ServiceDeps } from '../deps.js';
import * as q from './queries.js';
import { principalNow } from './scope.js';

/**
 * The use of a grant (issue 7 §1): each clone/fetch or download by a grantee is an audit event —
 * who (the actor), when, what (the system, how, which object or path). Called by the git, LFS and
 * repository-browser routes where the principal and the system are known; a caller that reads the
 * system as owner, developer or operator is not a grantee and records nothing here.
 */
export interface GrantUse {
  /** git-fetch: a clone or fetch (one per ref advertisement); lfs-download; web-download. */
  via: 'git-fetch' | 'lfs-download' | 'web-download';
  oid?: string;
  path?: string;
  ref?: string;
}

/** The active grant through which the principal reads the system, or undefined when it reads otherwise. */
async function grantInUse(deps: ServiceDeps, principal: Principal, systemId: number): Promise<q.GrantRow | undefined> {
  if (isOperatorRole(principal.roles[0])) return undefined;
  return q.activeGrant(deps.db, principal.org.id, systemId, principalNow(principal));
}

async function audit(deps: ServiceDeps, principal: Principal, ip: string | null, grant: q.GrantRow, use: GrantUse): Promise<void> {
  const actor = { userId: principal.user.id, orgId: principal.org.id, login: principal.user.login, ip };
  await deps.db.transaction((trx) =>
    recordAudit(trx, deps.clock, actor, { action: 'access.used', subjectType: 'system', subjectId: grant.system_id, details: { grantId: grant.id, purpose: grant.purpose, ...use } }),
  );
}

/** Records a grantee's download (LFS object, a file from the repository browser). */
export async function noteGrantUse(deps: ServiceDeps, principal: Principal, ip: string | null, systemId: number, use: GrantUse): Promise<void> {
  const grant = await grantInUse(deps, principal, systemId);
  if (grant) await audit(deps, principal, ip, grant, use);
}

/**
 * The deposit version a grantee may read when its grant names one (Rules p.10: access for reuse or
 * recovery; issue 7 §1), or null when the principal reads the whole system (owner, developer,
 * operator, archivist, or a grant of all versions).
 * Git serves only the tag `deposit/vN` (grantGitAccess); the browser and the deposits API narrow to
 * the same version through this.
 */
export async function grantedVersion(deps: ServiceDeps, principal: Principal, systemId: number): Promise<number | null> {
  return (await grantInUse(deps, principal, systemId))?.version ?? null;
}

/**
 * What git upload-pack needs for a grantee: the use recorded (on the ref advertisement, once per
 * clone or fetch), and for a grant restricted to one deposit version, settings that advertise only
 * the tag `deposit/vN` and refuse any object not reachable from it. Such a fetch must speak protocol
 * v0 (`v0: true`): v2's fetch command serves any object asked for by id, advertised or not.
 */
export async function grantGitAccess(deps: ServiceDeps, principal: Principal, ip: string | null, systemId: number, opts: { record: boolean }): Promise<{ config: string[]; v0: boolean } | null> {
  const grant = await grantInUse(deps, principal, systemId);
  if (!grant) return null;
  if (opts.record) await audit(deps, principal, ip, grant, { via: 'git-fetch' });
  if (grant.version === null) return { config: [], v0: false };
  return { config: versionOnlyConfig(grant.version), v0: true };
}

/** `git -c` settings for upload-pack that expose one deposit version only (gitconfig(1) uploadpack.*). */
export function versionOnlyConfig(version: number): string[] {
  return [
    'uploadpack.hideRefs=refs/',
    'uploadpack.hideRefs=HEAD',
    `uploadpack.hideRefs=!refs/tags/deposit/v${version}`,
    'uploadpack.allowTipSHA1InWant=false',
    'uploadpack.allowReachableSHA1InWant=false',
    'uploadpack.allowAnySHA1InWant=false',
  ];
}
