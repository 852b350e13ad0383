/**
 * Mean squared and mean absolute error with masks and sample weights, on
 * tensors with gradients (recipe A's MSE/MAE variants for "two", recipe
 * B's MAE on age).
 *
 * Both are a weighted mean over the labelled values:
 *
 *     L = Σ_{b,k} m_bk·w_b·e_bk / Σ_{b,k} m_bk·w_b
 *
 * with e = (x − y)² (MSE) or |x − y| (MAE), m the mask (1 where labelled)
 * and w the sample weights (1 when omitted). Without mask and weights this
 * is the plain mean, equal to torch's mse_loss / l1_loss. When no value is
 * labelled (or all weights are 0) the loss is 0 with zero gradient.
 *
 * MAE's gradient at x = y is 0 (torch's sign(0)).
 */
import { type Tensor, onesLike, scope, where } from '../torch/index.js';
import { type MaskedLossInputs, labelMask, regressionPair, sampleWeightColumn } from './loss-inputs.js';

/** Options of {@link mseLoss} and {@link maeLoss}. */
export type PointwiseLossOptions = MaskedLossInputs;

function weightedPointwise(fn: string, prediction: Tensor, target: Tensor, options: PointwiseLossOptions, error: (d: Tensor) => Tensor): Tensor {
  return scope(() => {
    const pair = regressionPair(fn, prediction, target);
    const [b, k] = pair.prediction.shape as [number, number];
    const dtype = pair.prediction.dtype;
    const valid = labelMask(fn, options.mask, [b, k], prediction.shape);
    const sampleWeights = sampleWeightColumn(fn, options.sampleWeights, b, dtype);
    let x = pair.prediction;
    let y = pair.target;
    let weight: Tensor | null = null;
    if (valid !== null) {
      // masked_fill, not a product: NaN targets at missing labels vanish and
      // the masked predictions get exactly zero gradient.
      const invalid = valid.logicalNot();
      x = x.maskedFill(invalid, 0);
      y = y.maskedFill(invalid, 0);
      weight = valid.to(dtype);
    }
    if (sampleWeights !== null) weight = weight === null ? sampleWeights.expand([b, k]) : weight.mul(sampleWeights);
    const e = error(x.sub(y));
    if (weight === null) return e.mean();
    const total = weight.sum();
    return e.mul(weight).sum().div(where(total.gt(0), total, onesLike(total)));
  });
}

/**
 * Mean squared error over the labelled values of [B, K] (or [B])
 * predictions; see the module comment for masks and weights.
 * @throws LossInputError on mismatched shapes or a bad mask or weights
 */
export function mseLoss(prediction: Tensor, target: Tensor, options: PointwiseLossOptions = {}): Tensor {
  return weightedPointwise('mseLoss', prediction, target, options, (d) => d.square());
}

/**
 * Mean absolute error over the labelled values of [B, K] (or [B])
 * predictions; see the module comment for masks and weights.
 * @throws LossInputError on mismatched shapes or a bad mask or weights
 */
export function maeLoss(prediction: Tensor, target: Tensor, options: PointwiseLossOptions = {}): Tensor {
  return weightedPointwise('maeLoss', prediction, target, options, (d) => d.abs());
}
