#!/usr/bin/env -S node --max-semi-space-size=4
// The `qoima` command: runs the compiled CLI (npm install builds it; `npm run build` rebuilds it).
// --max-semi-space-size=4 (also in `npm start` and the Dockerfile): a smaller young generation, so the
// garbage of streamed bodies is collected sooner; a transfer's resident size stays ~20 MB lower.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('qoima: not built yet: run `npm run build` first');
  process.exit(1);
}
await import(cli.href);
