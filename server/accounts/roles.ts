export const ORG_KINDS = ['operator', 'government_body', 'developer', 'authorized_body', 'archive'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export const ROLES = [
  'operator_admin',
  'operator_staff',
  'body_user',
  'developer_user',
  'authority_viewer',
  'archivist',
] as const;
export type Role = (typeof ROLES)[number];

/** Which organisation kind each role belongs to (contract.md, "Who is who"). */
export const ROLE_ORG_KIND: Record<Role, OrgKind> = {
  operator_admin: 'operator',
  operator_staff: 'operator',
  body_user: 'government_body',
  developer_user: 'developer',
  authority_viewer: 'authorized_body',
  archivist: 'archive',
};

export const SCOPES = ['api', 'git:read', 'git:write'] as const;
export type Scope = (typeof SCOPES)[number];

export function isOperatorRole(role: Role): boolean {
  return role === 'operator_admin' || role === 'operator_staff';
}
