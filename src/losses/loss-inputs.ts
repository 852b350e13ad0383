/**
 * Checking and normalising what the losses receive: predictions, targets,
 * masks of missing labels and per-sample weights. Every check here reads
 * shapes and dtypes only (host metadata), never values, so a training step
 * does not wait on the device.
 */
import { type DType, type Tensor, isFloatDType } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';

/**
 * Per-batch inputs shared by the task losses.
 *
 * A masked (missing) label takes no part in the loss: it adds nothing to any
 * sum, mean or count, and the prediction at that place gets exactly zero
 * gradient. Targets at masked places may hold anything, NaN included.
 */
export interface MaskedLossInputs {
  /**
   * Which labels exist: [B] (per sample) or the prediction's shape (per
   * value, regression only). Any dtype; non-zero (true) means labelled.
   * Omitted: every label exists.
   */
  mask?: Tensor | null;
  /**
   * [B] non-negative weight per sample (e.g. inverse country frequency,
   * recipe A's "+SW"). Omitted: every sample weighs 1.
   */
  sampleWeights?: Tensor | null;
}

/** A shape as text for error messages. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * The dtype a loss computes in: the input's own, except that float16 and
 * bfloat16 are raised to float32 (as autocast does for losses), because
 * batch statistics such as CCC's variances lose too much in 16 bits.
 */
export function lossDType(t: Tensor): DType {
  return t.dtype === 'float16' || t.dtype === 'bfloat16' ? 'float32' : t.dtype;
}

/**
 * A floating tensor in `dtype`, or a LossInputError naming `argument`.
 * Returns the input itself when nothing changes.
 */
export function floatInput(fn: string, argument: string, t: Tensor, dtype: DType): Tensor {
  if (!isFloatDType(t.dtype)) throw new LossInputError(fn, argument, `must be a floating-point tensor, got ${t.dtype}`);
  return t.dtype === dtype ? t : t.to(dtype);
}

/**
 * Regression predictions and targets as [B, K] tensors in the loss dtype.
 * [B] inputs are read as one output (K = 1). Targets must have exactly the
 * prediction's shape.
 */
export function regressionPair(fn: string, prediction: Tensor, target: Tensor): { prediction: Tensor; target: Tensor } {
  if (prediction.ndim !== 1 && prediction.ndim !== 2) {
    throw new LossInputError(fn, 'prediction', `must be [B] or [B, K], got shape ${shapeText(prediction.shape)}`);
  }
  if (!sameShape(prediction.shape, target.shape)) {
    throw new LossInputError(
      fn,
      'target',
      `has shape ${shapeText(target.shape)} but 'prediction' has ${shapeText(prediction.shape)}; they must match`,
    );
  }
  if (prediction.shape[0] === 0) throw new LossInputError(fn, 'prediction', 'is an empty batch (B = 0)');
  const dtype = lossDType(prediction);
  let p = floatInput(fn, 'prediction', prediction, dtype);
  let t = floatInput(fn, 'target', target, dtype);
  if (p.ndim === 1) {
    p = p.unsqueeze(1);
    t = t.unsqueeze(1);
  }
  return { prediction: p, target: t };
}

/**
 * The mask as a bool tensor of `shape` ([B, K]), or null when there is
 * none. A [B] mask applies to every output of its sample. With
 * `perValue` false only a [B] mask is accepted (classification).
 * @param predictionShape the caller's prediction shape, for messages and for [B]/[B, K] matching
 */
export function labelMask(
  fn: string,
  mask: Tensor | null | undefined,
  shape: readonly [number, number],
  predictionShape: readonly number[],
  perValue = true,
): Tensor<'bool'> | null {
  if (mask === null || mask === undefined) return null;
  const [b, k] = shape;
  const m = mask.dtype === 'bool' ? (mask as Tensor<'bool'>) : mask.ne(0);
  if (mask.ndim === 1 && mask.shape[0] === b) return k === 1 ? m.unsqueeze(1) : m.unsqueeze(1).expand([b, k]);
  if (perValue && sameShape(mask.shape, predictionShape)) return predictionShape.length === 1 ? m.unsqueeze(1) : m;
  const allowed = perValue && predictionShape.length === 2 ? `[${b}] or ${shapeText(predictionShape)}` : `[${b}]`;
  throw new LossInputError(fn, 'mask', `has shape ${shapeText(mask.shape)} but must be ${allowed} for a prediction of shape ${shapeText(predictionShape)}`);
}

/** Sample weights as a [B, 1] column in `dtype`, or null when there are none. */
export function sampleWeightColumn(fn: string, weights: Tensor | null | undefined, batchSize: number, dtype: DType): Tensor | null {
  if (weights === null || weights === undefined) return null;
  if (weights.ndim !== 1 || weights.shape[0] !== batchSize) {
    throw new LossInputError(fn, 'sampleWeights', `has shape ${shapeText(weights.shape)} but must be [${batchSize}] (one weight per sample)`);
  }
  return floatInput(fn, 'sampleWeights', weights, dtype).unsqueeze(1);
}
