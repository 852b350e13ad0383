#!/usr/bin/env node
// `npm run prebuild`: build the addon with the normal build (scripts/build-native.mjs,
// against the LibTorch it finds), check that it loads, and store it as
//   prebuilds/<platform>-<arch>-torch<version>-<cpu|cuXYZ>/vbt.node
//   prebuilds/<platform>-<arch>-torch<version>-<cpu|cuXYZ>/manifest.json
// The manifest records what the addon loader matches on (LibTorch version,
// CUDA tag, C++11 ABI; the rule and the folder name are in prebuild-rules.cjs)
// and what a release needs to know (compiler, git commit).
//
//   node scripts/prebuild.mjs [--skip-build] [--out-dir DIR] [-- extra cmake-js arguments]
// --skip-build stores the existing build/Release/vbt.node (it must have been
// built against the LibTorch found now: the script checks).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findLibTorch } from './libtorch.mjs';
import prebuildRules from './prebuild-rules.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: path.join(root, 'prebuilds') },
  },
  allowPositionals: true,
});

function fail(message) {
  console.error(`vbt prebuild: ${message}`);
  process.exit(1);
}

let torch;
try {
  torch = findLibTorch();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const built = path.join(root, 'build', 'Release', 'vbt.node');
if (!values['skip-build']) {
  // `cmake-js compile` only re-runs the build in an existing build folder and
  // ignores a changed Torch_DIR: start from a clean folder when the last
  // configure used another LibTorch.
  const cache = path.join(root, 'build', 'CMakeCache.txt');
  const configured = existsSync(cache) ? readFileSync(cache, 'utf8').match(/^Torch_DIR:\w+=(.*)$/m)?.[1] : undefined;
  if (configured !== undefined && path.resolve(configured) !== torch.torchDir) {
    console.log(`vbt prebuild: build/ was configured for ${configured}: cleaning it`);
    rmSync(path.join(root, 'build'), { recursive: true, force: true });
  }
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.mjs'), ...positionals], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('the native build failed (see above)');
}
if (!existsSync(built)) fail(`${built} does not exist: build it first (npm run build:native) or drop --skip-build`);

// Load the fresh addon in a child process (a crash there cannot take this
// script down) and read what it was compiled against.
const probe = spawnSync(
  process.execPath,
  ['-e', 'const a = require(process.argv[1]); const i = a.buildInfo(); console.log(JSON.stringify({ torchVersion: i.torchVersion, cxx11Abi: i.cxx11Abi, cudaBuild: i.cudaBuild }))', built],
  { encoding: 'utf8' },
);
if (probe.status !== 0) fail(`the built addon does not load:\n${probe.stderr}`);
const info = JSON.parse(probe.stdout.trim().split('\n').pop());
if (info.cudaBuild !== torch.cuda) {
  fail(`the addon was built ${info.cudaBuild ? 'with' : 'without'} CUDA but the LibTorch found (${torch.prefix}) is ${torch.cuda ? 'a CUDA' : 'a CPU-only'} build: rebuild without --skip-build`);
}
if (Boolean(info.cxx11Abi) !== Boolean(torch.cxx11Abi)) fail('the addon and the LibTorch found differ in the C++11 ABI flag: rebuild without --skip-build');
if (!info.torchVersion.startsWith(torch.version.split('.').slice(0, 2).join('.'))) {
  fail(`the addon reports LibTorch ${info.torchVersion} but the LibTorch found is ${torch.version}: rebuild without --skip-build`);
}

/** The C++ compiler of the build, from cmake-js's CMake cache, with its version line. */
function compiler() {
  const cache = path.join(root, 'build', 'CMakeCache.txt');
  const cxx = existsSync(cache) ? readFileSync(cache, 'utf8').match(/^CMAKE_CXX_COMPILER:\w+=(.+)$/m)?.[1] : undefined;
  const exe = cxx ?? process.env.CXX ?? 'c++';
  try {
    return `${exe}: ${execFileSync(exe, ['--version'], { encoding: 'utf8' }).split('\n')[0]}`;
  } catch {
    return exe;
  }
}

/** The commit of this checkout; VBT_GIT_COMMIT where the tree is a copy without .git (e.g. on a build machine). */
function git() {
  if (process.env.VBT_GIT_COMMIT) return { commit: process.env.VBT_GIT_COMMIT, dirty: process.env.VBT_GIT_DIRTY === '1' };
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'native', 'CMakeLists.txt'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const name = prebuildRules.prebuildName(torch);
const bytes = readFileSync(built);
const manifest = {
  format: 'vbt-prebuild',
  formatVersion: 1,
  platform: process.platform,
  arch: process.arch,
  libtorch: {
    version: torch.version,
    torchVersion: info.torchVersion,
    cudaTag: torch.cudaTag,
    cudaVersion: torch.cudaVersion,
    cxx11Abi: torch.cxx11Abi,
    source: torch.source.startsWith('python') ? 'python' : torch.source,
    libraries: torch.libraries.map((f) => path.basename(f)),
  },
  compiler: compiler(),
  cxxStandard: torch.cxxStandard,
  napiVersion: 8,
  node: process.version,
  git: git(),
  vbtVersion: pkg.version,
  builtAt: new Date().toISOString(),
  sha256: createHash('sha256').update(bytes).digest('hex'),
  bytes: bytes.length,
};

// Write into a temporary folder and rename, so a reader never sees half a prebuild.
const outDir = path.resolve(values['out-dir']);
const target = path.join(outDir, name);
const temporary = `${target}.tmp-${process.pid}`;
mkdirSync(temporary, { recursive: true });
copyFileSync(built, path.join(temporary, prebuildRules.ADDON));
writeFileSync(path.join(temporary, prebuildRules.MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
rmSync(target, { recursive: true, force: true });
renameSync(temporary, target);
const mib = statSync(path.join(target, prebuildRules.ADDON)).size / 2 ** 20;
console.log(`vbt prebuild: ${path.relative(process.cwd(), target) || target}/vbt.node (${mib.toFixed(2)} MiB, LibTorch ${torch.version} ${torch.cudaTag}, commit ${manifest.git.commit.slice(0, 12)}${manifest.git.dirty ? ' + local changes' : ''})`);
