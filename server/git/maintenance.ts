import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { gitEnv } from './env.js';
import { runGit } from './run.js';

/**
 * After a push, in the background (receive.autogc is off, so the push is answered first): small
 * pushes arrive as loose objects (under receive.unpackLimit, 100 objects) and each larger one as
 * its own pack. Past LOOSE_LIMIT loose objects or PACK_LIMIT packs, `git repack -a -d` folds them
 * into one pack with a reachability bitmap (repack.writeBitmaps), so clones are served from one
 * pack. `git gc --auto` is not used: it estimates loose objects from one of 256 folders, so it
 * only reacts after thousands; counting is exact and cheap (read here from the object folders, as
 * `git count-objects` does: a spawn per push would stall the event loop for a fork). One repack at a
 * time in the process. A repository is looked at once its pushes pause for QUIET_MS (at most
 * MAX_DELAY_MS after the first one waiting): a burst of pushes to one repository is folded once
 * after the burst, not repeatedly while more packs are still arriving (and competing for the CPU
 * with the pushes themselves — docs/benchmarks.md, "Load").
 */
const LOOSE_LIMIT = 100;
const PACK_LIMIT = 4;
const QUIET_MS = 1000;
const MAX_DELAY_MS = 30_000;

interface Waiting {
  dataDir: string;
  logger: Logger;
  /** When the repository counts as quiet (last push + QUIET_MS), and the latest it may wait until. */
  quietAt: number;
  deadline: number;
}

const pending = new Map<string, Waiting>();
let running: Promise<void> | null = null;

export function scheduleMaintenance(dataDir: string, repo: string, logger: Logger): void {
  const now = Date.now();
  const waiting = pending.get(repo);
  pending.set(repo, { dataDir, logger, quietAt: now + QUIET_MS, deadline: waiting?.deadline ?? now + MAX_DELAY_MS });
  running ??= drain().finally(() => {
    running = null;
  });
}

async function drain(): Promise<void> {
  for (;;) {
    let repo: string | null = null;
    let due = Infinity;
    for (const [r, w] of pending) {
      const at = Math.min(w.quietAt, w.deadline);
      if (at < due) [repo, due] = [r, at];
    }
    if (repo === null) return;
    const wait = due - Date.now();
    if (wait > 0) {
      // Unref'd: a pending look at a repository never keeps a stopping process alive.
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
      continue; // another push may have moved its time
    }
    const { dataDir, logger } = pending.get(repo)!;
    pending.delete(repo);
    try {
      await maintain(repo, gitEnv(dataDir, { GIT_DIR: repo }));
    } catch (err) {
      logger.warn({ err, repo }, 'git: background repack failed');
    }
  }
}

async function maintain(repo: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { loose, packs } = await countObjects(repo);
  if (loose >= LOOSE_LIMIT || packs >= PACK_LIMIT) await runGit(['repack', '-a', '-d', '-q'], { env });
}

/** Loose objects (`objects/xx/<38 hex>`) and packs (`objects/pack/*.pack`) of a bare repository. */
export async function countObjects(repo: string): Promise<{ loose: number; packs: number }> {
  const objects = join(repo, 'objects');
  const fanout = (await readdir(objects)).filter((d) => /^[0-9a-f]{2}$/.test(d));
  const perFolder = await Promise.all(fanout.map(async (d) => (await readdir(join(objects, d)).catch(() => [])).filter((f) => /^[0-9a-f]{38}$/.test(f)).length));
  const packs = (await readdir(join(objects, 'pack')).catch(() => [])).filter((f) => f.endsWith('.pack')).length;
  return { loose: perFolder.reduce((a, b) => a + b, 0), packs };
}

/** Resolves when no background maintenance is running (tests, graceful stop). */
export async function maintenanceIdle(): Promise<void> {
  while (running) await running;
}
