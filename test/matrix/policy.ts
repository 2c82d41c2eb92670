/**
 * The tenant matrix's policy: who may pass each route, written from contract.md ("Who is who", the
 * REST table, "git") and the regulation — never read from the code under test. A route of the route
 * table without a line here fails the matrix, so a new route cannot go untested.
 *
 * The system every system-scoped cell is about is `repository_formed`: owned by one government body,
 * developed by one named developer, with four grants held by four other bodies (active reuse, active
 * recovery, expired, revoked).
 */

export const CALLERS = [
  'anonymous',
  'owner', // body_user of the owner body
  'otherBody', // body_user of an unrelated body
  'granteeReuse', // body_user of a body with an active reuse grant (Rules p.10)
  'granteeRecovery', // … an active recovery grant
  'granteeExpired', // … a grant that has expired
  'granteeRevoked', // … a grant that was revoked
  'developer', // developer_user of the developer the owner named
  'otherDeveloper', // developer_user of another developer
  'archivist',
  'authority', // authority_viewer
  'staff', // operator_staff
  'admin', // operator_admin
  'ownerNoApiScope', // the owner's token without `api` (git:read, git:write only)
  'ownerNoGitScope', // the owner's token with `api` only
  'expiredToken', // the owner's token, expired
  'revokedToken', // the owner's token, revoked
] as const;
export type Caller = (typeof CALLERS)[number];

const OPERATOR: Caller[] = ['staff', 'admin'];
const ADMIN: Caller[] = ['admin'];
/** Every body_user, whatever the body (organisation-wide routes judge the role, not the system). */
const BODY: Caller[] = ['owner', 'otherBody', 'granteeReuse', 'granteeRecovery', 'granteeExpired', 'granteeRevoked', 'ownerNoGitScope'];
/** Signed in with a working API token. */
const SIGNED_IN: Caller[] = [...BODY, 'developer', 'otherDeveloper', 'archivist', 'authority', ...OPERATOR];
/** Who may read the system (contract: own org, grantees, the named developer, operator). */
export const READERS: Caller[] = ['owner', 'ownerNoGitScope', 'granteeReuse', 'granteeRecovery', 'developer', ...OPERATOR];
/** Who may write into it (uploads, push: owner, named developer, operator). */
const WRITERS: Caller[] = ['owner', 'ownerNoGitScope', 'developer', ...OPERATOR];
/** The return and its package: owner, operator (archivists only once it is returned). */
const RETURN_VIEW: Caller[] = ['owner', 'ownerNoGitScope', ...OPERATOR];
const OWNER: Caller[] = ['owner', 'ownerNoGitScope'];
const REPORTS: Caller[] = [...OPERATOR, 'authority'];
const EVERYONE: Caller[] = [...CALLERS];

/** `METHOD path` (as in the route table, under /api/v1) → the callers who pass. */
export const API_POLICY: Record<string, Caller[]> = {
  'GET /me': SIGNED_IN,
  'POST /organizations': OPERATOR,
  'GET /organizations': OPERATOR,
  'POST /users': ADMIN,
  'GET /users': ADMIN,
  'POST /tokens': SIGNED_IN,
  'GET /tokens': SIGNED_IN,
  'DELETE /tokens/:id': SIGNED_IN,
  'GET /calendar/working-days': SIGNED_IN,
  'GET /calendar/overrides': SIGNED_IN,
  'POST /calendar/overrides': ADMIN,
  'DELETE /calendar/overrides/:date': ADMIN,
  'GET /calendar/:year': SIGNED_IN,
  'POST /applications': [...BODY, ...OPERATOR],
  'GET /applications': [...BODY, ...OPERATOR],
  'POST /applications/drafts': [...BODY, ...OPERATOR],
  'GET /applications/:id': [...BODY, ...OPERATOR],
  'PUT /applications/:id': [...BODY, ...OPERATOR],
  'POST /applications/:id/submit': [...BODY, ...OPERATOR],
  'POST /applications/:id/register': OPERATOR,
  'POST /applications/:id/reject': OPERATOR,
  'PUT /applications/:id/portal-reference': OPERATOR,
  'GET /register': OPERATOR,
  'GET /register.csv': OPERATOR,
  'GET /systems': SIGNED_IN,
  'GET /systems/:code': READERS,
  'PUT /systems/:code/files/:category/*path': WRITERS,
  'GET /openapi.json': EVERYONE,
  'POST /systems/:code/repository': OPERATOR,
  'GET /systems/:code/repository': READERS,
  'POST /systems/:code/grants': OPERATOR,
  'GET /systems/:code/grants': OPERATOR,
  'DELETE /systems/:code/grants/:id': OPERATOR,
  'GET /access-grants': BODY,
  'POST /access-requests': BODY,
  'GET /access-requests': [...BODY, ...OPERATOR],
  'POST /access-requests/:id/grant': OPERATOR,
  'POST /access-requests/:id/refuse': OPERATOR,
  'GET /catalogue': [...BODY, ...OPERATOR],
  'GET /notifications': SIGNED_IN,
  'POST /notifications/read-all': SIGNED_IN,
  'POST /notifications/:id/read': SIGNED_IN,
  'GET /systems/:code/inventory': READERS,
  'POST /systems/:code/deposits': OPERATOR,
  'GET /systems/:code/deposits': READERS,
  'GET /systems/:code/deposits/diff': READERS,
  'GET /systems/:code/deposits/:version': READERS,
  'GET /systems/:code/deposits/:version/act.pdf': READERS,
  'GET /systems/:code/deposits/:version/act': READERS,
  'POST /systems/:code/decommission': OWNER,
  'GET /systems/:code/return': RETURN_VIEW,
  'POST /systems/:code/return': OPERATOR,
  'GET /systems/:code/return/package.zip': RETURN_VIEW,
  'GET /systems/:code/return/package.tar': RETURN_VIEW,
  'POST /systems/:code/archive-transfer': OWNER, // archivists too, but only once the system is returned
  'POST /systems/:code/purge': ADMIN,
  'GET /returns': [...BODY, 'archivist', ...OPERATOR],
  'GET /reports': REPORTS,
  'POST /reports': ADMIN,
  'GET /reports/stored/:id': REPORTS,
  'POST /reports/stored/:id/send': ADMIN,
  'GET /reports/:period': REPORTS,
};

/** git smart HTTP and Git LFS (routes listed explicitly: they are not in the API table). */
export interface GitCase {
  name: string;
  method: 'GET' | 'POST';
  /** Path after `/git/<code>.git`. */
  suffix: string;
  body?: string;
  contentType?: string;
  allowed: Caller[];
}
const oid = 'a'.repeat(64);
const GIT_TOKEN_READ: Caller[] = READERS.filter((c) => c !== 'ownerNoGitScope').concat('ownerNoApiScope');
const GIT_TOKEN_WRITE: Caller[] = WRITERS.filter((c) => c !== 'ownerNoGitScope').concat('ownerNoApiScope');
export const GIT_CASES: GitCase[] = [
  { name: 'info/refs upload-pack', method: 'GET', suffix: '/info/refs?service=git-upload-pack', allowed: GIT_TOKEN_READ },
  { name: 'info/refs receive-pack', method: 'GET', suffix: '/info/refs?service=git-receive-pack', allowed: GIT_TOKEN_WRITE },
  { name: 'git-upload-pack', method: 'POST', suffix: '/git-upload-pack', body: '0000', contentType: 'application/x-git-upload-pack-request', allowed: GIT_TOKEN_READ },
  { name: 'git-receive-pack', method: 'POST', suffix: '/git-receive-pack', body: '0000', contentType: 'application/x-git-receive-pack-request', allowed: GIT_TOKEN_WRITE },
  { name: 'LFS batch download', method: 'POST', suffix: '/info/lfs/objects/batch', body: JSON.stringify({ operation: 'download', transfers: ['basic'], objects: [{ oid, size: 1 }] }), contentType: 'application/vnd.git-lfs+json', allowed: GIT_TOKEN_READ },
  { name: 'LFS batch upload', method: 'POST', suffix: '/info/lfs/objects/batch', body: JSON.stringify({ operation: 'upload', transfers: ['basic'], objects: [{ oid, size: 1 }] }), contentType: 'application/vnd.git-lfs+json', allowed: GIT_TOKEN_WRITE },
];

/** Callers who may see the system at all: a denial for anyone else must look exactly like a missing system. */
export const SEES_SYSTEM: Caller[] = [...READERS, 'ownerNoApiScope', 'expiredToken', 'revokedToken'];

/**
 * Cells that fail because of a bug in a module still being finished by its owner (listed in the
 * issue's report). Each line is asserted to *still fail*: once fixed, it must be removed from here.
 */
export const KNOWN_FAILING: string[] = [
  // A cell listed here documents a bug still open; none is open now.
];

/** UI callers: a browser session each (the token-only variants have no UI counterpart). */
export const UI_CALLERS: Caller[] = CALLERS.filter((c) => !['ownerNoApiScope', 'ownerNoGitScope', 'expiredToken', 'revokedToken'].includes(c));

/** UI pages (GET): path → the callers who may open them. Every page of the route table must have a line. */
export const UI_PAGES: Record<string, Caller[]> = {
  '/healthz': EVERYONE,
  '/api': EVERYONE,
  '/login': EVERYONE,
  '/metrics': OPERATOR,
  '/': SIGNED_IN,
  '/calendar': SIGNED_IN,
  '/tokens': SIGNED_IN,
  '/admin/organizations': ADMIN,
  '/admin/users': ADMIN,
  '/admin/users/:id': ADMIN,
  '/applications': [...BODY, ...OPERATOR],
  '/applications/new': [...BODY, ...OPERATOR],
  '/applications/:id': [...BODY, ...OPERATOR],
  '/applications/:id/edit': [...BODY, ...OPERATOR],
  '/applications/:id/print': [...BODY, ...OPERATOR],
  '/register': OPERATOR,
  '/register.csv': OPERATOR,
  '/systems': SIGNED_IN,
  '/systems/:code': READERS,
  '/systems/:code/upload': WRITERS,
  '/repositories': SIGNED_IN,
  '/systems/:code/repository': READERS,
  '/systems/:code/repository/commits': READERS,
  '/systems/:code/repository/blob': READERS,
  '/systems/:code/repository/raw': READERS,
  '/systems/:code/access': OPERATOR,
  '/catalogue': [...BODY, ...OPERATOR],
  '/access-requests': [...BODY, ...OPERATOR],
  '/access-requests/new': BODY,
  '/notifications': SIGNED_IN,
  '/deposits': SIGNED_IN,
  '/systems/:code/inventory': READERS,
  '/systems/:code/deposits': READERS,
  '/systems/:code/deposits/:version': READERS,
  '/systems/:code/deposits/:version/act.pdf': READERS,
  '/systems/:code/deposits/:version/act': READERS,
  '/returns': [...BODY, 'archivist', ...OPERATOR],
  '/systems/:code/return': RETURN_VIEW,
  '/systems/:code/return/package.zip': RETURN_VIEW,
  '/systems/:code/return/package.tar': RETURN_VIEW,
  '/reports': REPORTS,
  '/reports/stored/:id': REPORTS,
  '/reports/:period': REPORTS,
  // integrity (issue 12): fixity runs and findings — operator staff only
  '/fixity': OPERATOR,
};

/** UI forms (POST) that need no session and no CSRF token of a signed-in page: only the login form. */
export const UI_FORMS_WITHOUT_SESSION = ['/login'];
