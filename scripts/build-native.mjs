#!/usr/bin/env node
// `npm run build:native`: find LibTorch, then build native/ with cmake-js into
// build/Release/vbt.node. Extra arguments are passed to cmake-js.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
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

// cmake-js reuses an existing build folder: one configured for another LibTorch
// would keep building against the old one, so start afresh then.
const cache = path.join(root, 'build', 'CMakeCache.txt');
if (existsSync(cache)) {
  const previous = readFileSync(cache, 'utf8').match(/^Torch_DIR:[A-Z]+=(.*)$/m)?.[1];
  if (previous && path.resolve(previous) !== path.resolve(torch.torchDir)) {
    console.log(`vbt: the previous build used LibTorch at ${previous}; rebuilding from scratch`);
    rmSync(path.join(root, 'build'), { recursive: true, force: true });
  }
}

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
// Node's own headers, so cmake-js downloads nothing: npm passes its nodedir
// setting when run through `npm run`; otherwise look next to this node.
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
}
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error('vbt: the native build failed (see the compiler output above).');
  process.exit(result.status ?? 1);
}
console.log(`vbt: built ${path.join('build', 'Release', 'vbt.node')}`);
