import { gitEnv } from './env.js';
import { GitFailed, runGit } from './run.js';

/**
 * Annotated tags made by the server itself, with git's plumbing in the bare repository: `mktag`
 * writes (and checks) the tag object, `update-ref` moves the ref with a compare-and-swap. The push
 * policy reserves `deposit/*` for the operator; the server makes them here, under the repository's
 * lock, never through a push.
 */
export interface NewTag {
  /** Short name, e.g. `deposit/v3`. */
  name: string;
  commit: string;
  tagger: { name: string; email: string };
  when: Date;
  message: string;
}

/** Identity text git accepts: no angle brackets or line breaks. */
const ident = (s: string) => s.replace(/[<>\r\n]/g, ' ').trim() || 'Qoima';

/** The tag ref's current value (the tag object), or null when there is none. */
export async function tagRefOid(dataDir: string, repo: string, name: string): Promise<string | null> {
  const res = await runGit(['rev-parse', '--verify', '--quiet', `refs/tags/${name}`], { env: gitEnv(dataDir, { GIT_DIR: repo }), okCodes: [1] });
  const oid = res.stdout.toString('utf8').trim();
  return res.code === 0 && /^[0-9a-f]{40}$/.test(oid) ? oid : null;
}

/** The commit a tag ref peels to, or null. */
export async function tagCommit(dataDir: string, repo: string, name: string): Promise<string | null> {
  const res = await runGit(['rev-parse', '--verify', '--quiet', `refs/tags/${name}^{commit}`], { env: gitEnv(dataDir, { GIT_DIR: repo }), okCodes: [1] });
  const oid = res.stdout.toString('utf8').trim();
  return res.code === 0 && /^[0-9a-f]{40}$/.test(oid) ? oid : null;
}

/**
 * Writes the annotated tag and points `refs/tags/<name>` at it. `expectedOld` is the ref's value the
 * caller saw (null: it must not exist); if it moved meanwhile, nothing changes and GitFailed is thrown.
 */
export async function createAnnotatedTag(dataDir: string, repo: string, tag: NewTag, expectedOld: string | null): Promise<string> {
  const env = gitEnv(dataDir, { GIT_DIR: repo });
  const stamp = `${Math.floor(tag.when.getTime() / 1000)} +0000`;
  const body = `object ${tag.commit}\ntype commit\ntag ${tag.name}\ntagger ${ident(tag.tagger.name)} <${ident(tag.tagger.email)}> ${stamp}\n\n${tag.message.replace(/\r\n?/g, '\n')}`;
  const oid = (await runGit(['mktag'], { env, input: body.endsWith('\n') ? body : body + '\n' })).stdout.toString('utf8').trim();
  await runGit(['update-ref', '-m', `qoima: ${tag.name}`, `refs/tags/${tag.name}`, oid, expectedOld ?? '0'.repeat(40)], { env });
  return oid;
}

/** Removes a tag the server made, only if it still points where the server put it (undo after a failed transaction). */
export async function removeTag(dataDir: string, repo: string, name: string, oid: string): Promise<void> {
  try {
    await runGit(['update-ref', '-d', `refs/tags/${name}`, oid], { env: gitEnv(dataDir, { GIT_DIR: repo }) });
  } catch (err) {
    if (!(err instanceof GitFailed)) throw err;
  }
}
