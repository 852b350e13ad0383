/**
 * Task losses by name, so a recipe can say per task which loss to use:
 * regression 'ccc' | 'mse' | 'mae' (recipe A trains "two" with each, or
 * drops the task, which is a matter of the task list, not of a loss), and
 * classification 'cross-entropy'. Every loss here has one call shape,
 * {@link TaskLossFn}, with run-wide settings bound when it is looked up.
 */
import type { Tensor } from '../torch/index.js';
import { type CccLossSettings, cccLoss, validateCccSettings } from './ccc-loss.js';
import { type CrossEntropySettings, crossEntropyLoss, validateCrossEntropySettings } from './cross-entropy-loss.js';
import { LossInputError } from './loss-input-error.js';
import type { MaskedLossInputs } from './loss-inputs.js';
import { maeLoss, mseLoss } from './pointwise-losses.js';

/** A regression loss by name. */
export type RegressionLossName = 'ccc' | 'mse' | 'mae';
/** The regression loss names, for option checks and CLI choices. */
export const REGRESSION_LOSS_NAMES: readonly RegressionLossName[] = ['ccc', 'mse', 'mae'];

/** A classification loss by name. */
export type ClassificationLossName = 'cross-entropy';
/** The classification loss names. */
export const CLASSIFICATION_LOSS_NAMES: readonly ClassificationLossName[] = ['cross-entropy'];

/**
 * A task loss with its run-wide settings bound: predictions (regression
 * outputs [B, K], or logits [B, C]), targets, and the batch's mask and
 * sample weights; returns a scalar with gradients.
 */
export type TaskLossFn = (prediction: Tensor, target: Tensor, inputs?: MaskedLossInputs) => Tensor;

/** Run-wide settings of the regression losses (only CCC has any). */
export interface RegressionLossSettings {
  ccc?: CccLossSettings;
}

/**
 * `name` as a regression loss name.
 * @param argument how the caller names the value in messages (e.g. a config path)
 * @throws LossInputError naming `argument` when it is not one
 */
export function parseRegressionLossName(name: unknown, argument = 'name'): RegressionLossName {
  if (typeof name === 'string' && (REGRESSION_LOSS_NAMES as readonly string[]).includes(name)) return name as RegressionLossName;
  throw new LossInputError('regressionLoss', argument, `must be one of ${REGRESSION_LOSS_NAMES.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`);
}

/**
 * `name` as a classification loss name.
 * @param argument how the caller names the value in messages
 * @throws LossInputError naming `argument` when it is not one
 */
export function parseClassificationLossName(name: unknown, argument = 'name'): ClassificationLossName {
  if (typeof name === 'string' && (CLASSIFICATION_LOSS_NAMES as readonly string[]).includes(name)) return name as ClassificationLossName;
  throw new LossInputError(
    'classificationLoss',
    argument,
    `must be one of ${CLASSIFICATION_LOSS_NAMES.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`,
  );
}

/**
 * The regression loss called `name`, with its settings checked and bound.
 * @throws LossInputError on an unknown name or bad settings
 */
export function regressionLoss(name: string, settings: RegressionLossSettings = {}): TaskLossFn {
  switch (parseRegressionLossName(name)) {
    case 'ccc': {
      const ccc = { ...settings.ccc };
      validateCccSettings(ccc);
      return (prediction, target, inputs = {}) => cccLoss(prediction, target, { ...ccc, ...inputs });
    }
    case 'mse':
      return (prediction, target, inputs = {}) => mseLoss(prediction, target, inputs);
    case 'mae':
      return (prediction, target, inputs = {}) => maeLoss(prediction, target, inputs);
  }
}

/**
 * The classification loss called `name`, with its settings checked and
 * bound. Class weights given as numbers are uploaded at each call; pass a
 * tensor on the training device to avoid that.
 * @throws LossInputError on an unknown name or bad settings
 */
export function classificationLoss(name: string, settings: CrossEntropySettings = {}): TaskLossFn {
  parseClassificationLossName(name);
  const bound = { ...settings };
  validateCrossEntropySettings(bound, 'classificationLoss');
  return (logits, target, inputs = {}) => crossEntropyLoss(logits, target, { ...bound, ...inputs });
}
