/**
 * What the CPU side of LibTorch runs on: the machine's physical cores (the
 * default thread count: LibTorch's own default is one thread on many
 * machines), and the BLAS library doing its matrix products (Debian's
 * LibTorch links whatever `libblas.so.3` points to: the reference BLAS
 * unless an optimised one such as OpenBLAS is installed).
 */
import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { type HostMemoryState, hostMemoryState } from './host-memory.js';
import { native } from './native.js';

/** Physical cores (hyper-threads not counted), from /proc/cpuinfo; the logical count where that cannot be read. */
export function physicalCores(): number {
  try {
    const cores = new Set<string>();
    let physical = '0';
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim());
      if (key === 'physical id') physical = value ?? '0';
      if (key === 'core id') cores.add(`${physical}:${value}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // not Linux, or /proc not mounted
  }
  return os.availableParallelism();
}

export interface ThreadChoice {
  threads: number;
  /** Why this many: the config, OMP_NUM_THREADS, or the physical cores. */
  source: 'config' | 'OMP_NUM_THREADS' | 'physical cores';
}

/** The CPU threads for a `train.threads` setting: a number as given; 'auto': OMP_NUM_THREADS when set, else the physical cores. */
export function chooseThreads(setting: number | 'auto', env: NodeJS.ProcessEnv = process.env): ThreadChoice {
  if (setting !== 'auto') return { threads: setting, source: 'config' };
  const omp = Number(env.OMP_NUM_THREADS);
  if (Number.isInteger(omp) && omp > 0) return { threads: omp, source: 'OMP_NUM_THREADS' };
  return { threads: physicalCores(), source: 'physical cores' };
}

export interface BlasInfo {
  /** 'OpenBLAS', 'MKL', 'reference BLAS', ... or 'unknown'. */
  name: string;
  /** The shared library file, when one is loaded (absent for a BLAS linked into LibTorch itself). */
  library?: string;
}

/** The BLAS the loaded LibTorch uses: a BLAS library mapped into this process, else what LibTorch's build config names. */
export function blasInUse(): BlasInfo {
  const config = native().buildInfo().config;
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    // not Linux
  }
  const files = [...new Set(maps.split('\n').map((l) => l.slice(l.indexOf('/'))).filter((f) => f.startsWith('/') && /lib(open)?blas|mkl_|libblis/.test(f)))];
  for (const file of files) {
    let real = file;
    try {
      real = realpathSync(file);
    } catch {
      // keep the mapped name
    }
    if (/openblas/i.test(real)) return { name: /pthread/.test(real) ? 'OpenBLAS (pthread)' : /openmp/.test(real) ? 'OpenBLAS (OpenMP)' : 'OpenBLAS', library: real };
    if (/mkl/i.test(real)) return { name: 'MKL', library: real };
    if (/blis/i.test(real)) return { name: 'BLIS', library: real };
    if (/libblas\.so/.test(real)) return { name: 'reference BLAS (netlib)', library: real };
  }
  const declared = /BLAS_INFO=(\w+)/.exec(config)?.[1];
  if (declared) return { name: declared === 'mkl' ? 'MKL' : declared === 'open' ? 'OpenBLAS' : declared };
  return { name: 'unknown' };
}

/** The host tensor memory cache (host-memory.ts): whether it is on, its cap, what it holds, hits and misses. */
export function hostMemory(): HostMemoryState {
  return hostMemoryState(native());
}

/**
 * Give the free host memory vbt and malloc hold back to the system now: the
 * cache's free blocks (up to its cap, by default an eighth of the machine's
 * memory and at most 2 GiB) and malloc's free memory. Worth calling in a
 * long-lived process after a burst of large batches.
 */
export function releaseHostMemory(): void {
  native().hostMemoryRelease();
}

/**
 * One line of advice when the BLAS in use slows CPU work down, else null:
 * the reference BLAS (matrix products about 14× slower than OpenBLAS), or
 * OpenBLAS's pthread build with more than one thread (its own thread pool
 * competes with LibTorch's OpenMP threads: the demo took 1.7× as long as
 * with the OpenMP build on 2 cores, bench/RESULTS.md).
 */
export function blasAdvice(blas: BlasInfo, threads: number): string | null {
  if (blas.name.startsWith('reference BLAS')) {
    return 'the reference BLAS makes matrix products about 14× slower: install OpenBLAS (npm run setup does; on Debian/Ubuntu: apt-get install libopenblas0-openmp)';
  }
  if (blas.name === 'OpenBLAS (pthread)' && threads > 1) {
    return "OpenBLAS's pthread build runs its own threads beside LibTorch's and slows training on the CPU (1.7× on the demo): its OpenMP build is faster (npm run setup selects it; on Debian/Ubuntu: apt-get install libopenblas0-openmp, then update-alternatives --set for libblas.so.3, liblapack.so.3 and libopenblas.so.0)";
  }
  return null;
}
