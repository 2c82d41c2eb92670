import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder, found from this file whether it runs from `server/` (tsx) or `dist/server/`. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('qoima: cannot find the project root (package.json and templates/)');
    dir = up;
  }
}

export const projectRoot = findRoot();
export const templatesDir = join(projectRoot, 'templates');
