/**
 * Per-sample loss weights computed from the labels of the batch itself: the
 * "+SW" variant of recipe A as its paper describes it, "inversely
 * proportional intra-batch weights depending on Country".
 *
 * For a batch with N labelled samples spread over K classes that occur in it,
 * a sample of class c (n_c samples in the batch) weighs
 *
 *     w = N / (K · n_c)
 *
 * (the "balanced" form: every class present carries the same total weight
 * N/K, and the weights of the labelled samples average to 1). A sample
 * without a label weighs 1. Everything stays on the device: no value is
 * read back.
 */
import { type Tensor, oneHot, onesLike, scope, where } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { shapeText } from './loss-inputs.js';

/**
 * [B] float32 weights inverse to each sample's class frequency in the batch.
 * @param classes int64 [B] class indices (anything where `mask` is false)
 * @param mask bool [B] true where the label exists; null: every label exists
 * @param numClasses the number of classes
 * @throws LossInputError on bad shapes or dtypes
 */
export function inverseFrequencyBatchWeights(classes: Tensor, mask: Tensor | null, numClasses: number): Tensor {
  const fn = 'inverseFrequencyBatchWeights';
  if (classes.ndim !== 1) throw new LossInputError(fn, 'classes', `must be [B], got shape ${shapeText(classes.shape)}`);
  if (classes.dtype !== 'int64') throw new LossInputError(fn, 'classes', `must hold int64 class indices, got ${classes.dtype}`);
  if (mask !== null && (mask.ndim !== 1 || mask.shape[0] !== classes.shape[0])) {
    throw new LossInputError(fn, 'mask', `has shape ${shapeText(mask.shape)} but must be [${classes.shape[0]}]`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new LossInputError(fn, 'numClasses', `must be a positive integer, got ${numClasses}`);
  return scope(() => {
    const valid = mask === null ? null : mask.dtype === 'bool' ? mask : mask.ne(0);
    // Masked samples count as class 0 in the one-hot, then drop out of the counts.
    const safeClasses = valid === null ? classes : classes.maskedFill(valid.logicalNot(), 0);
    let hot = oneHot(safeClasses, numClasses).float(); // [B, C]
    if (valid !== null) hot = hot.mul(valid.float().unsqueeze(1));
    const counts = hot.sum(0); // [C]
    const total = counts.sum(); // N
    const present = counts.gt(0).float().sum(); // K
    const perClass = total.div(present.clamp(1, null)).div(where(counts.gt(0), counts, onesLike(counts))); // N / (K · n_c)
    const weights = hot.matmul(perClass.unsqueeze(1)).squeeze(1); // [B]: w of each labelled sample, 0 where masked
    return valid === null ? weights : where(valid, weights, onesLike(weights));
  });
}
