import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment every spawned git runs in. Nothing of the server's own environment leaks into it
 * (no DATABASE_URL, no secrets): only PATH, a home of its own, and a global config we write.
 * `GIT_CONFIG_NOSYSTEM=1` ignores /etc/gitconfig, `GIT_CONFIG_GLOBAL` replaces ~/.gitconfig and the
 * XDG file, so the settings below are the only ones besides each repository's own config (which
 * only the server writes).
 */
export function gitHome(dataDir: string): string {
  return join(dataDir, 'git');
}

export function hooksDir(dataDir: string): string {
  return join(gitHome(dataDir), 'hooks');
}

const GLOBAL_CONFIG = `# Written by Qoima at start (server/git/env.ts); edits are overwritten.
[core]
	# Durability: objects, packs, refs and pack indexes/bitmaps reach the disk before a push is answered.
	fsync = committed,derived-metadata
	fsyncMethod = fsync
	logAllRefUpdates = true
[uploadpack]
	# Partial clone (--filter=blob:none) and fetching a reachable commit by id.
	allowFilter = true
	allowReachableSHA1InWant = true
[receive]
	# Every pushed object is checked; history is never rewritten or deleted.
	fsckObjects = true
	denyNonFastForwards = true
	denyDeletes = true
	# Our own background repack runs after the push (server/git/maintenance.ts), not inside the request.
	autogc = false
[receive "fsck"]
	# A tree entry named .git in any spelling still refuses the push, but in our pre-receive policy,
	# which says so in the pusher's language (server/git/inspect.ts isDangerousName), not in fsck's.
	hasDotgit = warn
[repack]
	writeBitmaps = true
[pack]
	writeBitmapHashCache = true
[user]
	name = Qoima
	email = qoima@localhost
`;

/** Writes the global config (atomically) and creates the git home; called once at start. */
export function prepareGitHome(dataDir: string): void {
  const home = gitHome(dataDir);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'gitconfig');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, GLOBAL_CONFIG, { mode: 0o644 });
  renameSync(tmp, file);
}

export function gitEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = gitHome(dataDir);
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    ...extra,
  };
}
