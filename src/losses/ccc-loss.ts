/**
 * The concordance loss, 1 − CCC, on tensors with gradients.
 *
 *     CCC = 2·cov(x, y) / (var(x) + var(y) + (mean(x) − mean(y))²)
 *
 * Two ways to take the statistics (`over`):
 *
 * - `'batch'` (default): for each output column, over the samples of the
 *   batch, then 1 − CCC averaged over the columns. This is the challenge
 *   metric (src/metrics/ccc.ts) computed on one batch.
 * - `'sample'`: recipe A's published code. Its CCC module takes mean and
 *   variance along the last dimension of the [B, K] prediction, that is for
 *   each sample across the K outputs of that sample (the 10 emotions of
 *   High, the 40 of Culture), and the loss is 1 − CCC averaged over the
 *   samples of the batch. The paper only says "compute the loss using the
 *   concordance correlation coefficient"; this reading comes from the
 *   authors' training script. That script's CCC uses n − 1 for the
 *   variances and n for the covariance (torch's default `var` and a plain
 *   mean), which is the `'official'` variant here: reproduce it exactly
 *   with `{ over: 'sample', variant: 'official' }`.
 *
 * Normalisers (`variant`) as in the metric: `'population'` (the project
 * default, {@link DEFAULT_CCC_VARIANT}) divides variances and covariance by
 * n; `'official'` divides the variances by n − 1.
 *
 * Masks: a masked value is left out of every mean, variance and covariance
 * and gets exactly zero gradient (see {@link MaskedLossInputs}).
 *
 * Sample weights: with `over: 'batch'` they weight the moments (weighted
 * means, variances and covariance; the weights are relative, scaling them
 * all changes nothing, and for `'official'` the variances are scaled by
 * n/(n − 1) with n the number of labelled values). With `over: 'sample'`
 * they weight the per-sample losses in the batch mean.
 *
 * Degenerate statistics never give NaN: a column (`'batch'`) or a sample
 * (`'sample'`) with fewer than two labelled values, zero total weight, or a
 * zero denominator (predictions and targets both constant and equal) has no
 * defined CCC. It is left out: it adds 0 to the loss, is not counted in the
 * average, and passes no gradient. When nothing in the batch is defined the
 * loss is 0 with zero gradient; a combiner should then skip the task (see
 * task-weighting.ts). The metric scores such a column 0 instead, because a
 * score must exist; a loss can simply abstain.
 */
import { type CccVariant, DEFAULT_CCC_VARIANT } from '../metrics/ccc.js';
import { type DType, type Tensor, onesLike, scope, where, zerosLike } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { type MaskedLossInputs, labelMask, regressionPair, sampleWeightColumn } from './loss-inputs.js';

/** Which statistics the CCC loss takes: per output over the batch, or per sample over its outputs. */
export type CccOver = 'batch' | 'sample';

/** The values of {@link CccOver}, for option checks and CLI choices. */
export const CCC_OVER_CHOICES: readonly CccOver[] = ['batch', 'sample'];

/**
 * The forms of the CCC loss a model config names (`model.cccLoss`). They fix
 * both the statistics and their normalisers, so a model's loss never depends
 * on which CCC variant the metrics report (`metrics.cccVariant`):
 *
 * - `'batch'`: per output over the batch, population normalisers (n): the
 *   challenge metric computed on one batch;
 * - `'sample'`: per sample across its outputs, population normalisers;
 * - `'sample-official'`: per sample across its outputs, n − 1 for the
 *   variances and n for the covariance: exactly the loss of recipe A's
 *   released training scripts (torch's default `var` and a plain `mean`).
 */
export type CccLossForm = 'batch' | 'sample' | 'sample-official';

/** The values of {@link CccLossForm}. */
export const CCC_LOSS_FORMS: readonly CccLossForm[] = ['batch', 'sample', 'sample-official'];

/** The loss settings of a named form; see {@link CccLossForm}. */
export function cccLossSettings(form: CccLossForm): Required<CccLossSettings> {
  switch (form) {
    case 'batch':
      return { over: 'batch', variant: 'population' };
    case 'sample':
      return { over: 'sample', variant: 'population' };
    case 'sample-official':
      return { over: 'sample', variant: 'official' };
    default:
      throw new LossInputError('cccLossSettings', 'form', `must be one of ${CCC_LOSS_FORMS.join(', ')}, got ${JSON.stringify(form)}`);
  }
}

/** Settings of the CCC loss that stay fixed for a run. */
export interface CccLossSettings {
  /** Normalisers; default {@link DEFAULT_CCC_VARIANT} ('population'). */
  variant?: CccVariant;
  /** Per output over the batch (default) or per sample over its outputs (recipe A's code). */
  over?: CccOver;
}

/** Options of {@link cccLoss}: fixed settings plus the batch's mask and sample weights. */
export interface CccLossOptions extends CccLossSettings, MaskedLossInputs {}

/** CCC of each slice along `dim`, and whether it is defined there. */
interface SliceConcordance {
  ccc: Tensor;
  defined: Tensor<'bool'>;
}

/**
 * Weighted CCC of x and y along `dim`. `weight` is zero exactly where a
 * value is masked; x and y must already be zero (and finite) there.
 */
function concordanceAlong(x: Tensor, y: Tensor, weight: Tensor, count: Tensor, dim: number, variant: CccVariant): SliceConcordance {
  const weightSum = weight.sum(dim, true);
  const positive = weightSum.gt(0);
  // Safe divisors keep every forward value finite, so an undefined slice
  // passes zero (not NaN) gradient through the where() below.
  const safeWeightSum = where(positive, weightSum, onesLike(weightSum));
  const meanX = x.mul(weight).sum(dim, true).div(safeWeightSum);
  const meanY = y.mul(weight).sum(dim, true).div(safeWeightSum);
  const dx = x.sub(meanX);
  const dy = y.sub(meanY);
  const weightedDx = dx.mul(weight);
  let varX = weightedDx.mul(dx).sum(dim, true).div(safeWeightSum);
  let varY = dy.mul(weight).mul(dy).sum(dim, true).div(safeWeightSum);
  const cov = weightedDx.mul(dy).sum(dim, true).div(safeWeightSum);
  if (variant === 'official') {
    // n/(n − 1) turns the weighted population variance into the n − 1 form.
    const bessel = count.div(count.sub(1).clamp(1, null));
    varX = varX.mul(bessel);
    varY = varY.mul(bessel);
  }
  const denominator = varX.add(varY).add(meanX.sub(meanY).square());
  const defined = count.ge(2).logicalAnd(positive).logicalAnd(denominator.gt(0));
  const ccc = cov.mul(2).div(where(defined, denominator, onesLike(denominator)));
  return { ccc: ccc.squeeze(dim), defined: defined.squeeze(dim) };
}

/** Σ values / Σ weights, or 0 (with zero gradient) when the weights sum to 0. */
function safeWeightedMean(weightedValues: Tensor, weights: Tensor): Tensor {
  const total = weights.sum();
  return weightedValues.sum().div(where(total.gt(0), total, onesLike(total)));
}

function checkSettings(settings: CccLossSettings, fn = 'cccLoss'): { variant: CccVariant; over: CccOver } {
  const variant = settings.variant ?? DEFAULT_CCC_VARIANT;
  const over = settings.over ?? 'batch';
  if (variant !== 'population' && variant !== 'official') {
    throw new LossInputError(fn, 'options.variant', `must be 'population' or 'official', got ${JSON.stringify(variant)}`);
  }
  if (!CCC_OVER_CHOICES.includes(over)) throw new LossInputError(fn, 'options.over', `must be 'batch' or 'sample', got ${JSON.stringify(over)}`);
  return { variant, over };
}

/**
 * Check CCC settings once (e.g. when a run is configured) rather than at
 * the first batch.
 * @throws LossInputError naming the bad setting
 */
export function validateCccSettings(settings: CccLossSettings): void {
  checkSettings(settings);
}

/**
 * 1 − CCC between predictions and targets ([B, K], or [B] for one output),
 * a scalar in [0, 2] with gradients. See the module comment for the two
 * `over` forms, masks, sample weights and degenerate batches.
 * @throws LossInputError on mismatched shapes, a bad mask or weights, or bad settings
 */
export function cccLoss(prediction: Tensor, target: Tensor, options: CccLossOptions = {}): Tensor {
  const { variant, over } = checkSettings(options);
  return scope(() => {
    const pair = regressionPair('cccLoss', prediction, target);
    const [b, k] = pair.prediction.shape as [number, number];
    const dtype: DType = pair.prediction.dtype;
    const valid = labelMask('cccLoss', options.mask, [b, k], prediction.shape);
    const sampleWeights = sampleWeightColumn('cccLoss', options.sampleWeights, b, dtype);

    let x = pair.prediction;
    let y = pair.target;
    let validFloat: Tensor;
    if (valid === null) {
      validFloat = onesLike(x);
    } else {
      // masked_fill (not a product with the mask) so NaN targets at missing
      // labels vanish and the masked predictions get exactly zero gradient.
      const invalid = valid.logicalNot();
      x = x.maskedFill(invalid, 0);
      y = y.maskedFill(invalid, 0);
      validFloat = valid.to(dtype);
    }

    if (over === 'batch') {
      const weight = sampleWeights === null ? validFloat : validFloat.mul(sampleWeights);
      const { ccc, defined } = concordanceAlong(x, y, weight, validFloat.sum(0, true), 0, variant);
      const perOutput = where(defined, ccc.rsub(1), zerosLike(ccc));
      return safeWeightedMean(perOutput, defined.to(dtype));
    }
    const { ccc, defined } = concordanceAlong(x, y, validFloat, validFloat.sum(1, true), 1, variant);
    let rowWeight = defined.to(dtype);
    if (sampleWeights !== null) rowWeight = rowWeight.mul(sampleWeights.squeeze(1));
    return safeWeightedMean(where(defined, ccc.rsub(1), zerosLike(ccc)).mul(rowWeight), rowWeight);
  });
}
