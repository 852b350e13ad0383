/** `vbt info`: what vbt runs on. */
import os from 'node:os';
import type { Argv } from 'yargs';
import { readFileSync } from 'node:fs';
import { findLibTorch } from '../../torch/addon-loader.js';
import { blasAdvice, blasInUse, buildInfo, chooseThreads, cudaAvailable, physicalCores } from '../../torch/index.js';
import { addonOrigin } from '../../torch/native.js';
import { vbtVersion } from '../../util/package-info.js';

/** How the discovery found LibTorch, in words. */
function describeSource(source: string): string {
  if (source === 'system') return 'the system install (Debian/Ubuntu libtorch-dev)';
  if (source === 'LIBTORCH') return 'the LIBTORCH variable';
  if (source === 'Torch_DIR') return 'the Torch_DIR variable';
  if (source.startsWith('python')) return `the torch of ${source.slice(source.indexOf('(') + 1, -1) || 'python3'}`;
  return source;
}

/** The LibTorch libraries this process has loaded (the addon's, whichever way it was found). */
function loadedLibTorch(): string[] {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    return [...new Set(maps.split('\n').map((l) => l.slice(l.indexOf('/'))).filter((f) => /\/lib(torch_cpu|torch_cuda|c10)\.so/.test(f)))];
  } catch {
    return [];
  }
}

function formatVersion(v: number | undefined, kind: 'cuda' | 'cudnn'): string {
  if (v === undefined) return 'n/a';
  // CUDA runtime versions are encoded as 1000·major + 10·minor, cuDNN's as major·10000+minor·100+patch (9.x) or 1000·major + 100·minor + patch (8.x).
  if (kind === 'cuda') return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
  return v >= 90000 ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}` : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
}

export function infoCommand(yargs: Argv): Argv {
  return yargs.command(
    'info',
    'Show the LibTorch build, CUDA devices and threads vbt uses',
    (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }).example('$0 info', 'Show versions and devices'),
    (args) => {
      const info = buildInfo();
      const origin = addonOrigin();
      const found = findLibTorch();
      const summary = {
        vbt: vbtVersion(),
        vbtAddon: origin.file,
        addonKind: origin.kind,
        libtorch: info.torchVersion,
        libtorchFound: 'install' in found ? { how: describeSource(found.install.source), prefix: found.install.prefix, version: found.install.version } : { error: found.error },
        libtorchLoaded: loadedLibTorch(),
        cudaBuild: info.cudaBuild,
        cudaAvailable: cudaAvailable(),
        cudaRuntime: info.cudaRuntime === undefined ? null : formatVersion(info.cudaRuntime, 'cuda'),
        cudnn: info.cudnn === undefined ? null : formatVersion(info.cudnn, 'cudnn'),
        devices: info.devices,
        threads: chooseThreads('auto'),
        cpuCores: os.availableParallelism(),
        physicalCores: physicalCores(),
        blas: blasInUse(),
        cxx11Abi: info.cxx11Abi,
        node: process.version,
      };
      if (args.json) {
        console.log(JSON.stringify({ ...summary, config: info.config }, null, 2));
        return;
      }
      console.log(`vbt            ${summary.vbt}`);
      console.log(`LibTorch       ${summary.libtorch} (${summary.cudaBuild ? 'CUDA build' : 'CPU-only build'}, C++11 ABI ${summary.cxx11Abi ? 'on' : 'off'})`);
      const f = summary.libtorchFound;
      console.log(`  found        ${'how' in f ? `${f.prefix} (LibTorch ${f.version}), through ${f.how}` : `none: ${f.error.split('\n')[0]}`}`);
      if (summary.libtorchLoaded.length > 0) console.log(`  loaded       ${summary.libtorchLoaded.join(', ')}`);
      const kind = { env: 'VBT_NATIVE_PATH', prebuild: 'prebuilt', local: 'local build' }[summary.addonKind];
      console.log(`addon          ${summary.vbtAddon} (${kind})`);
      console.log(`CUDA           ${summary.cudaAvailable ? `available, runtime ${summary.cudaRuntime}, cuDNN ${summary.cudnn ?? 'n/a'}` : 'not available'}`);
      for (const d of info.devices) {
        console.log(`  cuda:${d.index}         ${d.name}, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB, compute ${d.capability}, ${d.multiprocessors} SMs`);
      }
      console.log(`CPU threads    ${summary.threads.threads} by default (${summary.threads.source}; ${summary.physicalCores} physical of ${summary.cpuCores} logical cores)`);
      console.log(`BLAS           ${summary.blas.name}${summary.blas.library ? ` (${summary.blas.library})` : ''}`);
      const advice = blasAdvice(summary.blas, summary.threads.threads);
      if (advice !== null) console.log(`  note         ${advice}`);
      console.log(`Node.js        ${summary.node}`);
      console.log('\nBuild flags:\n' + info.config.trim());
    },
  );
}
