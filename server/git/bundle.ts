import type { Readable } from 'node:stream';
import { gitEnv } from './env.js';
import { GitFailed, killGit, runGit, spawnGit } from './run.js';

/**
 * Git bundles of a whole repository, for the return package (Rules p.11, server/returns): a bundle
 * of every ref is one file that `git clone` reads without Qoima, decades later.
 */

export interface RepositoryRef {
  ref: string;
  oid: string;
}

/** Every ref of a repository with the object it names, sorted by name (what `--all` bundles). */
export async function repositoryRefs(dataDir: string, repo: string): Promise<RepositoryRef[]> {
  const res = await runGit(['for-each-ref', '--format=%(objectname) %(refname)'], { env: gitEnv(dataDir, { GIT_DIR: repo }) });
  return res.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => ({ oid: l.slice(0, l.indexOf(' ')), ref: l.slice(l.indexOf(' ') + 1) }))
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

export interface BundleStream {
  /** The bundle's bytes as git writes them (v2 header, then the pack). */
  stream: Readable;
  /** Resolves when git exits cleanly; rejects with git's message otherwise. */
  done: Promise<void>;
  /** Stops git (and pack-objects under it) when the consumer gives up. */
  abort(): void;
}

/**
 * `git bundle create - --all`, streamed: the pack goes to stdout as git builds it, so a repository of
 * any size passes through in constant memory (the caller writes it where it wants, hashing as it goes).
 */
export function bundleAll(dataDir: string, repo: string): BundleStream {
  const args = ['bundle', 'create', '--quiet', '-', '--all'];
  const child = spawnGit(args, gitEnv(dataDir, { GIT_DIR: repo }));
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new GitFailed(args, { code: code ?? -1, stdout: Buffer.alloc(0), stderr: stderr || `killed by ${signal}` }));
    });
  });
  // The consumer reports failures through `done` or its own pipeline; an unhandled rejection must not crash.
  done.catch(() => undefined);
  return { stream: child.stdout, done, abort: () => killGit(child) };
}

/**
 * `git bundle verify`: the file is a bundle git can read and its prerequisites (none for `--all`)
 * are present. Run against the repository it was made from.
 */
export async function verifyBundle(dataDir: string, repo: string, file: string): Promise<void> {
  await runGit(['bundle', 'verify', '--quiet', file], { env: gitEnv(dataDir, { GIT_DIR: repo }) });
}
