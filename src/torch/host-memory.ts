/**
 * Host (CPU) memory of tensors: a cache of large blocks, set up when the
 * addon loads.
 *
 * LibTorch takes CPU tensor storage from malloc, and glibc maps every block
 * above its mmap threshold (128 KiB, raised to at most 32 MiB as the process
 * frees such blocks) afresh and unmaps it on free, and gives the top of its
 * heap back to the system whenever more than its trim threshold is free
 * there. A training step allocates and frees the same large activations,
 * gradients and temporaries every step, so each step maps them again and
 * pays a page fault, and the kernel's zeroing, for every 4 KiB it first
 * touches (about 500,000 faults per step for batches of 16 × 10 s with the
 * tiny backbone, 1.2 million over the demo). Raising glibc's thresholds
 * keeps that memory too, but LibTorch's aligned allocations then fragment
 * malloc's heap: a process can grow to several times the memory it uses.
 *
 * vbt installs its own CPU allocator instead (native/tensor_handle.cc):
 * blocks of 128 KiB and more are mappings of their own, and a freed one
 * waits in a cache for the next request it fits (at most 25 % larger);
 * smaller blocks go to LibTorch's allocator as before. The cache keeps at
 * most {@link hostCacheCapBytes} bytes of free blocks (the oldest beyond
 * that are unmapped), so a process holds at most that much more than it
 * uses; `releaseHostMemory()` (src/torch/cpu.ts) empties it.
 *
 * `VBT_HOST_CACHE_MB` sets the cap in MiB; `VBT_HOST_CACHE_MB=0` turns the
 * cache off (LibTorch's own allocator, glibc's malloc). Read once, when the
 * addon loads.
 */
import os from 'node:os';
import type { NativeAddon } from './native.js';

/** Default cap on the free memory the cache keeps: an eighth of the machine's memory, at most 2 GiB. */
export function defaultHostCacheCapBytes(totalMemory = os.totalmem()): number {
  return Math.min(2 * 1024 ** 3, Math.floor(totalMemory / 8));
}

/** The cap for an environment: VBT_HOST_CACHE_MB (0 turns the cache off), else the default. */
export function hostCacheCapBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VBT_HOST_CACHE_MB?.trim();
  if (raw === undefined || raw === '') return defaultHostCacheCapBytes();
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb < 0) throw new RangeError(`VBT_HOST_CACHE_MB must be a number of MiB ≥ 0 (0 turns the cache off), got '${raw}'`);
  return Math.floor(mb * 1024 ** 2);
}

/** What the host memory cache is doing. */
export interface HostMemoryState {
  /** True when vbt's cache is LibTorch's CPU allocator. */
  readonly enabled: boolean;
  /** Why it is off, when it is. */
  readonly reason?: string;
  /** Most free bytes it keeps. */
  readonly capBytes: number;
  /** Free bytes it keeps now. */
  readonly cachedBytes: number;
  /** Bytes of its blocks, in use or cached. */
  readonly mappedBytes: number;
  /** Requests served from the cache, and by new mappings. */
  readonly hits: number;
  readonly misses: number;
  /** Cached blocks unmapped to stay under the cap. */
  readonly evictions: number;
}

let offReason: string | undefined = 'the addon is not loaded yet';

/** @internal Called once by native() right after the addon loads, before any tensor exists. */
export function setUpHostMemory(addon: Pick<NativeAddon, 'hostCacheEnable'>, env: NodeJS.ProcessEnv = process.env): void {
  let cap: number;
  try {
    cap = hostCacheCapBytes(env);
  } catch (err) {
    offReason = err instanceof Error ? err.message : String(err);
    return;
  }
  if (cap === 0) {
    offReason = 'VBT_HOST_CACHE_MB=0';
    return;
  }
  offReason = addon.hostCacheEnable(cap) ? undefined : 'LibTorch kept another CPU allocator';
}

/** @internal The state, from the addon's counters (see hostMemory() in cpu.ts, which loads the addon first). */
export function hostMemoryState(addon: Pick<NativeAddon, 'hostCacheStats'>): HostMemoryState {
  const s = addon.hostCacheStats();
  return { ...s, enabled: s.enabled && offReason === undefined, ...(offReason !== undefined ? { reason: offReason } : {}) };
}
