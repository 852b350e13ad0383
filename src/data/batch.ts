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
 * Audio layout: each row of `waveforms` holds one clip, or one segment of a
 * clip (a training crop, or one of the windows that cover a long clip in
 * evaluation): row r occupies `waveforms[r*length, r*length + lengths[r])`;
 * the rest of the row is zeros. Models must use `lengths` (e.g. to build the
 * attention mask and to pool only over real frames). When a clip spans
 * several rows, `segmentClip` says which clip each row belongs to; labels,
 * ids and sample weights are per clip.
 */
export interface Batch {
  /** Clip ids, in clip order. */
  readonly ids: readonly string[];
  /** Mono audio at the preprocessing rate (16 kHz by default), row-major [rows × length], zero-padded. */
  readonly waveforms: Float32Array;
  /** Clips in the batch (B): rows of the labels. */
  readonly batchSize: number;
  /** Rows of audio (R ≥ B; R = B unless a clip spans several windows). */
  readonly rows: number;
  /** Padded length in samples (T): the longest row, rounded up to the loader's multiple, or the fixed length. */
  readonly length: number;
  /** [rows] true length of each row in samples (≤ length). */
  readonly lengths: Int32Array;
  /** [rows] the clip (0 … B − 1) of each row; absent when row r is clip r. */
  readonly segmentClip?: Int32Array;
  /** Rows the backbone may take in one pass (memory bound of a batch whose clips span many windows); absent: all. */
  readonly rowsPerPass?: number;
  /** Labels for each task the loader was asked for; absent tasks are not keys. */
  readonly labels: Partial<Record<Task, TaskTargets>>;
  /** [batchSize] per-clip loss weights (e.g. inverse country frequency), when the loader was given weights. */
  readonly sampleWeights?: Float32Array;
  /** The task this batch was drawn for (one-task-per-batch sampling); absent for mixed batches. */
  readonly task?: Task;
  /** Whether `labels.age` is scaled to [0, 1] (undo with `unscaleAge`) rather than in years. */
  readonly ageScaled: boolean;
}

/** A part of a planned clip that becomes one row of audio. */
export interface ClipSegment {
  /** Position of the clip in the plan's `clipIndices`. */
  readonly clip: number;
  /** First sample (after preprocessing). */
  readonly start: number;
  /** Samples. */
  readonly length: number;
}

/** Which clips form one batch, and for which task. Produced by the samplers. */
export interface BatchPlan {
  /** Indices into the loader's clip list, in clip order. */
  readonly clipIndices: readonly number[];
  /** The task of a one-task batch. */
  readonly task?: Task;
  /** The rows of audio, in order; absent: one row per clip, the whole clip (cut to the loader's maximum length). */
  readonly segments?: readonly ClipSegment[];
  /** See Batch.rowsPerPass. */
  readonly rowsPerPass?: number;
}

/** The typed-array buffers of a batch (for transfer lists); each is distinct. */
export function batchBuffers(batch: Batch): ArrayBuffer[] {
  const buffers: ArrayBufferLike[] = [batch.waveforms.buffer, batch.lengths.buffer];
  if (batch.segmentClip !== undefined) buffers.push(batch.segmentClip.buffer);
  for (const targets of Object.values(batch.labels)) {
    if (targets !== undefined) buffers.push(targets.values.buffer, targets.mask.buffer);
  }
  if (batch.sampleWeights !== undefined) buffers.push(batch.sampleWeights.buffer);
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
