import { z } from 'zod';

export const UploadOut = z.object({
  commit: z.string().describe('the commit on main that added the file'),
  path: z.string().describe('the path in the repository, under the category folder'),
  sha256: z.string(),
  size: z.number(),
  lfs: z.boolean().describe('stored as a Git LFS object (installers, additional, database)'),
});
