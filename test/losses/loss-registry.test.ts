import { describe, expect, it } from 'vitest';
import {
  CLASSIFICATION_LOSS_NAMES,
  LossInputError,
  REGRESSION_LOSS_NAMES,
  cccLoss,
  classificationLoss,
  crossEntropyLoss,
  maeLoss,
  mseLoss,
  parseRegressionLossName,
  regressionLoss,
} from '../../src/losses/index.js';
import * as T from '../../src/torch/index.js';
import { f64, valueOf } from './reference.js';
import { thrown } from '../fixtures/thrown.js';

const pred = [[0.1, 0.9], [0.4, 0.3], [0.8, 0.5], [0.2, 0.6]];
const target = [[0.2, 0.7], [0.5, 0.1], [0.6, 0.6], [0.1, 0.9]];
const mask = [true, true, false, true];

describe('loss registry', () => {
  it('lists the names recipes may use', () => {
    expect(REGRESSION_LOSS_NAMES).toEqual(['ccc', 'mse', 'mae']);
    expect(CLASSIFICATION_LOSS_NAMES).toEqual(['cross-entropy']);
  });

  it('returns the named regression loss with its settings bound and the batch inputs passed through', () => {
    const direct = { ccc: cccLoss, mse: mseLoss, mae: maeLoss };
    for (const name of REGRESSION_LOSS_NAMES) {
      const settings = name === 'ccc' ? { ccc: { over: 'sample' as const, variant: 'official' as const } } : {};
      const fn = regressionLoss(name, settings);
      const viaRegistry = valueOf(() => fn(f64(pred), f64(target), { mask: T.tensor(mask, { dtype: 'bool' }), sampleWeights: f64([1, 2, 3, 4]) }));
      const expected = valueOf(() =>
        direct[name](f64(pred), f64(target), { ...settings.ccc, mask: T.tensor(mask, { dtype: 'bool' }), sampleWeights: f64([1, 2, 3, 4]) }),
      );
      expect(viaRegistry).toBe(expected);
    }
    // the bound CCC settings matter: the default form gives another value
    expect(valueOf(() => regressionLoss('ccc')(f64(pred), f64(target)))).not.toBeCloseTo(
      valueOf(() => regressionLoss('ccc', { ccc: { over: 'sample' } })(f64(pred), f64(target))),
      3,
    );
  });

  it('returns cross-entropy with class weights and smoothing bound', () => {
    const fn = classificationLoss('cross-entropy', { classWeights: [0.5, 2], labelSmoothing: 0.1 });
    const classes = T.tensor([0, 1, 1, 0], { dtype: 'int64' });
    const viaRegistry = valueOf(() => fn(f64(pred), classes, { mask: T.tensor(mask, { dtype: 'bool' }) }));
    const expected = valueOf(() => crossEntropyLoss(f64(pred), classes, { classWeights: [0.5, 2], labelSmoothing: 0.1, mask: T.tensor(mask, { dtype: 'bool' }) }));
    expect(viaRegistry).toBe(expected);
    classes.dispose();
  });

  it('refuses unknown names and bad settings when the loss is looked up, naming the argument', () => {
    const refusal = (fn: () => unknown): LossInputError => thrown(LossInputError, fn);
    expect(refusal(() => regressionLoss('huber')).message).toBe("regressionLoss: 'name' must be one of 'ccc', 'mse', 'mae', got \"huber\"");
    expect(refusal(() => regressionLoss('none')).argument).toBe('name');
    expect(refusal(() => parseRegressionLossName(3, 'tasks.two.loss')).argument).toBe('tasks.two.loss');
    expect(refusal(() => classificationLoss('focal')).message).toMatch(/classificationLoss: 'name' must be one of 'cross-entropy', got "focal"/);
    expect(refusal(() => classificationLoss('cross-entropy', { labelSmoothing: 2 })).argument).toBe('options.labelSmoothing');
    expect(refusal(() => regressionLoss('ccc', { ccc: { variant: 'sample' as never } })).argument).toBe('options.variant');
  });
});
