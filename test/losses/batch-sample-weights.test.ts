/**
 * "+SW" as recipe A's paper describes it: per-clip weights inverse to the
 * country's frequency within the batch, on a hand-made batch.
 */
import { describe, expect, it } from 'vitest';
import { LossInputError, inverseFrequencyBatchWeights } from '../../src/losses/index.js';
import * as T from '../../src/torch/index.js';
import { thrown } from '../fixtures/thrown.js';

function weights(classes: number[], mask: boolean[] | null, k = 4): number[] {
  using c = T.tensor(classes, { dtype: 'int64' });
  using m = mask === null ? null : T.tensor(mask.map(Number), { dtype: 'bool' });
  using w = inverseFrequencyBatchWeights(c, m, k);
  return Array.from(w.toArray() as Float32Array);
}

describe('inverseFrequencyBatchWeights', () => {
  it('weighs each clip N / (K · n_c) by its class count in the batch', () => {
    // 6 clips: country 2 three times, country 0 twice, country 3 once; K = 3 present, N = 6.
    const got = weights([2, 0, 2, 3, 2, 0], null);
    const expected = [6 / 9, 6 / 6, 6 / 9, 6 / 3, 6 / 9, 6 / 6];
    got.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 6));
    // Every present class carries the same total weight N/K, and the weights average to 1.
    expect(got[0]! * 3).toBeCloseTo(2, 6);
    expect(got[3]!).toBeCloseTo(2, 6);
    expect(got.reduce((a, b) => a + b, 0) / got.length).toBeCloseTo(1, 6);
  });

  it('leaves unlabelled clips at 1 and counts only labelled ones', () => {
    // Labelled: classes 1, 1, 0 (N = 3, K = 2); the masked clip's class value is junk.
    const got = weights([1, 99, 1, 0], [true, false, true, true]);
    const expected = [3 / 4, 1, 3 / 4, 3 / 2];
    got.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 6));
  });

  it('a batch of one country weighs every clip 1', () => {
    expect(weights([3, 3, 3], null)).toEqual([1, 1, 1]);
  });

  it('refuses bad shapes and dtypes', () => {
    using f = T.tensor([0, 1]);
    expect(thrown(LossInputError, () => inverseFrequencyBatchWeights(f, null, 4)).message).toContain('int64');
  });
});
