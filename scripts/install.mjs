#!/usr/bin/env node
// npm's install step for vbt. A package with a binding.gyp and no install
// script gets `node-gyp rebuild` from npm by default, which would compile the
// addon even where a prebuild fits. This script builds only when none does:
//   1. a prebuild under prebuilds/ matches the LibTorch found (the rule the
//      loader uses too: scripts/prebuild-rules.cjs) -> nothing to build;
//   2. otherwise `node-gyp rebuild` (binding.gyp), as npm would have done.
// VBT_SKIP_INSTALL_BUILD=1 skips the build (e.g. to run `npm run build:native` yourself).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import discovery from './libtorch-discovery.cjs';
import prebuildRules from './prebuild-rules.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (process.env.VBT_SKIP_INSTALL_BUILD === '1') {
  console.log('vbt: VBT_SKIP_INSTALL_BUILD=1: not building the native addon');
  process.exit(0);
}

// A git checkout is a development tree: `npm run setup` / `npm run build:native`
// build the addon there (after installing LibTorch), so `npm ci` does not.
if (existsSync(path.join(root, '.git'))) {
  console.log('vbt: development checkout: build the native addon with `npm run build:native` (or `npm run setup`)');
  process.exit(0);
}

// The prebuilds shipped for this platform.
const shipped = prebuildRules.listPrebuilds(path.join(root, 'prebuilds'));
if (shipped.length > 0) {
  try {
    const lt = discovery.findLibTorch();
    const hit = shipped.find((p) => prebuildRules.prebuildMatches(p.manifest, lt));
    if (hit) {
      console.log(`vbt: using the prebuilt addon ${hit.name} for LibTorch ${lt.version} (${lt.cudaTag}) at ${lt.prefix}`);
      process.exit(0);
    }
    console.log(
      `vbt: no prebuild matches LibTorch ${lt.version} (${lt.cudaTag}) at ${lt.prefix} ` +
        `(shipped: ${shipped.map((p) => p.name).join(', ')}); building from source`,
    );
  } catch (err) {
    console.log(`vbt: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}; trying to build from source`);
  }
}

// npm puts its own node-gyp on PATH for install scripts.
const r = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
if (r.status !== 0) {
  console.error(
    'vbt: building the native addon failed (see above). Install LibTorch and a C++ compiler, then `npm rebuild vbt`;\n' +
      '  LibTorch: pip install torch, or Debian/Ubuntu `apt-get install libtorch-dev`, or set LIBTORCH to an unpacked LibTorch.',
  );
}
process.exit(r.status ?? 1);
