// Finds the LibTorch that vbt builds against and loads at run time, in this order:
//   1. LIBTORCH (an unpacked LibTorch or a torch package folder) or Torch_DIR
//      (the folder holding TorchConfig.cmake);
//   2. the torch of the Python interpreter (PYTHON, else python3, else /usr/bin/python3);
//   3. a system install (Debian/Ubuntu `libtorch-dev`).
//
// CommonJS on purpose: the build scripts (scripts/libtorch.mjs,
// scripts/build-native.mjs, binding.gyp) and the addon loader
// (src/torch/native.ts, which must load synchronously) share this one
// implementation, so a prebuild is matched against exactly the LibTorch a
// local build would use.
'use strict';

const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');

const HOW_TO_GET = [
  'No LibTorch found. vbt builds against, and loads, one of:',
  '  - Debian/Ubuntu: sudo apt-get install libtorch-dev   (CPU only; `npm run setup` does this)',
  '  - a PyTorch install: pip install torch   (its package holds a complete LibTorch, CUDA builds included)',
  '  - an unpacked LibTorch zip from pytorch.org: export LIBTORCH=/path/to/libtorch',
  '  - any TorchConfig.cmake: export Torch_DIR=/path/to/share/cmake/Torch',
].join('\n');

/** The Torch cmake dir under an install root, if any. */
function torchDirUnder(root) {
  const candidates = [path.join(root, 'share', 'cmake', 'Torch'), path.join(root, 'lib', 'cmake', 'Torch'), root];
  return candidates.find((d) => existsSync(path.join(d, 'TorchConfig.cmake')));
}

function fromEnv(env) {
  if (env.Torch_DIR) {
    const d = env.Torch_DIR;
    if (!existsSync(path.join(d, 'TorchConfig.cmake'))) {
      throw new Error(`Torch_DIR=${d} holds no TorchConfig.cmake.\n${HOW_TO_GET}`);
    }
    return { source: 'Torch_DIR', torchDir: d };
  }
  if (env.LIBTORCH) {
    const d = torchDirUnder(env.LIBTORCH);
    if (!d) throw new Error(`LIBTORCH=${env.LIBTORCH} holds no share/cmake/Torch/TorchConfig.cmake.\n${HOW_TO_GET}`);
    return { source: 'LIBTORCH', torchDir: d };
  }
  return undefined;
}

function fromPython(env) {
  const interpreters = [env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
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

/**
 * The install prefix exactly as TorchConfig.cmake computes it: it climbs a
 * fixed number of `..` from its own folder, three in pip wheels and LibTorch
 * zips (<prefix>/share/cmake/Torch), four in Debian's multiarch layout
 * (<prefix>/lib/<triplet>/cmake/Torch). TORCH_INSTALL_PREFIX overrides it, as
 * it does in the cmake file.
 */
function installPrefix(torchDir, config, env) {
  if (env.TORCH_INSTALL_PREFIX) return path.resolve(env.TORCH_INSTALL_PREFIX);
  const m = config.match(/get_filename_component\(\s*TORCH_INSTALL_PREFIX\s+"\$\{CMAKE_CURRENT_LIST_DIR\}((?:\/\.\.)+)\/?"/);
  const levels = m ? m[1].split('/').filter((s) => s === '..').length : 3;
  return path.resolve(torchDir, ...Array(levels).fill('..'));
}

/**
 * CUDA version of a CUDA LibTorch, e.g. "13.0": a pip wheel records it in
 * torch/version.py, a LibTorch zip in build-version ("2.5.1+cu124").
 * Undefined when the install does not say.
 */
function cudaVersionOf(prefix) {
  const versionPy = path.join(prefix, 'version.py');
  if (existsSync(versionPy)) {
    const m = readFileSync(versionPy, 'utf8').match(/^cuda\s*(?::[^=]*)?=\s*'([0-9.]+)'/m);
    if (m) return m[1];
  }
  const buildVersion = path.join(prefix, 'build-version');
  if (existsSync(buildVersion)) {
    const m = readFileSync(buildVersion, 'utf8').match(/\+cu(\d+)(\d)\b/);
    if (m) return `${m[1]}.${m[2]}`;
  }
  return undefined;
}

/** "cpu", "cu130" for CUDA 13.0, or "cuda" for a CUDA build whose version is not recorded. */
function cudaTagOf(cuda, cudaVersion) {
  if (!cuda) return 'cpu';
  if (!cudaVersion) return 'cuda';
  const [major, minor = '0'] = cudaVersion.split('.');
  return `cu${major}${minor}`;
}

/**
 * Include folders of the CUDA toolkit (cuda_runtime_api.h, which LibTorch's
 * CUDA headers include), for builds that do not go through LibTorch's CMake
 * config (node-gyp): the toolkit nvcc reports (its TOP; an nvcc on PATH may be
 * a wrapper script), else CUDA_HOME, CUDA_PATH, /usr/local/cuda.
 */
function cudaIncludeDirs(env, libDir) {
  const roots = [];
  const nvcc = env.CUDACXX || 'nvcc';
  try {
    const r = require('node:child_process').spawnSync(nvcc, ['--dryrun', '-x', 'cu', '-c', '/dev/null', '-o', '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const top = `${r.stdout ?? ''}${r.stderr ?? ''}`.match(/TOP=(.*)/)?.[1];
    if (top) roots.push(path.resolve(top.trim()));
  } catch {
    // no nvcc: fall back to the usual places
  }
  roots.push(env.CUDA_HOME, env.CUDA_PATH, '/usr/local/cuda');
  const root = roots.find((d) => d && existsSync(path.join(d, 'include', 'cuda_runtime_api.h')));
  const dirs = root ? [path.join(root, 'include')] : [];
  // ATen's CUDA headers include cuBLAS/cuSPARSE/cuSOLVER headers: a minimal
  // toolkit lacks them, and then pip's nvidia packages next to torch serve (as in CMakeLists.txt).
  if (!root || !existsSync(path.join(root, 'include', 'cusparse.h'))) {
    const nvidia = path.join(libDir, '..', '..', 'nvidia');
    let packages = [];
    try {
      packages = readdirSync(nvidia);
    } catch {
      // not a pip install
    }
    for (const p of packages.sort()) {
      const inc = path.join(nvidia, p, 'include');
      if (existsSync(inc)) dirs.push(path.resolve(inc));
    }
  }
  return dirs;
}

/**
 * The shared libraries of LibTorch that the addon links to, in load order
 * (each after the ones it depends on), as absolute paths.
 */
function linkedLibraries(libDir, cuda) {
  const names = ['libc10.so', ...(cuda ? ['libc10_cuda.so'] : []), 'libtorch_cpu.so', ...(cuda ? ['libtorch_cuda.so'] : []), 'libtorch.so'];
  return names.map((n) => path.join(libDir, n)).filter((f) => existsSync(f));
}

/**
 * Describe the LibTorch found: paths, version, C++11 ABI, CUDA. Throws with
 * install advice if there is none. `env` defaults to process.env.
 */
function findLibTorch(env = process.env) {
  const found = fromEnv(env) ?? fromPython(env) ?? fromSystem();
  if (!found) throw new Error(HOW_TO_GET);
  const torchDir = path.resolve(found.torchDir);
  const config = readFileSync(path.join(torchDir, 'TorchConfig.cmake'), 'utf8');
  const prefix = installPrefix(torchDir, config, env);
  const versionFile = path.join(torchDir, 'TorchConfigVersion.cmake');
  const version = existsSync(versionFile)
    ? (readFileSync(versionFile, 'utf8').match(/PACKAGE_VERSION\s+"([^"]+)"/)?.[1] ?? 'unknown')
    : 'unknown';
  // Older LibTorch cmake files name the flag in TorchConfig.cmake (Debian) or
  // Caffe2Config.cmake; newer ones name none and use the compiler's default,
  // the new ABI.
  const caffe2Config = path.join(torchDir, '..', 'Caffe2', 'Caffe2Config.cmake');
  const abiText = config + (existsSync(caffe2Config) ? readFileSync(caffe2Config, 'utf8') : '');
  const abi = abiText.match(/_GLIBCXX_USE_CXX11_ABI=(\d)/)?.[1] ?? '1';
  const libDir = [path.join(prefix, 'lib'), path.dirname(path.dirname(torchDir))].find((d) =>
    existsSync(path.join(d, 'libtorch_cpu.so')),
  );
  if (!libDir) throw new Error(`LibTorch at ${torchDir}: libtorch_cpu.so not found in ${path.join(prefix, 'lib')}.\n${HOW_TO_GET}`);
  // A CUDA build ships libtorch_cuda next to libtorch_cpu.
  const cuda = existsSync(path.join(libDir, 'libtorch_cuda.so'));
  const cudaVersion = cuda ? cudaVersionOf(prefix) : undefined;
  const torchIncludeDirs = [path.join(prefix, 'include'), path.join(prefix, 'include', 'torch', 'csrc', 'api', 'include')];
  const [major = 0, minor = 0] = version.split('.').map((x) => Number.parseInt(x, 10));
  // Newer PyTorch headers require C++20; 1.x builds with C++17.
  const cxxStandard = major > 2 || (major === 2 && minor >= 10) ? 20 : 17;
  return {
    source: found.source,
    torchDir,
    prefix,
    libDir,
    // A getter: asking nvcc is for builds only, not for the addon loader.
    get includeDirs() {
      return [...torchIncludeDirs, ...(cuda ? cudaIncludeDirs(env, libDir) : [])];
    },
    version,
    cxx11Abi: Number(abi),
    cuda,
    cudaVersion: cudaVersion ?? null,
    cudaTag: cudaTagOf(cuda, cudaVersion),
    cxxStandard,
    libraries: linkedLibraries(libDir, cuda),
  };
}

module.exports = { findLibTorch, HOW_TO_GET };
