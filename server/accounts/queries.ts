import type { Db, Trx } from '../../storage/db.js';

export interface OrgRow {
  id: number;
  kind: string;
  bin: string;
  name_kk: string;
  name_ru: string;
  name_en: string | null;
  short_name: string | null;
  address: string | null;
  email: string | null;
  phone: string | null;
  created_at: string;
}

export interface UserRow {
  id: number;
  org_id: number;
  login: string;
  full_name: string;
  role: string;
  password_hash: string | null;
  lang: string | null;
  email: string | null;
  disabled_at: string | null;
  created_at: string;
}

export interface TokenRow {
  id: number;
  user_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  scopes: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

type Q = Db | Trx;

export async function insertReturningId(q: Q, table: string, row: Record<string, unknown>): Promise<number> {
  const [res] = await q(table).insert(row).returning('id');
  return Number(typeof res === 'object' ? (res as { id: number }).id : res);
}

export const countOrganizations = async (q: Q) => Number((await q('organizations').count({ n: '*' }).first())?.n ?? 0);
export const orgById = (q: Q, id: number): Promise<OrgRow | undefined> => q('organizations').where({ id }).first();
export const orgByBin = (q: Q, bin: string): Promise<OrgRow | undefined> => q('organizations').where({ bin }).first();
export const listOrgs = (q: Q, kind?: string): Promise<OrgRow[]> => {
  const query = q('organizations').orderBy('name_ru');
  if (kind) query.where({ kind });
  return query;
};

export const userById = (q: Q, id: number): Promise<UserRow | undefined> => q('users').where({ id }).first();
export const userByLogin = (q: Q, login: string): Promise<UserRow | undefined> =>
  q('users').where({ login: login.toLowerCase() }).first();
export const listUsersOf = (q: Q, orgId?: number): Promise<(UserRow & { org_bin: string; org_name_ru: string })[]> => {
  const query = q('users')
    .join('organizations', 'organizations.id', 'users.org_id')
    .select('users.*', 'organizations.bin as org_bin', 'organizations.name_ru as org_name_ru')
    .orderBy('users.login');
  if (orgId) query.where('users.org_id', orgId);
  return query;
};
export const usersWithRole = (q: Q, roles: string[]): Promise<UserRow[]> =>
  q('users').whereIn('role', roles).whereNull('disabled_at');
export const updateUser = (q: Q, id: number, patch: Partial<UserRow>) => q('users').where({ id }).update(patch);

export const tokenByHash = (q: Q, hash: string): Promise<TokenRow | undefined> => q('tokens').where({ token_hash: hash }).first();
export const tokenById = (q: Q, id: number): Promise<TokenRow | undefined> => q('tokens').where({ id }).first();
export const tokensOf = (q: Q, userId: number): Promise<TokenRow[]> => q('tokens').where({ user_id: userId }).orderBy('id', 'desc');
export const updateToken = (q: Q, id: number, patch: Partial<TokenRow>) => q('tokens').where({ id }).update(patch);

export const insertSession = (q: Q, row: { id_hash: string; user_id: number; created_at: string; expires_at: string; last_seen_at: string }) =>
  q('sessions').insert(row);
export const sessionByHash = (q: Q, hash: string) =>
  q('sessions').where({ id_hash: hash }).first() as Promise<{ id_hash: string; user_id: number; expires_at: string; last_seen_at: string } | undefined>;
export const deleteSession = (q: Q, hash: string) => q('sessions').where({ id_hash: hash }).delete();
export const touchSession = (q: Q, hash: string, lastSeen: string, expires: string) =>
  q('sessions').where({ id_hash: hash }).update({ last_seen_at: lastSeen, expires_at: expires });
export const deleteExpiredSessions = (q: Q, now: string) => q('sessions').where('expires_at', '<', now).delete();
