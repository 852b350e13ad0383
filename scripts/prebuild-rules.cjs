// What a prebuilt addon is and when it fits: the folder it is stored in,
//   prebuilds/<platform>-<arch>-torch<version>-<cpu|cuXYZ>/{vbt.node,manifest.json},
// which prebuilds there are for this platform, and whether one was made for
// the LibTorch found here (libtorch-discovery.cjs).
//
// CommonJS on purpose, like libtorch-discovery.cjs: the prebuild script
// (scripts/prebuild.mjs) names and writes prebuilds by these rules, npm's
// install step (scripts/install.mjs) skips the build when one fits, and the
// addon loader (src/torch/addon-loader.ts, which must load synchronously)
// picks the one to load; all three use this one file, so they agree.
'use strict';

const { existsSync, readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');

/** The manifest's file name in a prebuild folder. */
const MANIFEST = 'manifest.json';
/** The addon's file name in a prebuild folder (and in build/Release). */
const ADDON = 'vbt.node';

/** The folder name of a prebuild for `libtorch` (a libtorch-discovery.cjs description) on a platform. */
function prebuildName(libtorch, platform = process.platform, arch = process.arch) {
  return `${platform}-${arch}-torch${libtorch.version}-${libtorch.cudaTag}`;
}

/** The manifest in `file` when it is a vbt prebuild's, else undefined (missing, unreadable, or something else). */
function readManifest(file) {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8'));
    return m && m.format === 'vbt-prebuild' && typeof m.libtorch?.version === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The complete prebuilds in `dir` (manifest and addon present) made for this
 * platform and architecture, by folder name: [{ name, dir, file, manifest }].
 * A missing `dir` has none.
 */
function listPrebuilds(dir, platform = process.platform, arch = process.arch) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out = [];
  for (const name of entries.sort()) {
    const file = path.join(dir, name, ADDON);
    const manifest = readManifest(path.join(dir, name, MANIFEST));
    if (!manifest || !existsSync(file)) continue;
    if (manifest.platform === platform && manifest.arch === arch) out.push({ name, dir: path.join(dir, name), file, manifest });
  }
  return out;
}

/**
 * Whether a prebuild (its manifest) was made for `libtorch`: same LibTorch
 * version, C++11 ABI and CUDA tag. A CUDA LibTorch that does not record its
 * CUDA version (tag 'cuda') may take any CUDA prebuild of its version.
 */
function prebuildMatches(manifest, libtorch) {
  const m = manifest.libtorch;
  if (m.version !== libtorch.version || m.cxx11Abi !== libtorch.cxx11Abi) return false;
  if (m.cudaTag === libtorch.cudaTag) return true;
  return libtorch.cudaTag === 'cuda' && m.cudaTag.startsWith('cu');
}

module.exports = { MANIFEST, ADDON, prebuildName, readManifest, listPrebuilds, prebuildMatches };
