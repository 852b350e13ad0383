#!/usr/bin/env node
// The `vbt` command: runs the compiled CLI in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('vbt: the TypeScript build is missing (dist/). Run `npm run setup`, or `npm run build` after `npm ci`.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
