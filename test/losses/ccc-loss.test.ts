import { describe, expect, it } from 'vitest';
import { LossInputError, cccLoss } from '../../src/losses/index.js';
import { ccc as metricCcc } from '../../src/metrics/ccc.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { type Matrix, expandMask, f64, gradientCheck, randomMatrix, refCccBatch, refCccSample, valueOf } from './reference.js';
import { thrown } from '../fixtures/thrown.js';

const B = 7;
const K = 3;

/** Predictions loosely following the targets, so CCC is neither 0 nor 1. */
function data(seed: number, rows = B, cols = K): { pred: Matrix; target: Matrix } {
  const rng = new Rng(seed);
  const target = randomMatrix(rng, rows, cols);
  const pred = target.map((row) => row.map((v) => 0.6 * v + 0.2 + rng.uniform(-0.25, 0.25)));
  return { pred, target };
}

/** Seeded per-value mask with at least two labelled values per column. */
function valueMask(seed: number, rows = B, cols = K): boolean[][] {
  const rng = new Rng(seed);
  const m = Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.next() > 0.3));
  for (let k = 0; k < cols; k++) {
    m[0]![k] = true;
    m[1]![k] = true;
  }
  return m;
}

function boolTensor(m: boolean[][] | boolean[]): T.Tensor {
  return T.tensor(m as T.NestedNumbers, { dtype: 'bool' });
}

function withNaNWhereMasked(target: Matrix, mask: boolean[][]): Matrix {
  return target.map((row, b) => row.map((v, k) => (mask[b]![k] ? v : Number.NaN)));
}

describe('cccLoss over the batch (per output column)', () => {
  it('equals 1 − mean CCC from the closed form and from the project metric (population, the default)', () => {
    const { pred, target } = data(1);
    const loss = valueOf(() => cccLoss(f64(pred), f64(target)));
    expect(loss).toBeCloseTo(refCccBatch(pred, target), 12);
    let metricMean = 0;
    for (let k = 0; k < K; k++) metricMean += metricCcc(pred.map((r) => r[k]!), target.map((r) => r[k]!)) / K;
    expect(loss).toBeCloseTo(1 - metricMean, 12);
    expect(loss).toBeGreaterThan(0.05); // not a trivial agreement
  });

  it("with variant 'official' (n − 1 variances) equals the closed form and the metric's official variant", () => {
    const { pred, target } = data(2);
    const loss = valueOf(() => cccLoss(f64(pred), f64(target), { variant: 'official' }));
    expect(loss).toBeCloseTo(refCccBatch(pred, target, { variant: 'official' }), 12);
    let metricMean = 0;
    for (let k = 0; k < K; k++) metricMean += metricCcc(pred.map((r) => r[k]!), target.map((r) => r[k]!), { variant: 'official' }) / K;
    expect(loss).toBeCloseTo(1 - metricMean, 12);
    expect(Math.abs(loss - refCccBatch(pred, target))).toBeGreaterThan(1e-3); // the variants really differ
  });

  it('is 0 for a perfect prediction and 2 for a perfectly reversed one (population)', () => {
    const { target } = data(3);
    expect(valueOf(() => cccLoss(f64(target), f64(target)))).toBeCloseTo(0, 12);
    // y' = 2·mean − y has the same mean and variance and correlation −1.
    const reversed = target.map((row) => row.map((v, k) => 2 * (target.reduce((s, r) => s + r[k]!, 0) / B) - v));
    expect(valueOf(() => cccLoss(f64(reversed), f64(target)))).toBeCloseTo(2, 12);
  });

  it('with a per-value mask ignores masked values, even NaN targets there', () => {
    const { pred, target } = data(4);
    const mask = valueMask(5);
    const loss = valueOf(() => cccLoss(f64(pred), f64(withNaNWhereMasked(target, mask)), { mask: boolTensor(mask) }));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(refCccBatch(pred, target, { mask }), 12);
    expect(Math.abs(loss - refCccBatch(pred, target))).toBeGreaterThan(1e-3);
    let metricMean = 0;
    for (let k = 0; k < K; k++) {
      metricMean += metricCcc(pred.map((r) => r[k]!), target.map((r) => r[k]!), { mask: mask.map((r) => r[k]!) }) / K;
    }
    expect(loss).toBeCloseTo(1 - metricMean, 12);
  });

  it('takes a [B] per-sample mask of any dtype (uint8 as the batches carry it)', () => {
    const { pred, target } = data(6);
    const rows = [true, false, true, true, false, true, true];
    const loss = valueOf(() => cccLoss(f64(pred), f64(target), { mask: T.tensor(rows.map(Number), { dtype: 'uint8' }) }));
    expect(loss).toBeCloseTo(refCccBatch(pred, target, { mask: expandMask(rows, K) }), 12);
    expect(loss).toBeCloseTo(refCccBatch(pred.filter((_, b) => rows[b]), target.filter((_, b) => rows[b])), 12);
  });

  it('weights the moments by sample weights; scaling all weights changes nothing; uniform weights are the plain loss', () => {
    const { pred, target } = data(7);
    const weights = [0.5, 2, 1, 3, 0.25, 1.5, 1];
    const weighted = valueOf(() => cccLoss(f64(pred), f64(target), { sampleWeights: f64(weights) }));
    expect(weighted).toBeCloseTo(refCccBatch(pred, target, { sampleWeights: weights }), 12);
    expect(Math.abs(weighted - refCccBatch(pred, target))).toBeGreaterThan(1e-3);
    const scaled = valueOf(() => cccLoss(f64(pred), f64(target), { sampleWeights: f64(weights.map((w) => 7 * w)) }));
    expect(scaled).toBeCloseTo(weighted, 12);
    const uniform = valueOf(() => cccLoss(f64(pred), f64(target), { sampleWeights: f64(weights.map(() => 2)), variant: 'official' }));
    expect(uniform).toBeCloseTo(refCccBatch(pred, target, { variant: 'official' }), 12);
    const mask = valueMask(8);
    const both = valueOf(() => cccLoss(f64(pred), f64(target), { sampleWeights: f64(weights), mask: boolTensor(mask), variant: 'official' }));
    expect(both).toBeCloseTo(refCccBatch(pred, target, { sampleWeights: weights, mask, variant: 'official' }), 12);
  });

  it('reads [B] inputs as one output', () => {
    const { pred, target } = data(9, B, 1);
    const p = pred.map((r) => r[0]!);
    const t = target.map((r) => r[0]!);
    expect(valueOf(() => cccLoss(f64(p), f64(t)))).toBeCloseTo(1 - metricCcc(p, t), 12);
    const rows = [true, true, false, true, true, false, true];
    expect(valueOf(() => cccLoss(f64(p), f64(t), { mask: boolTensor(rows) }))).toBeCloseTo(1 - metricCcc(p, t, { mask: rows }), 12);
  });
});

describe('cccLoss over each sample (recipe A code)', () => {
  it('equals the per-sample closed form, population and official', () => {
    const { pred, target } = data(10, B, 10);
    for (const variant of ['population', 'official'] as const) {
      const loss = valueOf(() => cccLoss(f64(pred), f64(target), { over: 'sample', variant }));
      expect(loss).toBeCloseTo(refCccSample(pred, target, { variant }), 12);
    }
    expect(Math.abs(refCccSample(pred, target) - refCccBatch(pred, target))).toBeGreaterThan(1e-3);
  });

  it("with variant 'official' equals the authors' formula: var with n − 1 across the K outputs, cov with n", () => {
    const { pred, target } = data(11, 4, 10);
    let expected = 0;
    for (let b = 0; b < pred.length; b++) {
      const x = pred[b]!;
      const y = target[b]!;
      const n = x.length;
      const mx = x.reduce((s, v) => s + v, 0) / n;
      const my = y.reduce((s, v) => s + v, 0) / n;
      const vx = x.reduce((s, v) => s + (v - mx) ** 2, 0) / (n - 1);
      const vy = y.reduce((s, v) => s + (v - my) ** 2, 0) / (n - 1);
      const cov = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0) / n;
      expected += (1 - (2 * cov) / (vx + vy + (mx - my) ** 2)) / pred.length;
    }
    expect(valueOf(() => cccLoss(f64(pred), f64(target), { over: 'sample', variant: 'official' }))).toBeCloseTo(expected, 12);
  });

  it('with masks and sample weights equals the closed form', () => {
    const { pred, target } = data(12, B, 5);
    const mask = valueMask(13, B, 5);
    const rows = [true, true, false, true, true, true, false];
    const weights = [1, 2, 3, 0.5, 1, 4, 2];
    expect(valueOf(() => cccLoss(f64(pred), f64(withNaNWhereMasked(target, mask)), { over: 'sample', mask: boolTensor(mask) }))).toBeCloseTo(
      refCccSample(pred, target, { mask }),
      12,
    );
    expect(valueOf(() => cccLoss(f64(pred), f64(target), { over: 'sample', mask: boolTensor(rows), sampleWeights: f64(weights) }))).toBeCloseTo(
      refCccSample(pred, target, { mask: expandMask(rows, 5), sampleWeights: weights }),
      12,
    );
  });
});

describe('cccLoss on degenerate batches', () => {
  it('leaves out a column with fewer than two labelled values: no loss, no gradient, no NaN', () => {
    const { pred, target } = data(14);
    const mask = valueMask(15);
    for (let b = 0; b < B; b++) mask[b]![1] = b === 3; // column 1: one labelled value
    const expected = refCccBatch(pred, target, { mask });
    // the reference leaves column 1 out: the mean of the other two columns
    expect(expected).toBeCloseTo((refCccBatch(pred.map((r) => [r[0]!]), target.map((r) => [r[0]!]), { mask: mask.map((r) => [r[0]!]) }) +
      refCccBatch(pred.map((r) => [r[2]!]), target.map((r) => [r[2]!]), { mask: mask.map((r) => [r[2]!]) })) / 2, 12);
    const x = f64(pred, true);
    const loss = cccLoss(x, f64(target), { mask: boolTensor(mask) });
    expect(loss.item()).toBeCloseTo(expected, 12);
    loss.backward();
    const g = x.grad!.toNumbers();
    for (let b = 0; b < B; b++) expect(Math.abs(g[b * K + 1]!)).toBe(0);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
  });

  it('is 0 with zero gradient when no column has two labelled values, or nothing is labelled', () => {
    const { pred, target } = data(16);
    const oneSample = [false, false, false, true, false, false, false];
    const none = oneSample.map(() => false);
    const cases: [boolean[], 'batch' | 'sample'][] = [
      [oneSample, 'batch'],
      [none, 'batch'],
      [none, 'sample'],
    ];
    for (const [rows, over] of cases) {
      const x = f64(pred, true);
      const loss = cccLoss(x, f64(target), { mask: boolTensor(rows), over });
      expect(loss.item()).toBe(0);
      loss.backward();
      expect(x.grad!.toNumbers().every((v) => v === 0)).toBe(true);
    }
  });

  it('leaves out a column where predictions and targets are the same constant (0/0)', () => {
    const { pred, target } = data(17);
    for (const row of pred) row[2] = 0.5;
    for (const row of target) row[2] = 0.5;
    const x = f64(pred, true);
    const loss = cccLoss(x, f64(target));
    const expected = refCccBatch(pred.map((r) => r.slice(0, 2)), target.map((r) => r.slice(0, 2)));
    expect(loss.item()).toBeCloseTo(expected, 12);
    loss.backward();
    const g = x.grad!.toNumbers();
    expect(g.every(Number.isFinite)).toBe(true);
    for (let b = 0; b < B; b++) expect(Math.abs(g[b * K + 2]!)).toBe(0);
  });

  it('in the per-sample form leaves out samples with fewer than two labelled outputs', () => {
    const { pred, target } = data(18, 4, 3);
    const mask = [
      [true, true, true],
      [true, false, false],
      [false, true, true],
      [false, false, false],
    ];
    const x = f64(pred, true);
    const loss = cccLoss(x, f64(target), { over: 'sample', mask: boolTensor(mask) });
    expect(loss.item()).toBeCloseTo(refCccSample([pred[0]!, pred[2]!.slice(1)], [target[0]!, target[2]!.slice(1)]), 12);
    loss.backward();
    const g = x.grad!.toNumbers();
    for (const i of [3, 4, 5, 6, 9, 10, 11]) expect(Math.abs(g[i]!)).toBe(0);
    expect(g.every(Number.isFinite)).toBe(true);
  });
});

describe('cccLoss gradients match central finite differences (float64, h = 1e-6)', () => {
  const { pred, target } = data(20);
  const mask = valueMask(21);
  const weights = [0.5, 2, 1, 3, 0.25, 1.5, 1];
  const cases: [string, (x: T.Tensor) => T.Tensor][] = [
    ['batch, population', (x) => cccLoss(x, f64(target))],
    ['batch, official', (x) => cccLoss(x, f64(target), { variant: 'official' })],
    ['batch, per-value mask', (x) => cccLoss(x, f64(withNaNWhereMasked(target, mask)), { mask: boolTensor(mask) })],
    ['batch, sample weights and mask, official', (x) => cccLoss(x, f64(target), { mask: boolTensor(mask), sampleWeights: f64(weights), variant: 'official' })],
    ['sample, population', (x) => cccLoss(x, f64(target), { over: 'sample' })],
    ['sample, mask and weights, official', (x) => cccLoss(x, f64(target), { over: 'sample', mask: boolTensor(mask), sampleWeights: f64(weights), variant: 'official' })],
  ];
  for (const [name, loss] of cases) {
    it(name, () => {
      const { analytic, maxRelError } = gradientCheck((x) => T.scope(() => loss(x)), pred);
      expect(maxRelError).toBeLessThan(1e-6);
      expect(analytic.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    });
  }

  it('masked predictions get exactly zero gradient', () => {
    const { analytic } = gradientCheck((x) => T.scope(() => cccLoss(x, f64(withNaNWhereMasked(target, mask)), { mask: boolTensor(mask) })), pred);
    mask.flat().forEach((labelled, i) => {
      if (labelled) expect(Math.abs(analytic[i]!)).toBeGreaterThan(0);
      else expect(Math.abs(analytic[i]!)).toBe(0);
    });
  });
});

describe('cccLoss dtypes, lifetimes and bad input', () => {
  it('computes float16 input in float32 and agrees with float64 to float32 precision on float32 input', () => {
    const { pred, target } = data(22);
    const exact = refCccBatch(pred, target);
    const f32 = T.scope(() => cccLoss(T.tensor(pred), T.tensor(target)).item());
    expect(f32).toBeCloseTo(exact, 5);
    const half = T.scope(() => {
      const loss = cccLoss(T.tensor(pred).to('float16'), T.tensor(target).to('float16'));
      return { dtype: loss.dtype, value: loss.item() };
    });
    expect(half.dtype).toBe('float32');
    expect(half.value).toBeCloseTo(exact, 2);
  });

  it('keeps no intermediate tensor alive: only the returned loss, and nothing after backward in a scope', () => {
    const { pred, target } = data(23);
    const x = f64(pred, true);
    const y = f64(target);
    const m = boolTensor(valueMask(24));
    const w = f64([1, 2, 1, 2, 1, 2, 1]);
    for (const over of ['batch', 'sample'] as const) {
      const before = T.liveTensors();
      const loss = cccLoss(x, y, { mask: m, sampleWeights: w, over, variant: 'official' });
      expect(T.liveTensors()).toBe(before + 1);
      loss.dispose();
      T.scope(() => {
        cccLoss(x, y, { mask: m, sampleWeights: w, over }).backward();
        return x.grad!.toNumbers();
      });
      expect(T.liveTensors()).toBe(before);
    }
    for (const t of [x, y, m, w]) t.dispose();
  });

  it('names the bad argument', () => {
    const p = f64([[0.1, 0.2], [0.3, 0.4]]);
    const catchError = (fn: () => unknown): LossInputError => thrown(LossInputError, fn);
    const shape = catchError(() => cccLoss(p, f64([0.1, 0.2])));
    expect(shape).toBeInstanceOf(LossInputError);
    expect(shape.argument).toBe('target');
    expect(shape.message).toMatch(/cccLoss: 'target' has shape \[2\] but 'prediction' has \[2, 2\]/);
    expect(catchError(() => cccLoss(p, p, { mask: boolTensor([true, false, true]) })).message).toMatch(/'mask' has shape \[3\] but must be \[2\] or \[2, 2\]/);
    expect(catchError(() => cccLoss(p, p, { mask: boolTensor([[true], [false]]) })).argument).toBe('mask');
    expect(catchError(() => cccLoss(p, p, { sampleWeights: f64([1, 2, 3]) })).message).toMatch(/'sampleWeights' has shape \[3\] but must be \[2\]/);
    expect(catchError(() => cccLoss(T.tensor([[1, 2]], { dtype: 'int64' }), T.tensor([[1, 2]], { dtype: 'int64' }))).message).toMatch(
      /'prediction' must be a floating-point tensor/,
    );
    const cube = T.ones([2, 1, 1], { dtype: 'float64' });
    expect(catchError(() => cccLoss(cube, cube)).argument).toBe('prediction');
    expect(catchError(() => cccLoss(p, p, { variant: 'sample' as never })).argument).toBe('options.variant');
    expect(catchError(() => cccLoss(p, p, { over: 'column' as never })).argument).toBe('options.over');
    cube.dispose();
    p.dispose();
  });
});
