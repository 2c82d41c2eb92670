import type { Logger } from 'pino';
import { gitEnv } from './env.js';
import { runGit } from './run.js';

/**
 * After a push, `git gc --auto` in the background (receive.autogc is off, so the push is answered
 * first): small pushes arrive as loose objects and each large one as its own pack; gc folds them
 * into one pack with a bitmap so that clones are served from packs. Thresholds are in the global
 * config (server/git/env.ts: gc.auto, gc.autoPackLimit). One gc at a time in the process, and one
 * pending rerun per repository when pushes arrive while it runs.
 */
const pending = new Map<string, { dataDir: string; logger: Logger }>();
let running: Promise<void> | null = null;

export function scheduleMaintenance(dataDir: string, repo: string, logger: Logger): void {
  pending.set(repo, { dataDir, logger });
  running ??= drain().finally(() => {
    running = null;
  });
}

async function drain(): Promise<void> {
  for (;;) {
    const next = pending.entries().next();
    if (next.done) return;
    const [repo, { dataDir, logger }] = next.value;
    pending.delete(repo);
    try {
      await runGit(['gc', '--auto', '--quiet'], { env: gitEnv(dataDir, { GIT_DIR: repo }) });
    } catch (err) {
      logger.warn({ err, repo }, 'git: background gc failed');
    }
  }
}

/** Resolves when no background maintenance is running (tests, graceful stop). */
export async function maintenanceIdle(): Promise<void> {
  while (running) await running;
}
