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
import { taskRotationBatches } from './task-rotation.js';

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
  /** Clip lengths (indexed like `clips`): enables length bucketing. */
  readonly lengths?: ArrayLike<number>;
  /** Batches per bucketing window. Default 50. */
  readonly batchesPerBucket?: number;
  /** Leave out batches smaller than batchSize. Default false. */
  readonly dropLast?: boolean;
  /** One task per batch, tasks in this order (recipe B). Default: mixed batches. */
  readonly taskRotation?: readonly Task[];
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
  const common = {
    batchSize: options.batchSize,
    rng,
    ...(options.batchesPerBucket === undefined ? {} : { batchesPerBucket: options.batchesPerBucket }),
    ...(options.dropLast === undefined ? {} : { dropLast: options.dropLast }),
  };
  if (options.taskRotation !== undefined) {
    return taskRotationBatches(options.clips, indices, options.taskRotation, {
      ...common,
      ...(options.lengths === undefined ? {} : { lengths: options.lengths }),
    });
  }
  const batches = options.lengths === undefined ? shuffledBatches(indices, common) : bucketedBatches(indices, options.lengths, common);
  return batches.map((clipIndices) => ({ clipIndices }));
}
