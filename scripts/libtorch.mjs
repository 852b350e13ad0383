#!/usr/bin/env node
// The LibTorch vbt builds against (discovery order: LIBTORCH / Torch_DIR,
// python3's torch, the system install; see libtorch-discovery.cjs, which the
// addon loader shares). Used by scripts/build-native.mjs (cmake-js),
// scripts/prebuild.mjs and binding.gyp (node-gyp):
//   node scripts/libtorch.mjs            -> JSON description
//   node scripts/libtorch.mjs <field>    -> one field, for gyp's <!(...) expansion
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import discovery from './libtorch-discovery.cjs';

/** Describe the LibTorch found: paths, version, ABI, CUDA. Throws with install advice if none. */
export const findLibTorch = discovery.findLibTorch;

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    const info = findLibTorch();
    const field = process.argv[2];
    if (!field) {
      console.log(JSON.stringify(info, null, 2));
    } else if (field === 'include') {
      console.log(info.includeDirs.join(' '));
    } else if (field === 'cflags') {
      console.log(`-D_GLIBCXX_USE_CXX11_ABI=${info.cxx11Abi} -std=c++${info.cxxStandard}`);
    } else if (field === 'libs') {
      const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(info.cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];
      console.log([`-L${info.libDir}`, `-Wl,-rpath,${info.libDir}`, ...libs].join(' '));
    } else if (field === 'defines') {
      console.log(info.cuda ? 'VBT_WITH_CUDA=1' : 'VBT_WITHOUT_CUDA=1');
    } else if (field in info) {
      console.log(String(info[field]));
    } else {
      throw new Error(`unknown field '${field}'`);
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
