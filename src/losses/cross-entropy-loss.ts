/**
 * Cross-entropy for the classification tasks (type, country) with class
 * weights, sample weights, label smoothing and a mask of missing labels,
 * built on the tensor API's `crossEntropy` (torch's cross_entropy).
 *
 * Per sample i with target class y_i, logits z_i, C classes, class weights
 * c (all 1 when omitted) and smoothing ε, torch's unreduced loss is
 *
 *     l_i = (1 − ε)·c_{y_i}·(−log p_{i,y_i}) + (ε/C)·Σ_j c_j·(−log p_{ij}),   p_i = softmax(z_i)
 *
 * (note the smoothing term weighs each class by its own weight). With m_i
 * the mask and s_i the sample weight (1 when omitted), the loss is
 *
 *     L = Σ_i m_i·s_i·l_i / D
 *
 * where the denominator D is chosen by `normalize`:
 * - `'weight-sum'` (default): D = Σ_i m_i·s_i·c_{y_i}. Each sample counts
 *   with weight s_i·c_{y_i}: class weight and sample weight multiply. With
 *   class weights only (no mask, no sample weights) this is exactly torch's
 *   weighted 'mean' reduction, which divides by the sum of the targets'
 *   class weights.
 * - `'sample-count'`: D = Σ_i m_i·s_i (the batch size when nothing is
 *   masked or weighted). This is recipe A's published code (unreduced
 *   weighted cross-entropy, then a plain mean over the batch): the class
 *   weights then also scale the loss as a whole.
 *
 * When no sample is labelled (or D is 0) the loss is 0 with zero gradient.
 *
 * Targets must be class indices in [0, C) wherever the mask is set; they are
 * not checked on the host (that would wait for the device every step), and
 * torch reports an out-of-range target as an error (on CUDA, as a
 * device-side assertion).
 */
import { type Tensor, crossEntropy, onesLike, scope, tensor, where } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { type MaskedLossInputs, floatInput, labelMask, lossDType, sampleWeightColumn, shapeText } from './loss-inputs.js';

/** How {@link crossEntropyLoss} normalises the weighted sum; see the module comment. */
export type CrossEntropyNormalization = 'weight-sum' | 'sample-count';

/** The values of {@link CrossEntropyNormalization}. */
export const CROSS_ENTROPY_NORMALIZATIONS: readonly CrossEntropyNormalization[] = ['weight-sum', 'sample-count'];

/** Settings of the cross-entropy that stay fixed for a run. */
export interface CrossEntropySettings {
  /** [C] weight per class (e.g. inverse class frequency); a tensor or plain numbers. */
  classWeights?: Tensor | ArrayLike<number> | null;
  /** Mix the one-hot target with the uniform distribution by this amount, in [0, 1]; default 0. */
  labelSmoothing?: number;
  /** Denominator of the weighted mean; default 'weight-sum' (torch's). */
  normalize?: CrossEntropyNormalization;
}

/** Options of {@link crossEntropyLoss}: fixed settings plus the batch's mask and sample weights. */
export interface CrossEntropyLossOptions extends CrossEntropySettings, MaskedLossInputs {}

/** Targets of masked samples become this, which torch's cross_entropy skips (loss 0, no gradient). */
const IGNORED = -100;

const INTEGER_DTYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8']);

/**
 * Check cross-entropy settings once (e.g. when a run is configured) rather
 * than at the first batch. Class weights given as numbers are checked for
 * finiteness and sign here; a tensor's values are not read.
 * @throws LossInputError naming the bad setting
 */
export function validateCrossEntropySettings(settings: CrossEntropySettings, fn = 'crossEntropyLoss'): void {
  const smoothing = settings.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new LossInputError(fn, 'options.labelSmoothing', `must be a number in [0, 1], got ${String(smoothing)}`);
  }
  const normalize = settings.normalize ?? 'weight-sum';
  if (!CROSS_ENTROPY_NORMALIZATIONS.includes(normalize)) {
    throw new LossInputError(fn, 'options.normalize', `must be 'weight-sum' or 'sample-count', got ${JSON.stringify(normalize)}`);
  }
  const weights = settings.classWeights;
  if (weights !== null && weights !== undefined && !isTensorLike(weights)) {
    for (let j = 0; j < weights.length; j++) {
      const w = weights[j] as number;
      if (!(Number.isFinite(w) && w >= 0)) throw new LossInputError(fn, 'options.classWeights', `must be finite and ≥ 0, got ${w} for class ${j}`);
    }
  }
}

function isTensorLike(x: Tensor | ArrayLike<number>): x is Tensor {
  return typeof (x as Tensor).ndim === 'number' && typeof (x as Tensor).shape === 'object';
}

/** Class weights as a [C] tensor in the logits' dtype and device, or null. */
function classWeightTensor(weights: CrossEntropySettings['classWeights'], numClasses: number, like: Tensor, dtype: Tensor['dtype']): Tensor | null {
  if (weights === null || weights === undefined) return null;
  if (isTensorLike(weights)) {
    if (weights.ndim !== 1 || weights.shape[0] !== numClasses) {
      throw new LossInputError('crossEntropyLoss', 'options.classWeights', `has shape ${shapeText(weights.shape)} but the logits have ${numClasses} classes`);
    }
    const w = floatInput('crossEntropyLoss', 'options.classWeights', weights, dtype);
    return w.device === like.device ? w : w.to({ device: like.device });
  }
  if (weights.length !== numClasses) {
    throw new LossInputError('crossEntropyLoss', 'options.classWeights', `has ${weights.length} values but the logits have ${numClasses} classes`);
  }
  return tensor(Float64Array.from(weights), { dtype, device: like.device });
}

/**
 * Cross-entropy of logits [B, C] against integer class targets [B]; see the
 * module comment for class weights, sample weights, smoothing, masks and
 * the two normalisations.
 * @throws LossInputError on bad shapes or dtypes, a bad mask or weights, or bad settings
 */
export function crossEntropyLoss(logits: Tensor, target: Tensor, options: CrossEntropyLossOptions = {}): Tensor {
  const fn = 'crossEntropyLoss';
  validateCrossEntropySettings(options, fn);
  return scope(() => {
    if (logits.ndim !== 2) throw new LossInputError(fn, 'logits', `must be [B, C], got shape ${shapeText(logits.shape)}`);
    const [b, c] = logits.shape as [number, number];
    if (b === 0) throw new LossInputError(fn, 'logits', 'is an empty batch (B = 0)');
    if (target.ndim !== 1 || target.shape[0] !== b) {
      throw new LossInputError(fn, 'target', `has shape ${shapeText(target.shape)} but must be [${b}] (one class index per row of 'logits')`);
    }
    if (!INTEGER_DTYPES.has(target.dtype)) throw new LossInputError(fn, 'target', `must hold integer class indices, got ${target.dtype}`);
    const dtype = lossDType(logits);
    const z = floatInput(fn, 'logits', logits, dtype);
    const classWeights = classWeightTensor(options.classWeights, c, z, dtype);
    const valid = labelMask(fn, options.mask, [b, 1], logits.shape, false);
    const sampleWeights = sampleWeightColumn(fn, options.sampleWeights, b, dtype);

    let classes = target.dtype === 'int64' ? target : target.long();
    let weight: Tensor | null = sampleWeights === null ? null : sampleWeights.squeeze(1);
    if (valid !== null) {
      const invalid = valid.squeeze(1).logicalNot();
      classes = classes.maskedFill(invalid, IGNORED);
      const validFloat = valid.squeeze(1).to(dtype);
      weight = weight === null ? validFloat : weight.mul(validFloat);
    }
    const perSample = crossEntropy(z, classes, {
      weight: classWeights,
      reduction: 'none',
      ignoreIndex: IGNORED,
      labelSmoothing: options.labelSmoothing ?? 0,
    });
    const numerator = weight === null ? perSample.sum() : perSample.mul(weight).sum();

    let denominatorTerms: Tensor | null = weight;
    if ((options.normalize ?? 'weight-sum') === 'weight-sum' && classWeights !== null) {
      // c_{y_i} for each sample; masked samples index class 0 and are zeroed by their weight.
      const targetWeights = classWeights.indexSelect(0, valid === null ? classes : classes.clamp(0, null));
      denominatorTerms = weight === null ? targetWeights : targetWeights.mul(weight);
    }
    const denominator = denominatorTerms === null ? null : denominatorTerms.sum();
    if (denominator === null) return numerator.div(b);
    return numerator.div(where(denominator.gt(0), denominator, onesLike(denominator)));
  });
}
