/**
 * `avb-mtl-code` is recipe A as the released script (`mtl4rmsgmd.py`) runs
 * it: each difference from the paper-as-written recipe is a setting of its
 * own, and everything else is `avb-mtl`'s.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { recipeNames } from '../../src/config/recipes/index.js';

describe('recipe avb-mtl-code', () => {
  it('differs from avb-mtl exactly in the released code’s points', () => {
    expect(recipeNames()).toContain('avb-mtl-code');
    const paper = resolveConfig({ recipe: 'avb-mtl' });
    const code = resolveConfig({ recipe: 'avb-mtl-code' });
    if (paper.model.kind !== 'avb-mtl' || code.model.kind !== 'avb-mtl') throw new Error('recipe A models expected');
    expect(code.model).toEqual({
      ...paper.model,
      pooling: 'padded-mean',
      padTo: 159360,
      classifierOutput: 'softmax',
      labelSmoothing: 0.1,
      crossEntropyNorm: 'sample-count',
      classWeightScale: 'sum-one',
      validationClassWeights: 'uniform',
      cccLoss: 'sample-official',
    });
    expect(paper.model).toMatchObject({ pooling: 'mean', classifierOutput: 'logits', labelSmoothing: 0, crossEntropyNorm: 'weight-sum', cccLoss: 'batch' });
    expect(code.train.stages.map((s) => [s.patience, s.epochs])).toEqual([
      [3, 32],
      [3, 32],
    ]);
    expect(paper.train.stages.map((s) => [s.patience, s.epochs])).toEqual([
      [2, 30],
      [2, 30],
    ]);
    expect(code.train.bestCheckpoint).toBe('last-stage');
    expect(paper.train.bestCheckpoint).toBe('run');
    expect(code.data.batchSize).toBe(2);
    expect(code.data.preprocess.maxSeconds! * 16000).toBeCloseTo(159360, 6);
    expect({ ...code.train.stages[1], patience: 2, epochs: 30 }).toEqual(paper.train.stages[1]);
    expect(code.train.monitor).toEqual(paper.train.monitor);
  });
});
