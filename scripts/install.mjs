#!/usr/bin/env node
// npm's install step for vbt. A package with a binding.gyp and no install
// script gets `node-gyp rebuild` from npm by default, which would compile the
// addon even where a prebuild fits. This script builds only when none does:
//   1. a prebuild under prebuilds/ matches the LibTorch found (the rule the
//      loader uses too: scripts/prebuild-rules.cjs) -> nothing to build;
//   2. otherwise `node-gyp rebuild` (binding.gyp) on every core, as npm would
//      have done (on one), after one line saying what is built against which
//      LibTorch and about how long it takes, with its progress. npm hides
//      what install scripts print unless they fail, so these lines go to the
//      terminal itself (/dev/tty) when there is one.
// VBT_SKIP_INSTALL_BUILD=1 skips the build (e.g. to run `npm run build:native` yourself).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import discovery from './libtorch-discovery.cjs';
import prebuildRules from './prebuild-rules.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where a user sees a line during `npm install`: the terminal if there is one, else stdout (shown by npm on failure or with --foreground-scripts). */
let tty;
try {
  tty = openSync('/dev/tty', 'w');
} catch {
  tty = undefined;
}
function say(line) {
  if (tty !== undefined) writeSync(tty, `${line}\n`);
  else console.log(line);
}

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

// Build from source: node-gyp on every core, its output kept for a failure, its progress as one line per file.
let lt;
try {
  lt = discovery.findLibTorch();
} catch (err) {
  console.error(`vbt: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
}
const sources = readdirSync(path.join(root, 'native')).filter((f) => f.endsWith('.cc'));
const cores = os.availableParallelism();
// About half a minute of compiler time per source file against LibTorch's headers.
const minutes = Math.max(1, Math.round((sources.length * 30) / 60 / Math.min(cores, sources.length)));
say(
  `vbt: building the native addon against LibTorch ${lt ? `${lt.version} (${lt.cudaTag}) from ${lt.source}, ${lt.prefix}` : '(not found yet)'}` +
    `: ${sources.length} files on ${cores} cores, about ${minutes} minute${minutes === 1 ? '' : 's'}`,
);
const started = Date.now();
const log = [];
let done = 0;
// npm puts its own node-gyp on PATH for install scripts.
const child = spawn('node-gyp', ['rebuild', '--jobs=max'], { cwd: root, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
const onOutput = (chunk) => {
  const text = chunk.toString();
  log.push(text);
  for (const m of text.matchAll(/CXX\(target\) \S*?\/native\/([\w-]+)\.o/g)) say(`vbt: [${++done}/${sources.length}] compiled native/${m[1]}.cc`);
};
child.stdout.on('data', onOutput);
child.stderr.on('data', onOutput);
child.on('close', (code) => {
  if (code === 0) {
    say(`vbt: built the native addon in ${Math.round((Date.now() - started) / 1000)} s`);
  } else {
    process.stderr.write(log.join(''));
    console.error(
      'vbt: building the native addon failed (see above). Install LibTorch and a C++ compiler, then `npm rebuild vbt`;\n' +
        '  LibTorch: pip install torch, or Debian/Ubuntu `apt-get install libtorch-dev`, or set LIBTORCH to an unpacked LibTorch.',
    );
  }
  if (tty !== undefined) closeSync(tty);
  process.exit(code ?? 1);
});
