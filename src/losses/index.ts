/**
 * Task losses on tensors with gradients (CCC, MSE, MAE, cross-entropy, all
 * with masks of missing labels and sample weights), the combiners that
 * weigh tasks (learned uncertainty, fixed), and a registry by name.
 */
export { inverseFrequencyBatchWeights } from './batch-sample-weights.js';
export {
  CCC_LOSS_FORMS,
  CCC_OVER_CHOICES,
  type CccLossForm,
  type CccLossOptions,
  type CccLossSettings,
  type CccOver,
  cccLoss,
  cccLossSettings,
  validateCccSettings,
} from './ccc-loss.js';
export {
  CROSS_ENTROPY_NORMALIZATIONS,
  type CrossEntropyLossOptions,
  type CrossEntropyNormalization,
  type CrossEntropySettings,
  crossEntropyLoss,
  validateCrossEntropySettings,
} from './cross-entropy-loss.js';
export { FixedWeighting } from './fixed-weighting.js';
export { LossInputError } from './loss-input-error.js';
export type { MaskedLossInputs } from './loss-inputs.js';
export {
  CLASSIFICATION_LOSS_NAMES,
  type ClassificationLossName,
  REGRESSION_LOSS_NAMES,
  type RegressionLossName,
  type RegressionLossSettings,
  type TaskLossFn,
  classificationLoss,
  parseClassificationLossName,
  parseRegressionLossName,
  regressionLoss,
} from './loss-registry.js';
export { type PointwiseLossOptions, maeLoss, mseLoss } from './pointwise-losses.js';
export { type TaskLosses, TaskWeighting, checkTaskNames } from './task-weighting.js';
export { UNCERTAINTY_FORMS, type UncertaintyForm, UncertaintyWeighting, type UncertaintyWeightingOptions } from './uncertainty-weighting.js';
export { type TaskWeightingSpec, createTaskWeighting } from './weighting-factory.js';
