#!/usr/bin/env node
// `prepack`: the package must carry its compiled JavaScript and declarations.
// `npm run build` runs just before this; a pack without them is refused
// rather than published half-empty.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const needed = ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js'];
const missing = needed.filter((f) => !existsSync(path.join(root, f)));
if (missing.length > 0) {
  console.error(`vbt: refusing to pack without the TypeScript build (missing ${missing.join(', ')}): run \`npm run build\` and fix its errors`);
  process.exit(1);
}
