import { z } from 'zod';
import { isSafeRev } from '../git/browse.js';

/** Inputs and outputs of the deposits API (validation and the OpenAPI document share them). */

export const InventoryQuery = z.object({
  ref: z.string().max(255).refine(isSafeRev, 'errors.fields.invalid').optional(),
});

/**
 * Accepting a deposit at a ref. An override (accepting despite error findings) needs a reason:
 * `override: true` alone is refused, a reason alone implies the override.
 */
export const AcceptInput = z
  .object({
    ref: z.string().trim().min(1).max(255),
    override: z.boolean().optional(),
    overrideReason: z.string().trim().max(4000).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.override === true && !v.overrideReason) ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'deposits.errors.override_reason_required' });
  })
  .transform((v) => ({ ref: v.ref, overrideReason: v.overrideReason ? v.overrideReason : null }));
export type AcceptInput = z.output<typeof AcceptInput>;

/** `3` or `v3`. */
export const VersionParam = z
  .string()
  .regex(/^v?[1-9]\d{0,5}$/, 'errors.fields.invalid')
  .transform((v) => Number(v.replace(/^v/, '')));

export const DiffQuery = z.object({
  from: z.coerce.number().int().min(1).max(999999).optional(),
  to: z.coerce.number().int().min(1).max(999999).optional(),
});

export const FilesQuery = z.object({
  limit: z.coerce.number().int().min(0).max(10_000_000).default(10_000_000),
  offset: z.coerce.number().int().min(0).default(0),
  category: z.string().max(32).optional(),
});

export const ActQuery = z.object({
  lang: z.enum(['kk', 'ru']).optional(),
  format: z.enum(['html', 'pdf']).optional(),
});

const FindingOut = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  path: z.string().nullable(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  message: z.string(),
  messages: z.object({ kk: z.string(), ru: z.string(), en: z.string() }),
});

const CategoryOut = z.object({ category: z.string(), files: z.number(), bytes: z.number(), lfsFiles: z.number() });
const ThirdPartyOut = z.object({
  manifests: z.array(z.object({ path: z.string(), ecosystem: z.string(), dependencies: z.number().nullable(), lockfile: z.string().nullable() })),
  vendored: z.array(z.object({ path: z.string(), files: z.number() })),
});
export const FileOut = z.object({
  path: z.string(),
  category: z.string(),
  size: z.number(),
  sha256: z.string().nullable(),
  gitOid: z.string(),
  mode: z.string(),
  type: z.string(),
  lfs: z.boolean(),
  lfsPresent: z.boolean().nullable(),
});

export const InventoryOut = z.object({
  system: z.string(),
  ref: z.string(),
  commit: z.string(),
  files: z.array(FileOut),
  fileCount: z.number(),
  bytes: z.number(),
  categories: z.array(CategoryOut),
  findings: z.array(FindingOut),
  errorCount: z.number(),
  warningCount: z.number(),
  thirdParty: ThirdPartyOut,
});

export const AcceptedOut = z.object({ version: z.number(), tag: z.string(), commit: z.string(), actSha256: z.string(), errorCount: z.number(), warningCount: z.number(), overridden: z.boolean() });

export const DepositOut = z.object({
  version: z.number(),
  tag: z.string(),
  commit: z.string(),
  acceptedAt: z.string(),
  acceptedBy: z.string().nullable(),
  overrideReason: z.string().nullable(),
  fileCount: z.number(),
  bytes: z.number(),
  errorCount: z.number(),
  warningCount: z.number(),
  manifestSha256: z.string(),
  actSha256: z.string(),
  deadlineState: z.string().nullable(),
  categories: z.array(CategoryOut),
});

export const DepositDetailOut = DepositOut.extend({ findings: z.array(FindingOut), thirdParty: ThirdPartyOut, files: z.array(FileOut) });

export const DiffOut = z.object({
  from: z.number(),
  to: z.number(),
  categories: z.array(z.object({ category: z.string(), added: z.number(), removed: z.number(), changed: z.number() })),
  added: z.array(z.object({ path: z.string(), category: z.string(), sha256: z.string().nullable(), size: z.number().nullable() })),
  removed: z.array(z.object({ path: z.string(), category: z.string(), sha256: z.string().nullable(), size: z.number().nullable() })),
  changed: z.array(z.object({ path: z.string(), category: z.string(), oldSha256: z.string().nullable(), newSha256: z.string().nullable(), oldSize: z.number().nullable(), newSize: z.number().nullable() })),
});
