/**
 * Planning one epoch: which clips go into which batch, in which order.
 * Combines the samplers: optional joint-bin oversampling, then either
 * one-task-per-batch rotation (recipe B) or mixed batches (recipe A), each
 * length-bucketed when clip lengths are given. The plan for (seed, epoch)
 * is always the same, whatever was planned before.
 */
import { Rng } from '../../util/rng.js';
import type { Task } from '../../tasks.js';
import type { BatchPlan } from '../batch.js';
import type { Clip } from '../corpus/corpus.js';
import { oversampleJointBins, type JointOversamplingOptions } from './joint-oversampling.js';
import { bucketedBatches, shuffledBatches } from './length-bucketing.js';
import { type TaskRotationUnit, taskRotationBatches } from './task-rotation.js';

/** Options of {@link planEpoch}. */
export interface EpochPlanOptions {
  /** The loader's clip list. */
  readonly clips: readonly Clip[];
  /** The clips of this epoch (e.g. the training split). */
  readonly indices: readonly number[];
  /** Clips per batch. */
  readonly batchSize: number;
  /** Run seed. */
  readonly seed: number;
  /** Epoch number (0-based); each epoch gets its own order. */
  readonly epoch: number;
  /** Clip lengths in samples after preprocessing (indexed like `clips`): enables length bucketing (unless `bucketing` is false). */
  readonly lengths?: ArrayLike<number>;
  /** Sort clips by length within windows (with `lengths`). Default true. */
  readonly bucketing?: boolean;
  /**
   * Longest row in samples: a longer clip is read as a window of this
   * length at a random offset (drawn per epoch from the seed; needs
   * `lengths`). Default: whole clips.
   */
  readonly maxLength?: number;
  /** Padded samples a batch may hold (clips × longest row; needs `lengths`). Default: batchSize clips, whatever their length. */
  readonly maxBatchLength?: number;
  /** Batches per bucketing window. Default 50. */
  readonly batchesPerBucket?: number;
  /** Leave out batches smaller than batchSize. Default false. */
  readonly dropLast?: boolean;
  /** One task per batch, tasks in this order (recipe B). Default: mixed batches. */
  readonly taskRotation?: readonly Task[];
  /** With taskRotation: an epoch is one pass over the clips ('clips') or every task's clips once each ('task-batches', default). */
  readonly taskRotationUnit?: TaskRotationUnit;
  /** Oversample rare (age, country, emotion) bins; see joint-oversampling. Default off. */
  readonly oversample?: boolean | Omit<JointOversamplingOptions, 'rng'>;
}

/** The batches of one epoch. */
export function planEpoch(options: EpochPlanOptions): BatchPlan[] {
  if (!Number.isInteger(options.epoch) || options.epoch < 0) throw new RangeError(`epoch must be an integer ≥ 0, got ${options.epoch}`);
  const rng = new Rng(options.seed).fork(options.epoch);
  let indices = options.indices;
  if (options.oversample !== undefined && options.oversample !== false) {
    const settings = options.oversample === true ? {} : options.oversample;
    indices = oversampleJointBins(options.clips, indices, { ...settings, rng }).indices;
  }
  const { lengths, maxLength } = options;
  // Batches are formed by the lengths the rows will have (long clips cut to maxLength).
  const rowLengths = lengths !== undefined && maxLength !== undefined ? Array.from(lengths, (n) => Math.min(n, maxLength)) : lengths;
  const common = {
    batchSize: options.batchSize,
    rng,
    ...(options.batchesPerBucket === undefined ? {} : { batchesPerBucket: options.batchesPerBucket }),
    ...(options.dropLast === undefined ? {} : { dropLast: options.dropLast }),
    ...(options.maxBatchLength === undefined || rowLengths === undefined ? {} : { maxBatchLength: options.maxBatchLength }),
  };
  const bucketing = rowLengths !== undefined && (options.bucketing ?? true);
  let plans: BatchPlan[];
  if (options.taskRotation !== undefined) {
    plans = taskRotationBatches(options.clips, indices, options.taskRotation, {
      ...common,
      ...(rowLengths === undefined ? {} : { lengths: rowLengths, bucketing }),
      ...(options.taskRotationUnit === undefined ? {} : { unit: options.taskRotationUnit, epoch: options.epoch }),
    });
  } else {
    const batches = bucketing ? bucketedBatches(indices, rowLengths!, common) : shuffledBatches(indices, common, rowLengths);
    plans = batches.map((clipIndices) => ({ clipIndices }));
  }
  return lengths !== undefined && maxLength !== undefined ? withRandomCrops(plans, lengths, maxLength, new Rng(options.seed ^ CROP_SALT).fork(options.epoch)) : plans;
}

/** Keeps the crop offsets apart from the plan's own random sequence (adding crops changes no plan). */
const CROP_SALT = 0x63726f70;

/** Plans whose clips longer than `maxLength` are read as one window of it, at an offset drawn from `rng` in plan order. */
function withRandomCrops(plans: BatchPlan[], lengths: ArrayLike<number>, maxLength: number, rng: Rng): BatchPlan[] {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  return plans.map((plan) => {
    if (!plan.clipIndices.some((c) => (lengths[c] ?? 0) > maxLength)) return plan;
    const segments = plan.clipIndices.map((c, clip) => {
      const n = lengths[c] ?? 0;
      return n > maxLength ? { clip, start: rng.int(n - maxLength + 1), length: maxLength } : { clip, start: 0, length: n };
    });
    return { ...plan, segments };
  });
}
