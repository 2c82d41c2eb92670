#!/usr/bin/env node
// The `qoima` command: runs the compiled CLI (npm install builds it; `npm run build` rebuilds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('qoima: not built yet: run `npm run build` first');
  process.exit(1);
}
await import(cli.href);
