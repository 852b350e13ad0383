/**
 * Batching by length: shuffle, then sort by length inside mega-batches of
 * several batches, so that each batch holds clips of similar length and
 * little of it is padding, while the order still changes every epoch.
 */
import type { Rng } from '../../util/rng.js';

/** Options of {@link bucketedBatches}. */
export interface BucketingOptions {
  /** Clips per batch. */
  readonly batchSize: number;
  /** The epoch's generator (shuffles clips and batch order). */
  readonly rng: Rng;
  /**
   * Batches per mega-batch (the sorting window). Larger windows pad less but
   * make batch contents more predictable. Default 50.
   */
  readonly batchesPerBucket?: number;
  /** Leave out a final batch smaller than batchSize. Default false. */
  readonly dropLast?: boolean;
  /**
   * Padded samples a batch may hold (clips × its longest clip): a batch of
   * long clips holds fewer of them (at least one). Default: no bound
   * besides batchSize.
   */
  readonly maxBatchLength?: number;
}

/**
 * Length-bucketed batches of `indices`: shuffle, cut into mega-batches of
 * `batchSize × batchesPerBucket`, sort each by length (longest first), cut
 * into batches of up to batchSize clips and maxBatchLength padded samples,
 * shuffle the batch order.
 * @param lengths clip lengths, indexed like the clip list (not like `indices`)
 */
export function bucketedBatches(indices: readonly number[], lengths: ArrayLike<number>, options: BucketingOptions): number[][] {
  const { batchSize, rng } = options;
  checkBatchSize(batchSize);
  const perBucket = options.batchesPerBucket ?? 50;
  if (!Number.isInteger(perBucket) || perBucket < 1) throw new RangeError(`batchesPerBucket must be a positive integer, got ${perBucket}`);
  const order = rng.shuffle([...indices]);
  const bucketSize = batchSize * perBucket;
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += bucketSize) {
    const bucket = order.slice(start, start + bucketSize);
    bucket.sort((a, b) => lengthOf(lengths, b) - lengthOf(lengths, a));
    // Longest first: a batch's first clip sets its padded length.
    for (let i = 0; i < bucket.length; ) {
      const n = clipsThatFit(lengthOf(lengths, bucket[i]!), batchSize, options.maxBatchLength);
      batches.push(bucket.slice(i, i + n));
      i += n;
    }
  }
  return finishBatches(batches, batchSize, options.dropLast ?? false, rng);
}

/** Clips of at most `longest` samples that fit a batch: batchSize, fewer when the padded budget says so (at least one). */
export function clipsThatFit(longest: number, batchSize: number, maxBatchLength: number | undefined): number {
  if (maxBatchLength === undefined) return batchSize;
  if (!(maxBatchLength > 0)) throw new RangeError(`maxBatchLength must be positive, got ${maxBatchLength}`);
  return Math.max(1, Math.min(batchSize, Math.floor(maxBatchLength / Math.max(1, longest))));
}

/** Plain shuffled batches (no length sorting), the baseline bucketing improves on. */
export function shuffledBatches(
  indices: readonly number[],
  options: { readonly batchSize: number; readonly rng: Rng; readonly dropLast?: boolean; readonly maxBatchLength?: number },
  lengths?: ArrayLike<number>,
): number[][] {
  checkBatchSize(options.batchSize);
  const order = options.rng.shuffle([...indices]);
  const batches: number[][] = [];
  if (options.maxBatchLength === undefined || lengths === undefined) {
    for (let i = 0; i < order.length; i += options.batchSize) batches.push(order.slice(i, i + options.batchSize));
  } else {
    // In shuffled order: a batch closes when the next clip would take it past a bound.
    let batch: number[] = [];
    let longest = 0;
    for (const index of order) {
      const n = lengthOf(lengths, index);
      const wider = Math.max(longest, n);
      if (batch.length > 0 && (batch.length >= options.batchSize || (batch.length + 1) * wider > options.maxBatchLength)) {
        batches.push(batch);
        batch = [];
        longest = 0;
      }
      batch.push(index);
      longest = Math.max(longest, n);
    }
    if (batch.length > 0) batches.push(batch);
  }
  return finishBatches(batches, options.batchSize, options.dropLast ?? false, options.rng);
}

/**
 * Share of a set of padded batches that is padding: Σ (B·T − Σ lengths) / Σ B·T,
 * with T the longest clip of each batch rounded up to `padToMultiple`.
 */
export function paddingFraction(batches: readonly (readonly number[])[], lengths: ArrayLike<number>, padToMultiple = 1): number {
  let padded = 0;
  let real = 0;
  for (const batch of batches) {
    let longest = 0;
    let sum = 0;
    for (const index of batch) {
      const n = lengthOf(lengths, index);
      longest = Math.max(longest, n);
      sum += n;
    }
    padded += batch.length * Math.ceil(longest / padToMultiple) * padToMultiple;
    real += sum;
  }
  return padded === 0 ? 0 : (padded - real) / padded;
}

function finishBatches(batches: number[][], batchSize: number, dropLast: boolean, rng: Rng): number[][] {
  const kept = dropLast ? batches.filter((b) => b.length === batchSize) : batches;
  return rng.shuffle(kept);
}

function lengthOf(lengths: ArrayLike<number>, index: number): number {
  const n = lengths[index];
  if (n === undefined) throw new RangeError(`no length for clip ${index}`);
  return n;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
}
