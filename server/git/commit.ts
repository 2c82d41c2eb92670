import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv } from './env.js';
import { GitFailed, runGit } from './run.js';

export interface NewFile {
  /** Path in the tree, already validated by the caller (uploads/paths.ts). */
  path: string;
  /** A file on disk to store as the blob (streamed by git), or small content in memory. */
  source: { file: string } | { content: Buffer };
}

export interface CommitRequest {
  branch: string;
  files: NewFile[];
  message: string;
  author: { name: string; email: string };
  when: Date;
}

/** The branch moved between reading it and updating it: the caller retries on the new tip. */
export class BranchMoved extends Error {}
/** A new path collides with a file or folder already in the tree (`docs` is a file, `docs/x` is new). */
export class PathConflict extends Error {
  constructor(readonly path: string) {
    super(`path conflict: ${path}`);
  }
}

/**
 * Commits files into a bare repository without a work tree, with git's own plumbing: blobs are
 * streamed from disk by `hash-object` (an uploaded file is never held in memory), the tree is
 * built in a throwaway index (nested paths, sorting and modes as git does them), and the branch is
 * moved with a compare-and-swap `update-ref`, so a concurrent push or upload is never overwritten.
 * Callers hold the repository's lock (storage/repos.ts) and retry on BranchMoved.
 */
export async function commitFiles(dataDir: string, gitdir: string, req: CommitRequest): Promise<{ commit: string; parent: string | null }> {
  const base = gitEnv(dataDir, { GIT_DIR: gitdir });
  const ref = `refs/heads/${req.branch}`;
  const tip = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { env: base, okCodes: [1] });
  const parent = tip.code === 0 ? tip.stdout.toString().trim() : null;

  const scratch = await mkdtemp(join(gitdir, 'qoima-index-'));
  const env = { ...base, GIT_INDEX_FILE: join(scratch, 'index') };
  try {
    if (parent) await runGit(['read-tree', parent], { env });
    for (const file of req.files) {
      const blob =
        'file' in file.source
          ? await runGit(['hash-object', '-w', '--no-filters', '--', file.source.file], { env })
          : await runGit(['hash-object', '-w', '--no-filters', '--stdin'], { env, input: file.source.content });
      try {
        await runGit(['update-index', '--add', '--cacheinfo', `100644,${blob.stdout.toString().trim()},${file.path}`], { env });
      } catch (err) {
        if (err instanceof GitFailed && /file\/directory conflict|appears as both a file and as a directory|cannot add/i.test(err.result.stderr)) throw new PathConflict(file.path);
        throw err;
      }
    }
    const tree = (await runGit(['write-tree'], { env })).stdout.toString().trim();
    const stamp = `${Math.floor(req.when.getTime() / 1000)} +0000`;
    const commit = (
      await runGit(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], {
        env: {
          ...env,
          GIT_AUTHOR_NAME: req.author.name,
          GIT_AUTHOR_EMAIL: req.author.email,
          GIT_AUTHOR_DATE: stamp,
          GIT_COMMITTER_NAME: 'Qoima',
          GIT_COMMITTER_EMAIL: 'qoima@localhost',
          GIT_COMMITTER_DATE: stamp,
        },
        input: req.message,
      })
    ).stdout
      .toString()
      .trim();
    try {
      await runGit(['update-ref', '-m', 'qoima: upload', ref, commit, parent ?? '0'.repeat(40)], { env: base });
    } catch (err) {
      if (err instanceof GitFailed) throw new BranchMoved(`${ref} moved`);
      throw err;
    }
    return { commit, parent };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The text of a Git LFS pointer file (spec v1). */
export function lfsPointer(oid: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);
}
