import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitEnv } from './env.js';
import { runGit } from './run.js';

/**
 * Fixity of a repository (issue 12): `git fsck --full` (every object re-hashed, packs and their
 * indexes checked, connectivity from every ref). Returns git's complaints, empty when the
 * repository is sound.
 */
export async function fsckRepository(dataDir: string, repo: string): Promise<string[]> {
  const r = await runGit(['fsck', '--full', '--no-progress', '--no-dangling'], { env: gitEnv(dataDir), cwd: repo, okCodes: [1, 2, 4, 8, 128] }).catch((err: Error) => ({ code: -1, stdout: Buffer.alloc(0), stderr: err.message }));
  if (r.code === 0) return [];
  const lines = (r.stdout.toString('utf8') + '\n' + r.stderr).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines.slice(0, 20) : [`git fsck exited with ${r.code}`];
}

/** Every ref of the repository with the object it names. */
export async function listRefs(dataDir: string, repo: string): Promise<Map<string, string>> {
  const r = await runGit(['for-each-ref', '--format=%(objectname) %(refname)'], { env: gitEnv(dataDir), cwd: repo });
  const refs = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return refs;
}

/** The commit a tag (or any object) peels to, or null when it does not. */
export async function peelToCommit(dataDir: string, repo: string, oid: string): Promise<string | null> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${oid}^{commit}`], { env: gitEnv(dataDir), cwd: repo, okCodes: [1, 128] });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
}

/**
 * A copy of a repository that is valid whatever lands meanwhile: `git clone --mirror --no-local`
 * goes through upload-pack, which reads the refs first and then sends exactly the objects they
 * reach — a push landing during the copy adds objects the copied refs do not need, never a ref
 * without its objects. The source's own config is kept beside it by the caller.
 */
export async function mirrorRepository(dataDir: string, repo: string, target: string): Promise<void> {
  await runGit(['clone', '--mirror', '--no-local', '--quiet', repo, target], { env: gitEnv(dataDir) });
}

/**
 * Refs that were there and are gone: a reflog (core.logAllRefUpdates) whose last entry names an
 * object while the ref itself no longer exists. A push can never delete (receive.denyDeletes), so
 * such a ref was removed behind the service's back.
 */
export async function vanishedRefs(repo: string, refs: Map<string, string>): Promise<{ ref: string; lastOid: string }[]> {
  const out: { ref: string; lastOid: string }[] = [];
  const logs = join(repo, 'logs');
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const name = prefix + e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), name + '/');
      else if (e.isFile() && name.startsWith('refs/') && !refs.has(name)) {
        const last = (await readFile(join(dir, e.name), 'utf8')).trimEnd().split('\n').pop() ?? '';
        const newOid = last.split(' ')[1] ?? '';
        if (/^[0-9a-f]{40,64}$/.test(newOid) && !/^0+$/.test(newOid)) out.push({ ref: name, lastOid: newOid });
      }
    }
  };
  await walk(logs, '');
  return out.sort((a, b) => a.ref.localeCompare(b.ref));
}
