/**
 * Finding and loading the native addon, in this order:
 *   1. VBT_NATIVE_PATH, when set (a prebuild's folder may be named the same way);
 *   2. a prebuild under `prebuilds/` made for the LibTorch found on this
 *      machine (same version, CUDA tag and C++11 ABI), unless a local build
 *      newer than it exists (a checkout rebuilt from changed sources);
 *   3. the local build, `build/Release/vbt.node` (`npm run build:native`, or
 *      node-gyp through `npm install` / `npm rebuild` where no prebuild fits);
 * else a TorchError that names the LibTorch found, the prebuilds shipped, and
 * exactly what to install or set.
 *
 * Relocation: a prebuild names its LibTorch libraries by soname, and its
 * RUNPATH points at the build machine's LibTorch folder, which on a user's
 * machine is elsewhere or absent. So before requiring a prebuild, the loader
 * loads the LibTorch libraries it found (the same discovery as the build,
 * scripts/libtorch-discovery.cjs) by absolute path. The dynamic linker
 * satisfies a NEEDED entry with an object already loaded under that soname
 * before it searches any path, so the prebuild binds to those libraries and
 * its RUNPATH is never consulted for them. (Without this, a prebuild whose
 * RUNPATH folder does not exist binds to whatever the system path offers:
 * a 2.13 prebuild loaded Debian's 1.13 libraries that way, silently.)
 * Node's process.dlopen loads a plain
 * shared library, then reports that it "did not self-register" and dlcloses
 * it; RTLD_NODELETE keeps it mapped. RTLD_LOCAL (not GLOBAL): the addon finds
 * them by soname, and LibTorch's symbols stay out of other addons' way.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TorchError } from './errors.js';

/** The package root (holds package.json), from src/torch or dist/torch. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a local build puts the addon. */
export const LOCAL_BUILD_PATH = path.join(PACKAGE_ROOT, 'build', 'Release', 'vbt.node');

/** Where prebuilt addons live: prebuilds/<platform>-<arch>-torch<version>-<cpu|cuXYZ>/{vbt.node,manifest.json}. */
export const PREBUILDS_DIR = path.join(PACKAGE_ROOT, 'prebuilds');

/** The LibTorch on this machine, as scripts/libtorch-discovery.cjs describes it. */
export interface LibTorchInstall {
  source: string;
  torchDir: string;
  prefix: string;
  libDir: string;
  version: string;
  cxx11Abi: number;
  cuda: boolean;
  cudaVersion: string | null;
  /** 'cpu', 'cu130', or 'cuda' where the install does not record its CUDA version. */
  cudaTag: string;
  /** Absolute paths of the libraries the addon links to, in load order. */
  libraries: string[];
}

/** What scripts/prebuild.mjs writes next to a prebuilt vbt.node. */
export interface PrebuildManifest {
  format: 'vbt-prebuild';
  formatVersion: number;
  platform: string;
  arch: string;
  libtorch: { version: string; torchVersion: string; cudaTag: string; cudaVersion: string | null; cxx11Abi: number; source: string };
  compiler: string;
  cxxStandard: number;
  napiVersion: number;
  git: { commit: string; dirty: boolean };
  vbtVersion: string;
  builtAt: string;
}

/** Which addon file was loaded and why. */
export interface AddonOrigin {
  kind: 'env' | 'prebuild' | 'local';
  file: string;
  /** The LibTorch a prebuild was bound to. */
  libtorch?: LibTorchInstall;
  manifest?: PrebuildManifest;
}

interface Prebuild {
  dir: string;
  file: string;
  manifest: PrebuildManifest;
}

// glibc and musl both use 0x1000; os.constants.dlopen does not list it.
const RTLD_NODELETE = 0x1000;

const requireHere = createRequire(import.meta.url);

/**
 * scripts/prebuild-rules.cjs: prebuild folders, manifests and the matching
 * rule, the same file scripts/prebuild.mjs and scripts/install.mjs use.
 */
interface PrebuildRules {
  MANIFEST: string;
  readManifest(file: string): PrebuildManifest | undefined;
  listPrebuilds(dir: string): (Prebuild & { name: string })[];
  prebuildMatches(m: PrebuildManifest, lt: LibTorchInstall): boolean;
}
let rules: PrebuildRules | undefined;
function prebuildRules(): PrebuildRules {
  rules ??= requireHere(path.join(PACKAGE_ROOT, 'scripts', 'prebuild-rules.cjs')) as PrebuildRules;
  return rules;
}

/** The prebuilds shipped for this platform and architecture (unreadable ones are skipped). */
export function listPrebuilds(dir = PREBUILDS_DIR): Prebuild[] {
  return prebuildRules()
    .listPrebuilds(dir)
    .map(({ dir, file, manifest }) => ({ dir, file, manifest }));
}

function readManifest(file: string): PrebuildManifest | undefined {
  return prebuildRules().readManifest(file);
}

/** The LibTorch the build would use here, or the reason there is none. */
export function findLibTorch(env: NodeJS.ProcessEnv = process.env): { install: LibTorchInstall } | { error: string } {
  const discovery = requireHere(path.join(PACKAGE_ROOT, 'scripts', 'libtorch-discovery.cjs')) as {
    findLibTorch(env: NodeJS.ProcessEnv): LibTorchInstall;
  };
  try {
    return { install: discovery.findLibTorch(env) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Whether a prebuild was made for this LibTorch: same version, C++11 ABI and
 * CUDA tag (a CUDA LibTorch that does not record its CUDA version may take any
 * CUDA prebuild of its version); the rule is in scripts/prebuild-rules.cjs.
 */
export function prebuildMatches(m: PrebuildManifest, lt: LibTorchInstall): boolean {
  return prebuildRules().prebuildMatches(m, lt);
}

/** Load LibTorch's libraries by absolute path and keep them loaded (see the file comment). */
export function preloadLibraries(libraries: readonly string[]): void {
  if (process.platform !== 'linux') return;
  const flags = os.constants.dlopen.RTLD_LAZY | os.constants.dlopen.RTLD_LOCAL | RTLD_NODELETE;
  for (const lib of libraries) {
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, lib, flags);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Loaded, and not an addon: exactly what is expected of a plain library.
      if (message.includes('did not self-register')) continue;
      throw new TorchError(`cannot load LibTorch's ${lib}: ${message}`);
    }
  }
}

function requireAddon<T>(file: string): T {
  return requireHere(file) as T;
}

function describeInstall(lt: LibTorchInstall): string {
  const cuda = lt.cuda ? `CUDA ${lt.cudaVersion ?? '(version not recorded)'}` : 'CPU only';
  return `LibTorch ${lt.version} (${cuda}, C++11 ABI ${lt.cxx11Abi}) from ${lt.source}: ${lt.prefix}`;
}

function describePrebuild(p: Prebuild): string {
  const l = p.manifest.libtorch;
  return `${path.basename(p.dir)} (LibTorch ${l.version}, ${l.cudaTag === 'cpu' ? 'CPU' : `CUDA ${l.cudaVersion ?? l.cudaTag}`}, C++11 ABI ${l.cxx11Abi})`;
}

/** How to get the LibTorch a prebuild was made for. */
function installAdvice(p: Prebuild): string {
  const l = p.manifest.libtorch;
  if (l.source === 'system') return `install the system LibTorch ${l.version} (Debian/Ubuntu: sudo apt-get install libtorch-dev)`;
  const index = l.cudaTag.startsWith('cu') && l.cudaTag !== 'cuda' ? l.cudaTag : 'cpu';
  return (
    `pip install torch==${l.version} --index-url https://download.pytorch.org/whl/${index}` +
    ` (or unpack that LibTorch and export LIBTORCH=/path/to/libtorch)`
  );
}

/** How to compile the addon here: an installed package rebuilds through npm (node-gyp), a checkout with cmake-js. */
function buildAdvice(): string {
  return PACKAGE_ROOT.split(path.sep).includes('node_modules')
    ? 'npm rebuild vbt (compiles binding.gyp with node-gyp; needs a C++ compiler)'
    : `cd ${PACKAGE_ROOT} && npm run build:native (needs cmake and a C++ compiler)`;
}

function noAddonError(found: ReturnType<typeof findLibTorch> | undefined, prebuilds: Prebuild[], localError?: string): TorchError {
  const lines = ["vbt's native addon cannot be loaded on this machine."];
  if (found === undefined) lines.push('  LibTorch: not looked for (no prebuild ships for this platform)');
  else if ('install' in found) lines.push(`  found: ${describeInstall(found.install)}`);
  else lines.push(`  LibTorch: none found (${found.error.split('\n')[0]})`);
  lines.push(
    prebuilds.length
      ? `  prebuilds for ${process.platform}-${process.arch}: ${prebuilds.map(describePrebuild).join('; ')}`
      : `  prebuilds for ${process.platform}-${process.arch}: none in ${PREBUILDS_DIR}`,
  );
  lines.push(localError ? `  local build ${LOCAL_BUILD_PATH}: ${localError}` : `  local build: none (${LOCAL_BUILD_PATH})`);
  lines.push('Do one of:');
  for (const p of prebuilds) lines.push(`  - to use ${path.basename(p.dir)}: ${installAdvice(p)}`);
  lines.push(`  - build the addon for your LibTorch: ${buildAdvice()} (set LIBTORCH or Torch_DIR to pick a LibTorch)`);
  if (found && 'error' in found) {
    lines.push('Where LibTorch comes from:');
    lines.push(...found.error.split('\n').slice(1));
  }
  return new TorchError(lines.join('\n'));
}

function loadFailure(file: string, err: unknown, advice: string): TorchError {
  const reason = err instanceof Error ? err.message : String(err);
  return new TorchError(`cannot load vbt's native addon ${file}: ${reason}. ${advice}`);
}

/**
 * Load the addon as the file comment describes; returns it with where it
 * came from. Every failure is a TorchError that says what to do.
 */
export function loadNativeAddon<T>(env: NodeJS.ProcessEnv = process.env): { addon: T; origin: AddonOrigin } {
  const explicit = env.VBT_NATIVE_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new TorchError(`VBT_NATIVE_PATH=${explicit} does not exist: unset it, or point it at a built vbt.node`);
    // A prebuild named directly still needs its LibTorch loaded first.
    const manifest = readManifest(path.join(path.dirname(explicit), prebuildRules().MANIFEST));
    if (manifest) return loadPrebuild<T>({ dir: path.dirname(explicit), file: explicit, manifest }, env, 'env');
    try {
      return { addon: requireAddon<T>(explicit), origin: { kind: 'env', file: explicit } };
    } catch (err) {
      throw loadFailure(explicit, err, 'It was built against a LibTorch that is no longer where it was: rebuild it, or unset VBT_NATIVE_PATH.');
    }
  }

  const prebuilds = listPrebuilds();
  let found: ReturnType<typeof findLibTorch> | undefined;
  let prebuildError: TorchError | undefined;
  if (prebuilds.length > 0) {
    found = findLibTorch(env);
    if ('install' in found) {
      const lt = found.install;
      const match = prebuilds.find((p) => prebuildMatches(p.manifest, lt));
      if (match && !localBuildIsNewer(match.file)) {
        try {
          return loadPrebuild<T>(match, env, 'prebuild', lt);
        } catch (err) {
          prebuildError = err instanceof TorchError ? err : loadFailure(match.file, err, '');
        }
      }
    }
  }

  if (existsSync(LOCAL_BUILD_PATH)) {
    try {
      return { addon: requireAddon<T>(LOCAL_BUILD_PATH), origin: { kind: 'local', file: LOCAL_BUILD_PATH } };
    } catch (err) {
      if (prebuilds.length === 0) {
        throw loadFailure(
          LOCAL_BUILD_PATH,
          err,
          `If LibTorch moved or was upgraded since the build, build it again: ${buildAdvice()}.`,
        );
      }
      throw noAddonError(found, prebuilds, err instanceof Error ? err.message : String(err));
    }
  }
  if (prebuildError) throw prebuildError;
  throw noAddonError(found, prebuilds);
}

/**
 * A local build made after the prebuild was (a checkout whose native sources
 * were rebuilt, e.g. on the machine a prebuild is made for) wins over it:
 * it holds the current sources.
 */
function localBuildIsNewer(prebuildFile: string): boolean {
  try {
    return statSync(LOCAL_BUILD_PATH).mtimeMs > statSync(prebuildFile).mtimeMs;
  } catch {
    return false;
  }
}

function loadPrebuild<T>(p: Prebuild, env: NodeJS.ProcessEnv, kind: 'env' | 'prebuild', known?: LibTorchInstall): { addon: T; origin: AddonOrigin } {
  let lt = known;
  if (!lt) {
    const found = findLibTorch(env);
    if ('error' in found) throw noAddonError(found, [p]);
    lt = found.install;
    if (!prebuildMatches(p.manifest, lt)) {
      throw new TorchError(
        `the prebuild ${p.file} was made for ${describePrebuild(p).replace(/^[^(]*\(/, '(')} but this machine's LibTorch is ` +
          `${describeInstall(lt)}. Either ${installAdvice(p)}, or build for yours: ${buildAdvice()}`,
      );
    }
  }
  preloadLibraries(lt.libraries);
  try {
    return { addon: requireAddon<T>(p.file), origin: { kind, file: p.file, libtorch: lt, manifest: p.manifest } };
  } catch (err) {
    throw loadFailure(
      p.file,
      err,
      `It was made for LibTorch ${p.manifest.libtorch.version} (${p.manifest.libtorch.cudaTag}) and bound to ${describeInstall(lt)}; ` +
        `build the addon for this machine instead: ${buildAdvice()}`,
    );
  }
}
