import { describe, expect, it } from 'vitest';
import { LossInputError, crossEntropyLoss } from '../../src/losses/index.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { type Matrix, f64, gradientCheck, randomMatrix, refCrossEntropy, valueOf } from './reference.js';
import { thrown } from '../fixtures/thrown.js';

const B = 8;
const C = 4;

function data(seed: number): { logits: Matrix; target: number[] } {
  const rng = new Rng(seed);
  return { logits: randomMatrix(rng, B, C, -2, 2), target: Array.from({ length: B }, () => rng.int(C)) };
}

function classes(target: number[]): T.Tensor<'int64'> {
  return T.tensor<'int64'>(target, { dtype: 'int64' });
}

const classWeights = [0.21, 0.22, 0.15, 0.42];
const sampleWeights = [1, 2, 0.5, 1, 3, 1, 0.25, 2];
const mask = [true, true, false, true, true, false, true, true];

describe('crossEntropyLoss', () => {
  it("without options equals the closed form and torch's mean cross-entropy", () => {
    const { logits, target } = data(1);
    const value = valueOf(() => crossEntropyLoss(f64(logits), classes(target)));
    expect(value).toBeCloseTo(refCrossEntropy(logits, target), 14);
    expect(value).toBeCloseTo(valueOf(() => T.crossEntropy(f64(logits), classes(target))), 14);
  });

  it("with class weights only equals torch's weighted cross-entropy (divided by the targets' weight sum), with and without smoothing", () => {
    const { logits, target } = data(2);
    for (const labelSmoothing of [0, 0.1, 1]) {
      const value = valueOf(() => crossEntropyLoss(f64(logits), classes(target), { classWeights, labelSmoothing }));
      const torchOwn = valueOf(() => T.crossEntropy(f64(logits), classes(target), { weight: f64(classWeights), labelSmoothing }));
      expect(value).toBeCloseTo(torchOwn, 14);
      expect(value).toBeCloseTo(refCrossEntropy(logits, target, { classWeights, labelSmoothing }), 14);
    }
    // a tensor of class weights in float32 gives the same value as numbers
    const fromTensor = valueOf(() => crossEntropyLoss(f64(logits), classes(target), { classWeights: T.tensor(classWeights) }));
    expect(fromTensor).toBeCloseTo(refCrossEntropy(logits, target, { classWeights: classWeights.map((w) => Math.fround(w)) }), 14);
  });

  it('with label smoothing equals the closed form, the smoothing term weighing each class by its own weight', () => {
    const { logits, target } = data(3);
    for (const labelSmoothing of [0.1, 0.3]) {
      expect(valueOf(() => crossEntropyLoss(f64(logits), classes(target), { labelSmoothing }))).toBeCloseTo(
        refCrossEntropy(logits, target, { labelSmoothing }),
        14,
      );
      expect(valueOf(() => crossEntropyLoss(f64(logits), classes(target), { labelSmoothing, classWeights, sampleWeights: f64(sampleWeights) }))).toBeCloseTo(
        refCrossEntropy(logits, target, { labelSmoothing, classWeights, sampleWeights }),
        14,
      );
    }
  });

  it('multiplies class and sample weights: an integer sample weight equals repeating the sample', () => {
    const { logits, target } = data(4);
    const counts = [1, 2, 3, 1, 0, 1, 2, 1];
    const repeatedLogits: Matrix = [];
    const repeatedTarget: number[] = [];
    counts.forEach((n, i) => {
      for (let r = 0; r < n; r++) {
        repeatedLogits.push(logits[i]!);
        repeatedTarget.push(target[i]!);
      }
    });
    for (const normalize of ['weight-sum', 'sample-count'] as const) {
      for (const labelSmoothing of [0, 0.2]) {
        const weighted = valueOf(() =>
          crossEntropyLoss(f64(logits), classes(target), { classWeights, sampleWeights: f64(counts), normalize, labelSmoothing }),
        );
        const repeated = valueOf(() => crossEntropyLoss(f64(repeatedLogits), classes(repeatedTarget), { classWeights, normalize, labelSmoothing }));
        expect(weighted).toBeCloseTo(repeated, 14);
        expect(weighted).toBeCloseTo(refCrossEntropy(logits, target, { classWeights, sampleWeights: counts, normalize, labelSmoothing }), 14);
      }
    }
    // with 'weight-sum' the repeated batch is torch's own weighted mean
    const torchRepeated = valueOf(() => T.crossEntropy(f64(repeatedLogits), classes(repeatedTarget), { weight: f64(classWeights) }));
    expect(valueOf(() => crossEntropyLoss(f64(logits), classes(target), { classWeights, sampleWeights: f64(counts) }))).toBeCloseTo(torchRepeated, 14);
  });

  it("with normalize 'sample-count' is the batch mean of torch's unreduced weighted loss (recipe A's code)", () => {
    const { logits, target } = data(5);
    const value = valueOf(() => crossEntropyLoss(f64(logits), classes(target), { classWeights, labelSmoothing: 0.1, normalize: 'sample-count' }));
    const authors = valueOf(() =>
      T.crossEntropy(f64(logits), classes(target), { weight: f64(classWeights), labelSmoothing: 0.1, reduction: 'none' }).mean(),
    );
    expect(value).toBeCloseTo(authors, 14);
    expect(Math.abs(value - refCrossEntropy(logits, target, { classWeights, labelSmoothing: 0.1 }))).toBeGreaterThan(1e-3);
  });

  it('ignores masked samples whatever their target holds, and gives them exactly zero gradient', () => {
    const { logits, target } = data(6);
    const garbage = target.map((t, i) => (mask[i] ? t : i % 2 === 0 ? -1 : 99));
    const m = T.tensor(mask.map(Number), { dtype: 'uint8' });
    const opts = { classWeights, sampleWeights: f64(sampleWeights), labelSmoothing: 0.1, mask: m };
    const value = valueOf(() => crossEntropyLoss(f64(logits), classes(garbage), opts));
    expect(value).toBeCloseTo(refCrossEntropy(logits, target, { classWeights, sampleWeights, labelSmoothing: 0.1, mask }), 14);
    const kept = mask.flatMap((k, i) => (k ? [i] : []));
    const subset = valueOf(() =>
      T.crossEntropy(f64(kept.map((i) => logits[i]!)), classes(kept.map((i) => target[i]!)), { weight: f64(classWeights), labelSmoothing: 0.1 }),
    );
    expect(valueOf(() => crossEntropyLoss(f64(logits), classes(garbage), { classWeights, labelSmoothing: 0.1, mask: m }))).toBeCloseTo(subset, 14);
    const { analytic } = gradientCheck((x) => T.scope(() => crossEntropyLoss(x, classes(garbage), opts)), logits);
    mask.forEach((labelled, i) => {
      for (let j = 0; j < C; j++) {
        if (labelled) expect(Math.abs(analytic[i * C + j]!)).toBeGreaterThan(0);
        else expect(Math.abs(analytic[i * C + j]!)).toBe(0);
      }
    });
  });

  it('is 0 with zero gradient when nothing is labelled; takes int32 targets', () => {
    const { logits, target } = data(7);
    const x = f64(logits, true);
    const loss = crossEntropyLoss(x, classes(target), { classWeights, mask: T.zeros([B], { dtype: 'bool' }) });
    expect(loss.item()).toBe(0);
    loss.backward();
    expect(x.grad!.toNumbers().every((v) => v === 0)).toBe(true);
    x.dispose();
    expect(valueOf(() => crossEntropyLoss(f64(logits), T.tensor(target, { dtype: 'int32' }), { classWeights }))).toBeCloseTo(
      refCrossEntropy(logits, target, { classWeights }),
      14,
    );
  });

  describe('gradients equal central finite differences (float64, h = 1e-6)', () => {
    const { logits, target } = data(8);
    const cases: [string, () => Parameters<typeof crossEntropyLoss>[2]][] = [
      ['plain', () => ({})],
      ['class weights', () => ({ classWeights })],
      ['class weights, smoothing, sample weights, mask', () => ({ classWeights, labelSmoothing: 0.1, sampleWeights: f64(sampleWeights), mask: T.tensor(mask, { dtype: 'bool' }) })],
      ['sample-count normalisation', () => ({ classWeights, labelSmoothing: 0.2, sampleWeights: f64(sampleWeights), normalize: 'sample-count' as const })],
    ];
    for (const [name, opts] of cases) {
      it(name, () => {
        const { maxRelError } = gradientCheck((x) => T.scope(() => crossEntropyLoss(x, classes(target), opts())), logits);
        expect(maxRelError).toBeLessThan(1e-6);
      });
    }
  });

  it('keeps no intermediate tensor alive', () => {
    const { logits, target } = data(9);
    const x = f64(logits, true);
    const y = classes(target);
    const m = T.tensor(mask, { dtype: 'bool' });
    const w = f64(sampleWeights);
    const before = T.liveTensors();
    const opts = { classWeights, labelSmoothing: 0.1, sampleWeights: w, mask: m };
    const loss = crossEntropyLoss(x, y, opts);
    expect(T.liveTensors()).toBe(before + 1);
    loss.dispose();
    T.scope(() => {
      crossEntropyLoss(x, y, opts).backward();
      return x.grad!.toNumbers();
    });
    expect(T.liveTensors()).toBe(before);
    for (const t of [x, y, m, w]) t.dispose();
  });

  it('names the bad argument', () => {
    const z = f64([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]]);
    const y = classes([0, 2]);
    const argumentOf = (fn: () => unknown): string => thrown(LossInputError, fn).argument;
    expect(() => crossEntropyLoss(z, y, { labelSmoothing: 1.5 })).toThrow(/crossEntropyLoss: 'options.labelSmoothing' must be a number in \[0, 1\], got 1.5/);
    expect(argumentOf(() => crossEntropyLoss(z, y, { labelSmoothing: -0.1 }))).toBe('options.labelSmoothing');
    expect(argumentOf(() => crossEntropyLoss(z, y, { labelSmoothing: Number.NaN }))).toBe('options.labelSmoothing');
    expect(() => crossEntropyLoss(z, y, { classWeights: [1, 2] })).toThrow(/'options.classWeights' has 2 values but the logits have 3 classes/);
    expect(argumentOf(() => crossEntropyLoss(z, y, { classWeights: f64([1, 2, 3, 4]) }))).toBe('options.classWeights');
    expect(argumentOf(() => crossEntropyLoss(z, y, { classWeights: [1, -2, 3] }))).toBe('options.classWeights');
    expect(() => crossEntropyLoss(z, classes([0, 1, 2]))).toThrow(/'target' has shape \[3\] but must be \[2\]/);
    expect(() => crossEntropyLoss(z, f64([0, 1]))).toThrow(/'target' must hold integer class indices, got float64/);
    expect(argumentOf(() => crossEntropyLoss(f64([0.1, 0.2]), y))).toBe('logits');
    expect(() => crossEntropyLoss(z, y, { mask: T.ones([2, 3], { dtype: 'bool' }) })).toThrow(/'mask' has shape \[2, 3\] but must be \[2\]/);
    expect(argumentOf(() => crossEntropyLoss(z, y, { sampleWeights: f64([1]) }))).toBe('sampleWeights');
    expect(argumentOf(() => crossEntropyLoss(z, y, { normalize: 'mean' as never }))).toBe('options.normalize');
  });
});
