/**
 * Averaging gradients over the ranks after backward, before the optimizer
 * step. Parameters are grouped into buckets of about `bucketCapBytes` (by
 * dtype and device, in a fixed order every rank shares); each bucket travels
 * as one flat buffer, so a step makes a few large all-reduces rather than
 * one per parameter tensor.
 *
 * A parameter may have no gradient on some ranks (a head whose task is
 * absent from a rank's batch). It then counts as zero, and the mean is still
 * over all W ranks: exactly one process accumulating the same W batches. A
 * presence count travels with the last bucket so that a parameter no rank
 * touched keeps no gradient at all (the optimizer then skips it, as it would
 * in one process).
 */
import { TorchError } from '../torch/errors.js';
import { scope, tensor, zerosLike } from '../torch/index.js';
import type { DType, Device } from '../torch/dtype.js';
import { dtypeSize } from '../torch/dtype.js';
import type { Tensor } from '../torch/tensor.js';
import type { ProcessGroup } from '../torch/distributed.js';

/** Parameter indices per bucket, in order. */
export function planBuckets(params: readonly Tensor[], bucketCapBytes: number): number[][] {
  const buckets: { key: string; indices: number[]; bytes: number }[] = [];
  const open = new Map<string, { key: string; indices: number[]; bytes: number }>();
  params.forEach((p, i) => {
    const key = `${p.dtype}@${p.device}`;
    const bytes = p.numel * dtypeSize(p.dtype);
    let bucket = open.get(key);
    if (bucket && bucket.bytes + bytes > bucketCapBytes && bucket.indices.length > 0) bucket = undefined;
    if (!bucket) {
      bucket = { key, indices: [], bytes: 0 };
      buckets.push(bucket);
      open.set(key, bucket);
    }
    bucket.indices.push(i);
    bucket.bytes += bytes;
  });
  return buckets.map((b) => b.indices);
}

/**
 * Check that every rank holds the same parameter list (count, sizes, order):
 * otherwise the flat buffers would line up different tensors and average
 * nonsense without any error.
 */
export function checkSameParameters(group: ProcessGroup, device: Device, params: readonly Tensor[]): void {
  const signature = Float64Array.of(
    params.length,
    params.reduce((n, p) => n + p.numel, 0),
    // Sizes weighted by position: catches a reordering with equal totals.
    params.reduce((n, p, i) => (n + p.numel * ((i % 1021) + 1)) % 2 ** 40, 0),
  );
  const [low, high] = scope(() => {
    const lo = tensor(signature, { dtype: 'float64', device });
    const hi = tensor(signature, { dtype: 'float64', device });
    group.allReduce([lo], 'min');
    group.allReduce([hi], 'max');
    return [Array.from(lo.toArray() as Float64Array), Array.from(hi.toArray() as Float64Array)];
  });
  if (low!.some((v, k) => v !== high![k])) {
    throw new TorchError(
      `data-parallel: the ranks train different parameters (rank ${group.rank}: ${params.length} tensors, ${signature[1]} values; ` +
        `ranks range over ${low![0]}..${high![0]} tensors, ${low![1]}..${high![1]} values): every rank must run the same config and model`,
    );
  }
}

export interface GradientSyncOptions {
  /** Bucket size in bytes. Default 25 MiB (as PyTorch's DistributedDataParallel). */
  bucketCapBytes?: number;
}

/** Averages the gradients of a fixed parameter list over a process group. */
export class GradientSync {
  readonly buckets: number[][];
  /** Time spent in the gradient all-reduces (seconds) and their number, since creation. */
  readonly stats = { steps: 0, allReduceSeconds: 0, allReduces: 0 };

  constructor(
    private readonly group: ProcessGroup,
    private readonly params: readonly Tensor[],
    options: GradientSyncOptions = {},
  ) {
    this.buckets = planBuckets(params, options.bucketCapBytes ?? 25 * 2 ** 20);
  }

  /** Replace every gradient by its mean over the ranks (in place). */
  sync(): void {
    if (this.params.length === 0) return;
    scope(() => {
      const grads: Tensor[] = [];
      const missing: number[] = [];
      const presence = new Float32Array(this.params.length);
      this.params.forEach((p, i) => {
        let g = p.grad;
        if (g === null) {
          p.grad = zerosLike(p);
          g = p.grad!;
          missing.push(i);
        } else {
          presence[i] = 1;
        }
        grads.push(g);
      });
      const lastBucket = this.buckets[this.buckets.length - 1]!;
      const last = grads[lastBucket[0]!]!;
      const presenceT = tensor(presence, { dtype: last.dtype as DType, device: last.device });
      const t0 = performance.now();
      this.buckets.forEach((bucket) => {
        const list = bucket.map((i) => grads[i]!);
        if (bucket === lastBucket) list.push(presenceT);
        this.group.allReduce(list, 'mean');
      });
      this.stats.allReduceSeconds += (performance.now() - t0) / 1000;
      this.stats.allReduces += this.buckets.length;
      this.stats.steps++;
      if (missing.length > 0) {
        const counts = presenceT.float().toArray() as Float32Array;
        for (const i of missing) if (counts[i] === 0) this.params[i]!.grad = null;
      }
    });
  }
}
