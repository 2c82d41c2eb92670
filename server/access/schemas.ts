import { z } from 'zod';
import { Bin } from '../accounts/schemas.js';

/** Rules p.10: access is granted for reuse of the system, or for its recovery after a loss. */
export const PURPOSES = ['reuse', 'recovery'] as const;
export type Purpose = (typeof PURPOSES)[number];

const Basis = z.string().trim().min(1).max(1000);
/** A calendar day (valid through its end, Asia/Almaty) or an instant with its offset. */
const Expiry = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { message: 'access.errors.expiry_invalid' });
const Version = z.number().int().min(1).max(1_000_000);

export const GrantCreate = z.strictObject({
  /** BIN of the government body that receives read access. */
  organization: Bin,
  purpose: z.enum(PURPOSES),
  /** The request letter: its number and date, free text. */
  basis: Basis,
  expiresAt: Expiry.nullish(),
  /** Only this accepted deposit version (tag `deposit/vN`); the whole repository when absent. */
  version: Version.nullish(),
});

export const RevokeInput = z.strictObject({ reason: z.string().trim().max(1000).optional() });

export const AccessRequestCreate = z.strictObject({
  /** The system's code (as in the catalogue). */
  system: z.string().trim().min(1).max(64),
  purpose: z.enum(PURPOSES),
  basis: Basis,
});

export const RequestGrantInput = z.strictObject({ expiresAt: Expiry.nullish(), version: Version.nullish() });
export const RequestRefuseInput = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

export const AccessRequestQuery = z.strictObject({ status: z.enum(['pending', 'granted', 'refused']).optional() });
export const CatalogueQuery = z.strictObject({ q: z.string().trim().max(200).optional() });

const OrgRef = z.object({ bin: z.string(), nameKk: z.string(), nameRu: z.string() });
const SystemRef = z.object({ code: z.string(), nameKk: z.string(), nameRu: z.string() });

export const GrantOut = z.object({
  id: z.number(),
  system: SystemRef,
  organization: OrgRef,
  purpose: z.enum(PURPOSES),
  basis: z.string(),
  expiresAt: z.string().nullable(),
  version: z.number().nullable(),
  requestId: z.number().nullable(),
  grantedAt: z.string(),
  grantedBy: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  revokeReason: z.string().nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
});

export const AccessRequestOut = z.object({
  id: z.number(),
  system: SystemRef,
  organization: OrgRef,
  requestedBy: z.object({ login: z.string(), fullName: z.string() }),
  purpose: z.enum(PURPOSES),
  basis: z.string(),
  status: z.enum(['pending', 'granted', 'refused']),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  refuseReason: z.string().nullable(),
  grantId: z.number().nullable(),
});

export const CatalogueItemOut = z.object({
  code: z.string(),
  nameKk: z.string(),
  nameRu: z.string(),
  owner: OrgRef,
  annotation: z.string().nullable(),
  programmingLanguage: z.string().nullable(),
  version: z.string().nullable(),
  releaseYear: z.number().nullable(),
  /** The caller's access: its own system, an active grant, a pending request, none; operator staff read all. */
  access: z.enum(['owner', 'granted', 'requested', 'none', 'operator']),
});
