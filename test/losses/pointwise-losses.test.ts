import { describe, expect, it } from 'vitest';
import { LossInputError, maeLoss, mseLoss } from '../../src/losses/index.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { type Matrix, expandMask, f64, gradientCheck, randomMatrix, refPointwise, valueOf } from './reference.js';

const B = 6;
const K = 2;
const LOSSES = { mse: mseLoss, mae: maeLoss } as const;

function data(seed: number): { pred: Matrix; target: Matrix } {
  const rng = new Rng(seed);
  return { pred: randomMatrix(rng, B, K), target: randomMatrix(rng, B, K) };
}

const valueMaskRows: boolean[][] = [
  [true, false],
  [true, true],
  [false, true],
  [true, true],
  [false, false],
  [true, true],
];
const rowMask = [true, false, true, true, true, false];
const weights = [0.5, 2, 1, 3, 0.25, 1.5];

function boolTensor(m: boolean[][] | boolean[]): T.Tensor {
  return T.tensor(m as T.NestedNumbers, { dtype: 'bool' });
}

for (const kind of ['mse', 'mae'] as const) {
  const loss = LOSSES[kind];
  describe(`${kind}Loss`, () => {
    it("without mask and weights equals the closed form and torch's own loss", () => {
      const { pred, target } = data(1);
      const value = valueOf(() => loss(f64(pred), f64(target)));
      expect(value).toBeCloseTo(refPointwise(kind, pred, target), 14);
      const torchOwn = valueOf(() => (kind === 'mse' ? T.mseLoss(f64(pred), f64(target)) : T.l1Loss(f64(pred), f64(target))));
      expect(value).toBeCloseTo(torchOwn, 14);
    });

    it('with masks (per value and per sample) and sample weights equals the weighted mean over labelled values', () => {
      const { pred, target } = data(2);
      const nanTarget = target.map((row, b) => row.map((v, k) => (valueMaskRows[b]![k] ? v : Number.NaN)));
      const masked = valueOf(() => loss(f64(pred), f64(nanTarget), { mask: boolTensor(valueMaskRows) }));
      expect(masked).toBeCloseTo(refPointwise(kind, pred, target, { mask: valueMaskRows }), 14);
      expect(Math.abs(masked - refPointwise(kind, pred, target))).toBeGreaterThan(1e-4);
      const perSample = valueOf(() => loss(f64(pred), f64(target), { mask: T.tensor(rowMask.map(Number), { dtype: 'uint8' }) }));
      expect(perSample).toBeCloseTo(refPointwise(kind, pred, target, { mask: expandMask(rowMask, K) }), 14);
      const weighted = valueOf(() => loss(f64(pred), f64(target), { sampleWeights: f64(weights) }));
      expect(weighted).toBeCloseTo(refPointwise(kind, pred, target, { sampleWeights: weights }), 14);
      expect(Math.abs(weighted - refPointwise(kind, pred, target))).toBeGreaterThan(1e-4);
      const both = valueOf(() => loss(f64(pred), f64(nanTarget), { mask: boolTensor(valueMaskRows), sampleWeights: f64(weights) }));
      expect(both).toBeCloseTo(refPointwise(kind, pred, target, { mask: valueMaskRows, sampleWeights: weights }), 14);
    });

    it('reads [B] inputs as one output (age)', () => {
      const { pred, target } = data(3);
      const p = pred.map((r) => r[0]!);
      const t = target.map((r) => r[0]!);
      expect(valueOf(() => loss(f64(p), f64(t), { mask: boolTensor(rowMask), sampleWeights: f64(weights) }))).toBeCloseTo(
        refPointwise(kind, pred.map((r) => [r[0]!]), target.map((r) => [r[0]!]), { mask: expandMask(rowMask, 1), sampleWeights: weights }),
        14,
      );
    });

    it('is 0 with zero gradient when nothing is labelled', () => {
      const { pred, target } = data(4);
      const x = f64(pred, true);
      const l = loss(x, f64(target), { mask: boolTensor(rowMask.map(() => false)), sampleWeights: f64(weights) });
      expect(l.item()).toBe(0);
      l.backward();
      expect(x.grad!.toNumbers().every((v) => v === 0)).toBe(true);
      x.dispose();
    });

    it('has gradients equal to central finite differences; masked predictions get exactly zero', () => {
      const { pred, target } = data(5);
      for (const masked of [false, true]) {
        const { analytic, maxRelError } = gradientCheck(
          (x) => T.scope(() => loss(x, f64(target), masked ? { mask: boolTensor(valueMaskRows), sampleWeights: f64(weights) } : {})),
          pred,
        );
        expect(maxRelError).toBeLessThan(1e-6);
        if (masked) {
          valueMaskRows.flat().forEach((labelled, i) => {
            if (labelled) expect(Math.abs(analytic[i]!)).toBeGreaterThan(0);
            else expect(Math.abs(analytic[i]!)).toBe(0);
          });
        }
      }
    });

    it('keeps no intermediate tensor alive', () => {
      const { pred, target } = data(6);
      const x = f64(pred, true);
      const y = f64(target);
      const m = boolTensor(valueMaskRows);
      const w = f64(weights);
      const before = T.liveTensors();
      const l = loss(x, y, { mask: m, sampleWeights: w });
      expect(T.liveTensors()).toBe(before + 1);
      l.dispose();
      T.scope(() => {
        loss(x, y, { mask: m, sampleWeights: w }).backward();
        return x.grad!.toNumbers();
      });
      expect(T.liveTensors()).toBe(before);
      for (const t of [x, y, m, w]) t.dispose();
    });

    it('names the bad argument', () => {
      const p = f64([[0.1, 0.2], [0.3, 0.4]]);
      expect(() => loss(p, f64([[0.1, 0.2]]))).toThrow(new RegExp(`${kind}Loss: 'target' has shape \\[1, 2\\] but 'prediction' has \\[2, 2\\]`));
      expect(() => loss(p, p, { mask: boolTensor([[true, false, true]]) })).toThrow(LossInputError);
      expect(() => loss(p, p, { mask: boolTensor([[true, false, true]]) })).toThrow(/'mask' has shape \[1, 3\]/);
      expect(() => loss(p, p, { sampleWeights: f64([[1], [2]]) })).toThrow(/'sampleWeights' has shape \[2, 1\] but must be \[2\]/);
      expect(() => loss(p, T.tensor([[1, 2], [3, 4]], { dtype: 'int32' }))).toThrow(/'target' must be a floating-point tensor/);
    });
  });
}
