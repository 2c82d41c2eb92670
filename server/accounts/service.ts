import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { recordAudit } from '../audit/service.js';
import type { Actor, ServiceDeps } from '../deps.js';
import { Conflict, InvalidInput, InvalidState, NotFound, Unauthenticated } from '../errors.js';
import { parseInput } from '../util/validate.js';
import * as q from './queries.js';
import { ROLE_ORG_KIND, type OrgKind, type Role, type Scope } from './roles.js';
import { OrganizationCreate, TokenCreate, UserCreate, type OrganizationOut, type TokenOut, type UserOut } from './schemas.js';
import { burnPasswordTime, hashPassword, newSessionId, newToken, passwordWeakness, tokenHash, verifyPassword } from './secrets.js';

export type Organization = z.infer<typeof OrganizationOut>;
export type User = z.infer<typeof UserOut>;
export type Token = z.infer<typeof TokenOut>;

/** Who is calling: the user, their organisation, their roles, and what the credential allows. */
export interface Principal {
  user: { id: number; login: string; fullName: string; role: Role; lang: string | null; email: string | null };
  org: { id: number; kind: OrgKind; bin: string; nameKk: string; nameRu: string };
  roles: Role[];
  /** A session (the UI) may do all its roles allow; a token only what its scopes allow. */
  via: 'session' | 'token';
  scopes: Scope[];
  tokenId?: number;
  /** When the caller was authenticated (deps.clock, ISO): time-bound rights such as access grants
   *  (systems/policy.ts read scopes) are compared with it, so a fixed test clock governs them too. */
  now?: string;
}

export const SESSION_HOURS = 12;

export const toOrganization = (r: q.OrgRow): Organization => ({
  id: Number(r.id),
  kind: r.kind as OrgKind,
  bin: r.bin,
  nameKk: r.name_kk,
  nameRu: r.name_ru,
  nameEn: r.name_en,
  shortName: r.short_name,
  address: r.address,
  email: r.email,
  phone: r.phone,
  createdAt: r.created_at,
});

const toToken = (r: q.TokenRow): Token => ({
  id: Number(r.id),
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes.split(' ') as Scope[],
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  createdAt: r.created_at,
});

export async function createOrganization(deps: ServiceDeps, actor: Actor, input: unknown): Promise<Organization> {
  const data = parseInput(OrganizationCreate, input);
  return deps.db.transaction(async (trx) => {
    if (await q.orgByBin(trx, data.bin)) throw new Conflict('organization_exists', { bin: data.bin });
    const row = {
      kind: data.kind,
      bin: data.bin,
      name_kk: data.nameKk,
      name_ru: data.nameRu,
      name_en: data.nameEn ?? null,
      short_name: data.shortName ?? null,
      address: data.address ?? null,
      email: data.email ?? null,
      phone: data.phone ?? null,
      created_at: deps.clock().toISOString(),
    };
    const id = await q.insertReturningId(trx, 'organizations', row);
    await recordAudit(trx, deps.clock, actor, { action: 'organization.created', subjectType: 'organization', subjectId: id, details: { kind: data.kind, bin: data.bin } });
    return toOrganization({ id, ...row });
  });
}

export async function listOrganizations(deps: ServiceDeps, kind?: OrgKind): Promise<Organization[]> {
  return (await q.listOrgs(deps.db, kind)).map(toOrganization);
}

export async function findOrganization(deps: ServiceDeps, bin: string): Promise<Organization | null> {
  const row = await q.orgByBin(deps.db, bin);
  return row ? toOrganization(row) : null;
}

export async function createUser(deps: ServiceDeps, actor: Actor, input: unknown): Promise<User> {
  const data = parseInput(UserCreate, input);
  const weakness = data.password === undefined ? null : passwordWeakness(data.password, data.login);
  if (weakness) throw new InvalidInput('validation_failed', {}, { password: { key: weakness } });
  const passwordHash = data.password === undefined ? null : await hashPassword(data.password);
  return deps.db.transaction(async (trx) => {
    const org = await q.orgByBin(trx, data.organization);
    if (!org) throw new InvalidInput('validation_failed', {}, { organization: { key: 'errors.fields.organization_unknown' } });
    if (ROLE_ORG_KIND[data.role] !== org.kind)
      throw new InvalidInput('validation_failed', {}, { role: { key: 'errors.fields.role_kind_mismatch', params: { kind: org.kind } } });
    if (await q.userByLogin(trx, data.login)) throw new Conflict('login_taken', { login: data.login });
    const row = {
      org_id: Number(org.id),
      login: data.login,
      full_name: data.fullName,
      role: data.role,
      password_hash: passwordHash,
      lang: data.lang ?? null,
      email: data.email ?? null,
      disabled_at: null,
      created_at: deps.clock().toISOString(),
    };
    const id = await q.insertReturningId(trx, 'users', row);
    await recordAudit(trx, deps.clock, actor, { action: 'user.created', subjectType: 'user', subjectId: id, details: { login: data.login, role: data.role, org: org.bin } });
    return toUser({ id, ...row }, org);
  });
}

function toUser(r: q.UserRow, org: Pick<q.OrgRow, 'id' | 'bin' | 'name_ru'>): User {
  return {
    id: Number(r.id),
    login: r.login,
    fullName: r.full_name,
    role: r.role as Role,
    organization: { id: Number(org.id), bin: org.bin, nameRu: org.name_ru },
    email: r.email,
    lang: r.lang,
    disabled: r.disabled_at !== null,
    createdAt: r.created_at,
  };
}

export async function listUsers(deps: ServiceDeps, orgId?: number): Promise<User[]> {
  return (await q.listUsersOf(deps.db, orgId)).map((r) => toUser(r, { id: r.org_id, bin: r.org_bin, name_ru: r.org_name_ru }));
}

/** One user by id (operator admin pages); NotFound when there is none. */
export async function getUser(deps: ServiceDeps, userId: number): Promise<User> {
  const row = await q.userById(deps.db, userId);
  const org = row ? await q.orgById(deps.db, row.org_id) : undefined;
  if (!row || !org) throw new NotFound('user_not_found', { login: String(userId) });
  return toUser(row, org);
}

export async function setPassword(deps: ServiceDeps, actor: Actor, login: string, password: string): Promise<void> {
  const weakness = passwordWeakness(password, login);
  if (weakness) throw new InvalidInput('validation_failed', {}, { password: { key: weakness } });
  const hash = await hashPassword(password);
  await deps.db.transaction(async (trx) => {
    const user = await q.userByLogin(trx, login);
    if (!user) throw new NotFound('user_not_found', { login });
    await q.updateUser(trx, user.id, { password_hash: hash });
    await trx('sessions').where({ user_id: user.id }).delete();
    await recordAudit(trx, deps.clock, actor, { action: 'user.password_set', subjectType: 'user', subjectId: user.id });
  });
}

export async function setUserLanguage(deps: ServiceDeps, actor: Actor, userId: number, lang: 'kk' | 'ru' | 'en'): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await q.updateUser(trx, userId, { lang });
    await recordAudit(trx, deps.clock, actor, { action: 'user.language_set', subjectType: 'user', subjectId: userId, details: { lang } });
  });
}

export async function setUserDisabled(deps: ServiceDeps, actor: Actor, userId: number, disabled: boolean): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const user = await q.userById(trx, userId);
    if (!user) throw new NotFound('user_not_found', { login: String(userId) });
    // An admin who disables themself locks the door from inside; another admin must do it.
    if (disabled && actor.userId === userId) throw new InvalidState('cannot_disable_self');
    await q.updateUser(trx, userId, { disabled_at: disabled ? deps.clock().toISOString() : null });
    if (disabled) await trx('sessions').where({ user_id: userId }).delete();
    await recordAudit(trx, deps.clock, actor, { action: disabled ? 'user.disabled' : 'user.enabled', subjectType: 'user', subjectId: userId });
  });
}

/** Creates a personal access token; the token itself is returned once and never stored. */
export async function createToken(deps: ServiceDeps, actor: Actor, userId: number, input: unknown): Promise<Token & { token: string }> {
  const data = parseInput(TokenCreate, input);
  const now = deps.clock();
  const { token, hash, prefix } = newToken();
  return deps.db.transaction(async (trx) => {
    const row = {
      user_id: userId,
      name: data.name,
      token_hash: hash,
      prefix,
      scopes: [...new Set(data.scopes)].join(' '),
      expires_at: new Date(now.getTime() + data.expiresInDays * 86_400_000).toISOString(),
      revoked_at: null,
      last_used_at: null,
      created_at: now.toISOString(),
    };
    const id = await q.insertReturningId(trx, 'tokens', row);
    await recordAudit(trx, deps.clock, actor, { action: 'token.created', subjectType: 'token', subjectId: id, details: { userId, name: data.name, scopes: row.scopes, expiresAt: row.expires_at } });
    return { ...toToken({ id, ...row }), token };
  });
}

export async function listTokens(deps: ServiceDeps, userId: number): Promise<Token[]> {
  return (await q.tokensOf(deps.db, userId)).map(toToken);
}

/** Revokes a token of `ownerUserId` (or any token when `ownerUserId` is null: operator admins). */
export async function revokeToken(deps: ServiceDeps, actor: Actor, tokenId: number, ownerUserId: number | null): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const token = await q.tokenById(trx, tokenId);
    if (!token || (ownerUserId !== null && Number(token.user_id) !== ownerUserId)) throw new NotFound('token_not_found');
    if (token.revoked_at) throw new Conflict('token_already_revoked');
    await q.updateToken(trx, tokenId, { revoked_at: deps.clock().toISOString() });
    await recordAudit(trx, deps.clock, actor, { action: 'token.revoked', subjectType: 'token', subjectId: tokenId, details: { userId: Number(token.user_id) } });
  });
}

async function principalFor(deps: ServiceDeps, userId: number, via: Principal['via'], scopes: Scope[], tokenId?: number): Promise<Principal | null> {
  const user = await q.userById(deps.db, userId);
  if (!user || user.disabled_at) return null;
  const org = await q.orgById(deps.db, user.org_id);
  if (!org) return null;
  return {
    user: { id: Number(user.id), login: user.login, fullName: user.full_name, role: user.role as Role, lang: user.lang, email: user.email },
    org: { id: Number(org.id), kind: org.kind as OrgKind, bin: org.bin, nameKk: org.name_kk, nameRu: org.name_ru },
    roles: [user.role as Role],
    via,
    scopes,
    tokenId,
    now: deps.clock().toISOString(),
  };
}

/** The principal of a bearer token, or an Unauthenticated error saying why it is refused. */
export async function authenticateToken(deps: ServiceDeps, token: string): Promise<Principal> {
  const row = await q.tokenByHash(deps.db, tokenHash(token));
  const now = deps.clock();
  if (!row) throw new Unauthenticated('token_invalid');
  if (row.revoked_at) throw new Unauthenticated('token_revoked');
  if (row.expires_at && row.expires_at <= now.toISOString()) throw new Unauthenticated('token_expired');
  const principal = await principalFor(deps, Number(row.user_id), 'token', row.scopes.split(' ') as Scope[], Number(row.id));
  if (!principal) throw new Unauthenticated('token_invalid');
  // A use stamp, not a state change: kept coarse (once a minute) so reads do not turn into writes.
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    await q.updateToken(deps.db, Number(row.id), { last_used_at: now.toISOString() });
  }
  return principal;
}

/** Checks a login and password; on success opens a fresh session (a new id each login). */
export async function login(deps: ServiceDeps, ip: string | null, loginName: string, password: string): Promise<{ sessionId: string; principal: Principal }> {
  const user = await q.userByLogin(deps.db, loginName.trim());
  const ok = user && !user.disabled_at ? await verifyPassword(user.password_hash, password) : (await burnPasswordTime(password), false);
  if (!ok || !user) {
    await deps.db.transaction((trx) =>
      recordAudit(trx, deps.clock, { userId: user ? Number(user.id) : null, orgId: user ? Number(user.org_id) : null, login: loginName.slice(0, 64), ip }, { action: 'user.login_failed' }),
    );
    throw new Unauthenticated('login_failed');
  }
  const now = deps.clock();
  const { id, hash } = newSessionId();
  await deps.db.transaction(async (trx) => {
    await q.deleteExpiredSessions(trx, now.toISOString());
    await q.insertSession(trx, {
      id_hash: hash,
      user_id: Number(user.id),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString(),
      last_seen_at: now.toISOString(),
    });
    await recordAudit(trx, deps.clock, { userId: Number(user.id), orgId: Number(user.org_id), login: user.login, ip }, { action: 'user.login', subjectType: 'user', subjectId: Number(user.id) });
  });
  const principal = await principalFor(deps, Number(user.id), 'session', ['api', 'git:read', 'git:write']);
  return { sessionId: id, principal: principal! };
}

export async function logout(deps: ServiceDeps, actor: Actor, sessionId: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await q.deleteSession(trx, tokenHash(sessionId));
    await recordAudit(trx, deps.clock, actor, { action: 'user.logout', subjectType: 'user', subjectId: actor.userId ?? undefined });
  });
}

/** The principal of a UI session cookie, sliding its expiry; null when unknown or expired. */
export async function resolveSession(deps: ServiceDeps, sessionId: string): Promise<Principal | null> {
  const hash = tokenHash(sessionId);
  const row = await q.sessionByHash(deps.db, hash);
  const now = deps.clock();
  if (!row || row.expires_at <= now.toISOString()) return null;
  if (now.getTime() - Date.parse(row.last_seen_at) > 60_000) {
    await q.touchSession(deps.db, hash, now.toISOString(), new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString());
  }
  return principalFor(deps, Number(row.user_id), 'session', ['api', 'git:read', 'git:write']);
}

export async function userIdByLogin(deps: ServiceDeps, loginName: string): Promise<number> {
  const user = await q.userByLogin(deps.db, loginName);
  if (!user) throw new NotFound('user_not_found', { login: loginName });
  return Number(user.id);
}

/** The operator JSC "National Information Technologies" (BIN 000740001307) unless configured otherwise. */
export const OPERATOR_ORG = {
  kind: 'operator',
  bin: '000740001307',
  nameKk: '«Ұлттық ақпараттық технологиялар» АҚ',
  nameRu: 'АО «Национальные информационные технологии»',
  nameEn: 'National Information Technologies JSC',
  shortName: 'НИТ',
} as const;

/**
 * First start on an empty database: the operator organisation and the `admin` user. Returns the
 * one-time password when it generated one (contract.md: printed once), else null.
 */
export async function bootstrap(deps: ServiceDeps, adminPassword: string | undefined): Promise<{ created: boolean; password: string | null }> {
  if ((await q.countOrganizations(deps.db)) > 0) return { created: false, password: null };
  const system: Actor = { userId: null, orgId: null, login: 'system', ip: null };
  await createOrganization(deps, system, OPERATOR_ORG);
  const password = adminPassword ?? randomBytes(12).toString('base64url');
  await createUser(deps, system, { organization: OPERATOR_ORG.bin, login: 'admin', fullName: 'Administrator', role: 'operator_admin', password });
  return { created: true, password: adminPassword ? null : password };
}

/**
 * The principal of a token by its id (Git LFS action hrefs carry the id, signed): refused at once
 * when the token has been revoked or has expired since the batch request.
 */
export async function authenticateTokenId(deps: ServiceDeps, tokenId: number): Promise<Principal> {
  const row = await q.tokenById(deps.db, tokenId);
  if (!row) throw new Unauthenticated('token_invalid');
  if (row.revoked_at) throw new Unauthenticated('token_revoked');
  if (row.expires_at && row.expires_at <= deps.clock().toISOString()) throw new Unauthenticated('token_expired');
  const principal = await principalFor(deps, Number(row.user_id), 'token', row.scopes.split(' ') as Scope[], Number(row.id));
  if (!principal) throw new Unauthenticated('token_invalid');
  return principal;
}
