/** Devices and process-wide settings: CUDA, seeds, threads, precision. */
import type { Device } from './dtype.js';
import { TorchError } from './errors.js';
import { type NativeBuildInfo, type NativeCudaMemory, native } from './native.js';

/** True if a CUDA GPU is usable by this build. */
export function cudaAvailable(): boolean {
  return native().cudaAvailable();
}

/** Number of CUDA devices (0 without CUDA). */
export function cudaDeviceCount(): number {
  return native().cudaDeviceCount();
}

/** Wait for all queued CUDA work on a device (no-op on CPU-only machines). */
export function synchronize(device = 0): void {
  native().cudaSynchronize(device);
}

/** CUDA caching-allocator statistics in bytes (throws on a CPU-only build). */
export function cudaMemory(device = 0): NativeCudaMemory {
  return native().cudaMemory(device);
}

/** Reset the peak statistics of cudaMemory. */
export function resetPeakMemory(device = 0): void {
  native().cudaResetPeakMemory(device);
}

/** Release cached, unused CUDA memory back to the driver. */
export function emptyCache(): void {
  native().cudaEmptyCache();
}

/** Seed the global CPU and CUDA generators (randn, dropout, initialisation). */
export function manualSeed(seed: number): void {
  native().manualSeed(seed);
}

/** Threads LibTorch uses for CPU ops. */
export function setNumThreads(n: number): void {
  native().setNumThreads(n);
}
export function getNumThreads(): number {
  return native().getNumThreads();
}

/** Allow TF32 matmuls and convolutions on Ampere and later GPUs (faster, ~10-bit mantissa). */
export function setAllowTF32(on: boolean): void {
  native().setAllowTF32(on);
}

/**
 * Run `fn` with autocast: eligible ops (matmuls, convolutions) compute in
 * `dtype` while parameters stay float32. Restores the previous state after.
 */
export function withAutocast<T>(deviceType: 'cuda' | 'cpu', dtype: 'bfloat16' | 'float16', fn: () => T): T {
  const n = native();
  const previous = n.autocastEnabled(deviceType);
  n.setAutocast(deviceType, true, dtype);
  try {
    return fn();
  } finally {
    n.setAutocast(deviceType, previous, dtype);
  }
}

/**
 * Resolve 'auto' to 'cuda' when a GPU is usable, else 'cpu'; check that a
 * requested CUDA device exists.
 */
export function resolveDevice(requested: Device | 'auto'): Device {
  if (requested === 'auto') return cudaAvailable() ? 'cuda' : 'cpu';
  if (requested.startsWith('cuda')) {
    const info = buildInfo();
    if (!cudaAvailable()) {
      throw new TorchError(
        info.cudaBuild
          ? `device '${requested}' requested but no CUDA GPU is visible`
          : `device '${requested}' requested but vbt was built against a CPU-only LibTorch (${info.torchVersion}); rebuild against a CUDA LibTorch (see README)`,
      );
    }
    const index = requested === 'cuda' ? 0 : Number(requested.slice(5));
    if (index >= cudaDeviceCount()) throw new TorchError(`device '${requested}' does not exist (${cudaDeviceCount()} CUDA devices)`);
  }
  return requested;
}

/** What the addon was built against and the devices it sees. */
export function buildInfo(): NativeBuildInfo {
  return native().buildInfo();
}
