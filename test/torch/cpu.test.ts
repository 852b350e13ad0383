/**
 * The CPU side (src/torch/cpu.ts): the thread count chosen for a setting, the
 * BLAS named as the library this process really mapped, and the advice given
 * for a BLAS that slows training.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

describe('CPU threads and BLAS', () => {
  it('takes threads from the config, else OMP_NUM_THREADS, else the physical cores', () => {
    expect(T.chooseThreads(3, { OMP_NUM_THREADS: '7' })).toEqual({ threads: 3, source: 'config' });
    expect(T.chooseThreads('auto', { OMP_NUM_THREADS: '7' })).toEqual({ threads: 7, source: 'OMP_NUM_THREADS' });
    expect(T.chooseThreads('auto', { OMP_NUM_THREADS: 'many' })).toEqual({ threads: T.physicalCores(), source: 'physical cores' });
    expect(T.physicalCores()).toBeGreaterThanOrEqual(1);
  });

  it('names the BLAS library mapped into this process', () => {
    T.zeros([2, 2]).matmul(T.ones([2, 2])).dispose(); // the addon and LibTorch are loaded
    const blas = T.blasInUse();
    const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.slice(l.indexOf('/'))))]
      .filter((f) => /lib(open)?blas/.test(f))
      .map((f) => realpathSync(f));
    if (mapped.length === 0) {
      expect(blas.library).toBeUndefined();
      return;
    }
    expect(mapped).toContain(blas.library);
    const expected = /openblas-openmp/.test(blas.library!)
      ? 'OpenBLAS (OpenMP)'
      : /openblas-pthread/.test(blas.library!)
        ? 'OpenBLAS (pthread)'
        : /openblas/.test(blas.library!)
          ? 'OpenBLAS'
          : 'reference BLAS (netlib)';
    expect(blas.name).toBe(expected);
  });

  it('advises against the reference BLAS, and against the pthread OpenBLAS with several threads', () => {
    expect(T.blasAdvice({ name: 'reference BLAS (netlib)' }, 1)).toMatch(/14× slower.*libopenblas0-openmp/);
    expect(T.blasAdvice({ name: 'OpenBLAS (pthread)' }, 2)).toMatch(/OpenMP build is faster.*libopenblas0-openmp/);
    expect(T.blasAdvice({ name: 'OpenBLAS (pthread)' }, 1)).toBeNull();
    expect(T.blasAdvice({ name: 'OpenBLAS (OpenMP)' }, 16)).toBeNull();
    expect(T.blasAdvice({ name: 'MKL' }, 16)).toBeNull();
  });
});
