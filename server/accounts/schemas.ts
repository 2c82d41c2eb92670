import { z } from 'zod';
import { isValidBin } from './bin.js';
import { ORG_KINDS, ROLES, SCOPES } from './roles.js';

export const Bin = z.string().trim().refine(isValidBin, { message: 'errors.fields.bin_invalid' });
export const LangCode = z.enum(['kk', 'ru', 'en']);
export const Login = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, { message: 'errors.fields.login_invalid' });

export const OrganizationCreate = z.strictObject({
  kind: z.enum(ORG_KINDS),
  bin: Bin,
  nameKk: z.string().trim().min(1).max(500),
  nameRu: z.string().trim().min(1).max(500),
  nameEn: z.string().trim().max(500).optional(),
  shortName: z.string().trim().max(200).optional(),
  address: z.string().trim().max(1000).optional(),
  email: z.email().max(320).optional(),
  phone: z.string().trim().regex(/^\+?[0-9 ()-]{5,32}$/, { message: 'errors.fields.phone_invalid' }).optional(),
});

export const UserCreate = z.strictObject({
  organization: Bin,
  login: Login,
  fullName: z.string().trim().min(1).max(300),
  role: z.enum(ROLES),
  email: z.email().max(320).optional(),
  lang: LangCode.optional(),
  password: z.string().max(200).optional(),
});

export const TokenCreate = z.strictObject({
  name: z.string().trim().min(1).max(200).default('token'),
  scopes: z.array(z.enum(SCOPES)).min(1).max(3),
  expiresInDays: z.number().int().min(1).max(3650).default(90),
  /** Operator admins may create a token for another user (CLI `token create --login`). */
  login: Login.optional(),
});

export const OrganizationOut = z.object({
  id: z.number(),
  kind: z.enum(ORG_KINDS),
  bin: z.string(),
  nameKk: z.string(),
  nameRu: z.string(),
  nameEn: z.string().nullable(),
  shortName: z.string().nullable(),
  address: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: z.string(),
});

export const UserOut = z.object({
  id: z.number(),
  login: z.string(),
  fullName: z.string(),
  role: z.enum(ROLES),
  organization: z.object({ id: z.number(), bin: z.string(), nameRu: z.string() }),
  email: z.string().nullable(),
  lang: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
});

export const TokenOut = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const TokenCreated = TokenOut.extend({ token: z.string() });

export type OrganizationCreateInput = z.input<typeof OrganizationCreate>;
export type UserCreateInput = z.input<typeof UserCreate>;
export type TokenCreateInput = z.input<typeof TokenCreate>;
