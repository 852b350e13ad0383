/**
 * The batch: what the data pipeline hands to the model code. Plain typed
 * arrays, ready to become tensors; every array owns its buffer, so batches
 * cross from worker threads by transfer, without a copy.
 */
import type { Task } from '../tasks.js';

/** Labels of a regression task for a batch (high, culture, two, age). */
export interface RegressionTargets {
  readonly kind: 'regression';
  /** Outputs per clip (10 for high, 40 culture, 2 two, 1 age). */
  readonly size: number;
  /**
   * Row-major [batchSize × size]. Rows whose mask is 0 hold zeros. Age is in
   * years unless `Batch.ageScaled` (then scaled to [0, 1] by `scaleAge`).
   */
  readonly values: Float32Array;
  /** [batchSize]: 1 where the clip has this label, 0 where it is missing. */
  readonly mask: Uint8Array;
}

/** Labels of a classification task for a batch (type, country). */
export interface ClassificationTargets {
  readonly kind: 'classification';
  /** Number of classes (index encoding as in the schema: BURST_TYPES, COUNTRIES). */
  readonly numClasses: number;
  /** [batchSize] class indices; 0 where the mask is 0 (never a valid-looking −1 to index with). */
  readonly values: Int32Array;
  /** [batchSize]: 1 where the clip has this label, 0 where it is missing. */
  readonly mask: Uint8Array;
}

/** Labels of one task for a batch. */
export type TaskTargets = RegressionTargets | ClassificationTargets;

/**
 * A padded batch of clips.
 *
 * Layout: clip i occupies `waveforms[i*length, i*length + lengths[i])`; the
 * rest of its row is zeros. Models must use `lengths` (e.g. to build the
 * attention mask and to pool only over real frames).
 */
export interface Batch {
  /** Clip ids, in row order. */
  readonly ids: readonly string[];
  /** Mono audio at the preprocessing rate (16 kHz by default), row-major [batchSize × length], zero-padded. */
  readonly waveforms: Float32Array;
  /** Rows in the batch (B). */
  readonly batchSize: number;
  /** Padded length in samples (T): the longest clip, rounded up to the loader's multiple, or the fixed length. */
  readonly length: number;
  /** [batchSize] true length of each clip in samples (≤ length). */
  readonly lengths: Int32Array;
  /** Labels for each task the loader was asked for; absent tasks are not keys. */
  readonly labels: Partial<Record<Task, TaskTargets>>;
  /** [batchSize] per-clip loss weights (e.g. inverse country frequency), when the loader was given weights. */
  readonly sampleWeights?: Float32Array;
  /** The task this batch was drawn for (one-task-per-batch sampling); absent for mixed batches. */
  readonly task?: Task;
  /** Whether `labels.age` is scaled to [0, 1] (undo with `unscaleAge`) rather than in years. */
  readonly ageScaled: boolean;
}

/** Which clips form one batch, and for which task. Produced by the samplers. */
export interface BatchPlan {
  /** Indices into the loader's clip list, in row order. */
  readonly clipIndices: readonly number[];
  /** The task of a one-task batch. */
  readonly task?: Task;
}

/** The typed-array buffers of a batch (for transfer lists); each is distinct. */
export function batchBuffers(batch: Batch): ArrayBuffer[] {
  const buffers: ArrayBufferLike[] = [batch.waveforms.buffer, batch.lengths.buffer];
  for (const targets of Object.values(batch.labels)) {
    if (targets !== undefined) buffers.push(targets.values.buffer, targets.mask.buffer);
  }
  if (batch.sampleWeights !== undefined) buffers.push(batch.sampleWeights.buffer);
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
