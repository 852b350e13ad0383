#!/usr/bin/env node
// Finds the LibTorch the native addon builds against, in this order:
//   1. LIBTORCH (an unpacked LibTorch or a torch package folder) or Torch_DIR
//      (the folder holding TorchConfig.cmake);
//   2. the torch of the Python interpreter (PYTHON, else python3, else /usr/bin/python3);
//   3. a system install (Debian/Ubuntu `libtorch-dev`).
// Used by scripts/build-native.mjs (cmake-js) and binding.gyp (node-gyp):
//   node scripts/libtorch.mjs            -> JSON description
//   node scripts/libtorch.mjs <field>    -> one field, for gyp's <!(...) expansion
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOW_TO_GET = [
  'No LibTorch found. vbt builds against one of:',
  '  - Debian/Ubuntu: sudo apt-get install libtorch-dev   (CPU only; `npm run setup` does this)',
  '  - a PyTorch install: pip install torch   (its package holds a complete LibTorch, CUDA builds included)',
  '  - an unpacked LibTorch zip from pytorch.org: export LIBTORCH=/path/to/libtorch',
  '  - any TorchConfig.cmake: export Torch_DIR=/path/to/share/cmake/Torch',
].join('\n');

/** @returns {string|undefined} the Torch cmake dir under an install root, if any. */
function torchDirUnder(root) {
  const candidates = [
    path.join(root, 'share', 'cmake', 'Torch'),
    path.join(root, 'lib', 'cmake', 'Torch'),
    root,
  ];
  return candidates.find((d) => existsSync(path.join(d, 'TorchConfig.cmake')));
}

function fromEnv() {
  if (process.env.Torch_DIR) {
    const d = process.env.Torch_DIR;
    if (!existsSync(path.join(d, 'TorchConfig.cmake'))) {
      throw new Error(`Torch_DIR=${d} holds no TorchConfig.cmake.\n${HOW_TO_GET}`);
    }
    return { source: 'Torch_DIR', torchDir: d };
  }
  if (process.env.LIBTORCH) {
    const d = torchDirUnder(process.env.LIBTORCH);
    if (!d) throw new Error(`LIBTORCH=${process.env.LIBTORCH} holds no share/cmake/Torch/TorchConfig.cmake.\n${HOW_TO_GET}`);
    return { source: 'LIBTORCH', torchDir: d };
  }
  return undefined;
}

function fromPython() {
  const interpreters = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of [...new Set(interpreters)]) {
    let out;
    try {
      out = execFileSync(py, ['-c', 'import torch,torch.utils;print(torch.utils.cmake_prefix_path)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      }).trim();
    } catch {
      continue;
    }
    const d = path.join(out, 'Torch');
    // Debian's python3-torch has no cmake files of its own: its LibTorch is the system one.
    if (existsSync(path.join(d, 'TorchConfig.cmake'))) return { source: `python (${py})`, torchDir: d };
  }
  return undefined;
}

function fromSystem() {
  const roots = ['/usr/lib', '/usr/local/lib', '/usr/lib64'];
  for (const root of roots) {
    const direct = path.join(root, 'cmake', 'Torch');
    if (existsSync(path.join(direct, 'TorchConfig.cmake'))) return { source: 'system', torchDir: direct };
    let entries = [];
    try {
      entries = readdirSync(root);
    } catch {
      continue;
    }
    for (const e of entries) {
      const d = path.join(root, e, 'cmake', 'Torch'); // multiarch: /usr/lib/x86_64-linux-gnu/...
      if (existsSync(path.join(d, 'TorchConfig.cmake'))) return { source: 'system', torchDir: d };
    }
  }
  return undefined;
}

/** Describe the LibTorch found: paths, version, ABI, CUDA. Throws with install advice if none. */
export function findLibTorch() {
  const found = fromEnv() ?? fromPython() ?? fromSystem();
  if (!found) throw new Error(HOW_TO_GET);
  const torchDir = path.resolve(found.torchDir);
  const config = readFileSync(path.join(torchDir, 'TorchConfig.cmake'), 'utf8');
  // TorchConfig.cmake computes the install prefix as four levels up from itself.
  const prefix = path.resolve(torchDir, '..', '..', '..', '..');
  const versionFile = path.join(torchDir, 'TorchConfigVersion.cmake');
  const version = existsSync(versionFile)
    ? (readFileSync(versionFile, 'utf8').match(/PACKAGE_VERSION\s+"([^"]+)"/)?.[1] ?? 'unknown')
    : 'unknown';
  const abi = config.match(/_GLIBCXX_USE_CXX11_ABI=(\d)/)?.[1] ?? '1';
  // A CUDA build ships libtorch_cuda next to libtorch_cpu.
  const libDir = [path.join(prefix, 'lib'), path.dirname(path.dirname(torchDir))].find((d) =>
    existsSync(path.join(d, 'libtorch_cpu.so')),
  );
  if (!libDir) throw new Error(`LibTorch at ${torchDir}: libtorch_cpu.so not found next to it.\n${HOW_TO_GET}`);
  const cuda = existsSync(path.join(libDir, 'libtorch_cuda.so'));
  const includeDirs = [path.join(prefix, 'include'), path.join(prefix, 'include', 'torch', 'csrc', 'api', 'include')];
  const [major = 0, minor = 0] = version.split('.').map((x) => Number.parseInt(x, 10));
  // Newer PyTorch headers require C++20; 1.x builds with C++17.
  const cxxStandard = major > 2 || (major === 2 && minor >= 10) ? 20 : 17;
  return {
    source: found.source,
    torchDir,
    prefix,
    libDir,
    includeDirs,
    version,
    cxx11Abi: Number(abi),
    cuda,
    cxxStandard,
  };
}

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
