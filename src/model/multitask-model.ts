/**
 * What the trainer needs from a multitask model, whichever recipe it is:
 * pooled features from the backbone, a loss for a batch, predictions, and
 * the modules it trains. Recipes implement it (avb-mtl-model.ts, and the
 * Burst2Vec model).
 */
import type { Task } from '../tasks.js';
import type { Tensor, nn } from '../torch/index.js';
import type { Backbone } from './backbone.js';

/** A task's labels on the device. */
export interface DeviceTargets {
  readonly kind: 'regression' | 'classification';
  /** Regression: float32 [B, k] (age scaled to [0, 1] where the batch says so). Classification: int64 [B]. */
  readonly values: Tensor;
  /** bool [B]: true where the label exists. */
  readonly mask: Tensor;
}

/** A batch on the device: audio (or cached pooled features) and labels. */
export interface DeviceBatch {
  readonly ids: readonly string[];
  readonly size: number;
  /** Seconds of real (unpadded) audio in the batch, for throughput. */
  readonly audioSeconds: number;
  /** float32 [R, T], zero-padded: one row per clip, or per segment of a clip (see segmentWeights). Absent when features are given. */
  readonly waveforms?: Tensor;
  /** int64 [R] true lengths in samples. */
  readonly lengths?: Tensor;
  /**
   * float32 [B, R] when clips span several rows (windows of long clips):
   * row r's share of clip b (its length over the clip's total), so that a
   * clip's pooled features are the length-weighted mean of its windows'.
   */
  readonly segmentWeights?: Tensor;
  /** Rows the backbone may take in one pass (memory bound); absent: all rows at once. */
  readonly rowsPerPass?: number;
  /** Cached pooled backbone features [B, H] (frozen-backbone stages). */
  readonly features?: Tensor;
  readonly targets: Partial<Record<Task, DeviceTargets>>;
  /** float32 [B] per-clip loss weights. */
  readonly sampleWeights?: Tensor;
  /** The task of a one-task batch (recipe B). */
  readonly task?: Task;
}

/** The loss of a batch and its parts (for logging). */
export interface LossOutput {
  /** The scalar to back-propagate. */
  readonly loss: Tensor;
  /** Unweighted loss per task present in the batch (detached scalars). */
  readonly taskLosses: Partial<Record<Task, Tensor>>;
  /** Further scalars worth logging (e.g. adversarial losses), detached. */
  readonly extra?: Readonly<Record<string, Tensor>>;
}

/**
 * Predictions in the labels' units: regression [B, k] (emotions in [0, 1],
 * age scaled to [0, 1] as the targets are), classification probabilities
 * [B, C].
 */
export type TaskPredictionTensors = Partial<Record<Task, Tensor>>;

/** What one forward pass in evaluation gives: predictions, and the loss when asked for. */
export interface EvaluationOutput {
  readonly predictions: TaskPredictionTensors;
  readonly loss?: LossOutput;
}

/**
 * Settings of a model's losses that come from the run's data rather than the
 * model config. (The CCC loss's form is the model config's own
 * `cccLoss`: it never follows the metrics' `cccVariant`.)
 */
export interface ModelLossOptions {
  /** Inverse-frequency class weights per classification task (training split), used when the config asks for them. */
  classWeights?: Partial<Record<Task, Float32Array>>;
}

export interface MultitaskModel {
  readonly tasks: readonly Task[];
  readonly backbone: Backbone;
  /** Everything trained besides the backbone (heads, extractors, task weights). */
  readonly head: nn.Module;
  /** Pooled backbone features [B, H] of a batch's audio. */
  encode(batch: DeviceBatch): Tensor;
  /** Forward and loss of a batch (uses batch.features when present). */
  loss(batch: DeviceBatch): LossOutput;
  /** Predictions for a batch (uses batch.features when present). */
  predict(batch: DeviceBatch): TaskPredictionTensors;
  /**
   * Predictions and (with `withLoss`) the loss of a batch from ONE forward
   * pass: what validation needs, at the cost of one backbone pass.
   */
  evaluate(batch: DeviceBatch, options: { withLoss: boolean }): EvaluationOutput;
  /** Current effective weight of each task's loss, for logging. */
  taskWeights(): Partial<Record<Task, number>>;
  /** Free every tensor the model owns: backbone, head and any loss constants. */
  dispose(): void;
}
