import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The repository store: where each system's bare repository lives, creating and removing it, and a
 * per-repository lock. It knows nothing of git's formats (server/git does) nor of HTTP.
 *
 * A path is derived from the system's numeric database id only — never from a code or a URL — so
 * no request can name a folder outside `<dataDir>/repos/`.
 */
export function reposRoot(dataDir: string): string {
  return join(dataDir, 'repos');
}

export function repoPath(dataDir: string, systemId: number): string {
  if (!Number.isSafeInteger(systemId) || systemId <= 0) throw new Error(`repos: not a system id: ${String(systemId)}`);
  return join(reposRoot(dataDir), `${systemId}.git`);
}

export function repoExists(dataDir: string, systemId: number): boolean {
  return existsSync(join(repoPath(dataDir, systemId), 'HEAD'));
}

/**
 * A fresh folder to build a repository in, beside the final place (same file system, so the final
 * `rename` is atomic): a half-built repository is never visible at its real path.
 */
export async function stagingDir(dataDir: string, systemId: number): Promise<string> {
  const dir = join(reposRoot(dataDir), '.staging', `${systemId}-${randomBytes(6).toString('hex')}.git`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Moves a built repository to its place; refuses when one is already there. */
export async function publishRepo(staging: string, dataDir: string, systemId: number): Promise<string> {
  const target = repoPath(dataDir, systemId);
  // rename(2) would silently replace an empty directory; a repository folder is never empty, but be explicit.
  if (existsSync(target)) throw new RepoExists(target);
  await rename(staging, target);
  await syncDir(dirname(target));
  return target;
}

export class RepoExists extends Error {
  constructor(readonly path: string) {
    super(`repos: ${path} already exists`);
  }
}

export async function removeRepo(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** fsyncs every file and folder under `dir`, then `dir` itself: what was written survives a power cut. */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(p);
    else if (entry.isFile()) await syncFile(p);
  }
  await syncDir(dir);
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  await syncFile(path);
}

// ------------------------------------------------------------------ per-repository lock

/**
 * Writes to one repository are serialized (architecture.md, "Scaling out"): inside a process by a
 * promise chain, across processes sharing the data volume by an exclusive lock file
 * `repos/.locks/<id>.lock` holding `host pid time`. A lock left by a dead process on this host is
 * taken over; git's own ref locks still guard every single ref update underneath.
 */
const chains = new Map<string, Promise<void>>();

export interface LockOptions {
  /** How long to wait for the lock before giving up (ms). */
  timeoutMs?: number;
}

export class RepoLockTimeout extends Error {
  constructor(systemId: number) {
    super(`repos: repository ${systemId} is busy`);
  }
}

/** Takes the lock of one repository; resolves to the function that releases it (call it once). */
export async function acquireRepoLock(dataDir: string, systemId: number, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const key = `${dataDir}\0${systemId}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  const previous = chains.get(key) ?? Promise.resolve();
  let releaseLocal!: () => void;
  const mine = new Promise<void>((resolve) => (releaseLocal = resolve));
  const chained = previous.then(() => mine);
  chains.set(key, chained);
  const dropLocal = () => {
    releaseLocal();
    if (chains.get(key) === chained) chains.delete(key);
  };

  const waitLocal = await Promise.race([previous.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
  if (!waitLocal) {
    // Our turn would come after the previous holder; leave the chain intact so later waiters still queue.
    void previous.then(dropLocal);
    throw new RepoLockTimeout(systemId);
  }
  const file = join(reposRoot(dataDir), '.locks', `${systemId}.lock`);
  try {
    await takeLockFile(file, deadline, systemId);
  } catch (err) {
    dropLocal();
    throw err;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await unlink(file).catch(() => undefined);
    dropLocal();
  };
}

export async function withRepoLock<T>(dataDir: string, systemId: number, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquireRepoLock(dataDir, systemId, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function takeLockFile(file: string, deadline: number, systemId: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const me = `${hostname()} ${process.pid} ${Date.now()}`;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(me);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await holderIsDead(file)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) throw new RepoLockTimeout(systemId);
    await sleep(delay);
  }
}

/** A lock file of this host whose process is gone (a crash) may be taken over. */
async function holderIsDead(file: string): Promise<boolean> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    return false; // just released: the next open will tell
  }
  const [host, pidText] = content.split(' ');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) {
    // Another host's lock: trust it unless it is absurdly old (a day), which no write takes.
    const info = await stat(file).catch(() => null);
    return info !== null && Date.now() - info.mtimeMs > 86_400_000;
  }
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** For diagnostics and tests: who holds the lock file of a repository, if anyone. */
export function lockHolder(dataDir: string, systemId: number): string | null {
  const file = join(reposRoot(dataDir), '.locks', `${systemId}.lock`);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}
