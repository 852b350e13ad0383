#!/usr/bin/env node
// `npm run build:native`: find LibTorch, then build native/ with cmake-js into
// build/Release/vbt.node. Extra arguments are passed to cmake-js.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibTorch } from './libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let torch;
try {
  torch = findLibTorch();
} catch (err) {
  console.error(`vbt: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
console.log(
  `vbt: building against LibTorch ${torch.version} (${torch.cuda ? 'CUDA' : 'CPU'}) from ${torch.source}: ${torch.torchDir}`,
);

const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const args = [
  cmakeJs,
  'compile',
  '--out',
  path.join(root, 'build'),
  '--parallel',
  String(Math.max(1, availableParallelism())),
  `--CDTorch_DIR=${torch.torchDir}`,
  `--CDVBT_TORCH_LIB_DIR=${torch.libDir}`,
  ...process.argv.slice(2),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('vbt: the native build failed (see the compiler output above).');
  process.exit(result.status ?? 1);
}
console.log(`vbt: built ${path.join('build', 'Release', 'vbt.node')}`);
