/**
 * Whether the GPU suite can run here, and why not. Every test/gpu file wraps
 * its tests in `describe.skipIf(!cuda.available)(gpuSuite(name), ...)`, so a
 * CPU machine reports the suites as skipped with the reason in their names
 * (and once on stderr), while a GPU machine runs them.
 */
import * as T from '../../src/torch/index.js';

export interface CudaStatus {
  available: boolean;
  /** Empty when available. */
  reason: string;
}

function probe(): CudaStatus {
  try {
    const info = T.buildInfo();
    if (T.cudaAvailable()) return { available: true, reason: '' };
    return {
      available: false,
      reason: info.cudaBuild
        ? `skipped: no CUDA device visible (CUDA LibTorch ${info.torchVersion})`
        : `skipped: no CUDA device (CPU-only LibTorch ${info.torchVersion})`,
    };
  } catch (err) {
    return { available: false, reason: `skipped: the native addon does not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
}

export const cuda: CudaStatus = probe();
if (!cuda.available) console.warn(`test/gpu: ${cuda.reason}`);

/** The suite name, with the skip reason where CUDA is absent. */
export function gpuSuite(name: string): string {
  return cuda.available ? name : `${name} [${cuda.reason}]`;
}

/** Largest |a − b| and largest |b|, elementwise over two equally long arrays. */
export function differences(actual: ArrayLike<number>, expected: ArrayLike<number>): { maxDiff: number; maxRef: number } {
  if (actual.length !== expected.length) throw new RangeError(`lengths differ: ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return { maxDiff, maxRef };
}

/** Elementwise closeness of two tensors (any devices), read back as float32: |a − b| ≤ atol + rtol·max|b|. */
export function closeTo(actual: T.Tensor, expected: T.Tensor, rtol: number, atol: number): { ok: boolean; maxDiff: number; bound: number } {
  const a = actual.detach().float().cpu().toArray() as Float32Array;
  const b = expected.detach().float().cpu().toArray() as Float32Array;
  const { maxDiff, maxRef } = differences(a, b);
  const bound = atol + rtol * maxRef;
  return { ok: maxDiff <= bound && a.every(Number.isFinite), maxDiff, bound };
}
