import { z } from 'zod';
import { isSafePath, isSafeRev } from '../git/browse.js';

/** Query of the repository browser pages: which revision, which path, which page of the log. */
export const BrowseQuery = z.object({
  ref: z.string().max(255).refine(isSafeRev, 'errors.fields.invalid').optional(),
  path: z
    .string()
    .max(4096)
    .transform((p) => p.replace(/^\/+|\/+$/g, ''))
    .refine(isSafePath, 'errors.fields.invalid')
    .default(''),
  page: z.coerce.number().int().min(1).max(100000).default(1),
});
export type BrowseQuery = z.infer<typeof BrowseQuery>;

export const RepositoryRef = z.object({ name: z.string(), commit: z.string(), date: z.string(), subject: z.string() });

export const RepositoryOut = z.object({
  code: z.string(),
  status: z.string(),
  cloneUrl: z.string(),
  defaultBranch: z.string().nullable(),
  branches: z.array(RepositoryRef),
  tags: z.array(RepositoryRef),
});

export const RepositoryFormed = z.object({
  code: z.string(),
  status: z.literal('repository_formed'),
  commit: z.string(),
  formedAt: z.string(),
  cloneUrl: z.string(),
});
