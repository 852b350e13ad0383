import { describe, expect, it } from 'vitest';
import { ccc, cccFromMoments, DEFAULT_CCC_VARIANT, isCccDefined } from '../../src/metrics/ccc.js';
import { pairMomentsOf } from '../../src/metrics/pair-moments.js';
import { Rng } from '../../src/util/rng.js';

// x = [1, 2, 3, 4], y = [2, 2, 4, 4]
//   mean x = 2.5, deviations −1.5, −0.5, 0.5, 1.5 → Σdx² = 2.25 + 0.25 + 0.25 + 2.25 = 5
//   mean y = 3,   deviations −1, −1, 1, 1         → Σdy² = 4
//   Σ dx·dy = 1.5 + 0.5 + 0.5 + 1.5 = 4;  (mean x − mean y)² = 0.25
// population: cov = 4/4 = 1, var x = 5/4, var y = 4/4 = 1
//   CCC = 2·1 / (1.25 + 1 + 0.25) = 2 / 2.5 = 0.8
// official:   cov = 4/4 = 1, var x = 5/3, var y = 4/3
//   CCC = 2·1 / (5/3 + 4/3 + 0.25) = 2 / 3.25 = 8/13
const X = [1, 2, 3, 4];
const Y = [2, 2, 4, 4];

/** CCC as the A-VB/ExVo baseline scripts define it (FACTS.md §3): n − 1 for variances, n for covariance; two-pass. */
function officialCcc(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const a = (x[i] as number) - mx;
    const b = (y[i] as number) - my;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
  }
  return (2 * (sxy / n)) / (sxx / (n - 1) + syy / (n - 1) + (mx - my) ** 2);
}

/** Lin's CCC with population statistics, two-pass. */
function textbookCcc(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  const vx = x.reduce((s, v) => s + (v - mx) ** 2, 0) / n;
  const vy = y.reduce((s, v) => s + (v - my) ** 2, 0) / n;
  const cov = x.reduce((s, v, i) => s + (v - mx) * ((y[i] as number) - my), 0) / n;
  return (2 * cov) / (vx + vy + (mx - my) ** 2);
}

describe('ccc', () => {
  it('population is the default', () => {
    expect(DEFAULT_CCC_VARIANT).toBe('population');
    expect(ccc(X, Y)).toBe(ccc(X, Y, { variant: 'population' }));
  });

  it('matches the hand-computed values', () => {
    expect(ccc(X, Y, { variant: 'population' })).toBeCloseTo(0.8, 14);
    expect(ccc(X, Y, { variant: 'official' })).toBeCloseTo(8 / 13, 14);
  });

  it('is 1 for a perfect prediction (population) and (n−1)/n (official)', () => {
    // x = y = [1, 2, 3]: cov = Σd²/n = 2/3, official var = 2/2 = 1 → 2·(2/3)/2 = 2/3
    expect(ccc([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(ccc([1, 2, 3], [1, 2, 3], { variant: 'official' })).toBeCloseTo(2 / 3, 14);
  });

  it('is −1 for a mirrored prediction with equal means', () => {
    // means 2 and 2; Σdxdy = −1·1 + 0 + 1·(−1) = −2, var = 2/3 each → (−4/3)/(4/3)
    expect(ccc([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
  });

  it('penalises bias that Pearson ignores', () => {
    // y = x + 10: cov = var = 2/3, (mean diff)² = 100 → 2·(2/3)/(4/3 + 100)
    expect(ccc([1, 2, 3], [11, 12, 13])).toBeCloseTo((4 / 3) / (4 / 3 + 100), 14);
  });

  it('ignores masked pairs, even non-finite ones', () => {
    const x = [1, 2, 3, 4, 100, Number.NaN];
    const y = [2, 2, 4, 4, -7, 1];
    expect(ccc(x, y, { mask: [1, 1, 1, 1, 0, 0] })).toBeCloseTo(0.8, 14);
    expect(ccc(x, y, { mask: [true, true, true, true, false, false] })).toBeCloseTo(0.8, 14);
  });

  it('refuses a non-finite labelled value instead of returning NaN', () => {
    expect(() => ccc([1, Number.NaN, 3], [1, 2, 3])).toThrow(RangeError);
    expect(() => ccc([1, 2, 3], [1, Infinity, 3])).toThrow(RangeError);
    expect(() => ccc([1, 2], [1, 2, 3])).toThrow(RangeError);
  });

  it('matches the official script formula on seeded random data', () => {
    const rng = new Rng(7);
    for (const n of [2, 3, 10, 257, 5000]) {
      const y = Array.from({ length: n }, () => rng.next());
      const x = y.map((v) => 0.6 * v + 0.2 + 0.15 * rng.normal());
      expect(ccc(x, y, { variant: 'official' })).toBeCloseTo(officialCcc(x, y), 12);
      expect(ccc(x, y, { variant: 'population' })).toBeCloseTo(textbookCcc(x, y), 12);
      // the two variants differ, by at most a factor (n − 1)/n
      const ratio = ccc(x, y, { variant: 'official' }) / ccc(x, y, { variant: 'population' });
      expect(ratio).toBeLessThan(1);
      expect(ratio).toBeGreaterThanOrEqual((n - 1) / n - 1e-12);
    }
  });

  it('keeps its precision far from zero (no sum-of-squares cancellation)', () => {
    const rng = new Rng(11);
    const a = Array.from({ length: 1000 }, () => rng.next());
    const b = a.map((v) => v + 0.1 * rng.normal());
    const offset = 1e7;
    // Shifting both by the same offset leaves CCC unchanged. A naive
    // Σx² − (Σx)²/n would lose about 14 of 16 digits here.
    const shifted = ccc(
      a.map((v) => v + offset),
      b.map((v) => v + offset),
    );
    expect(shifted).toBeCloseTo(ccc(a, b), 7);
  });

  describe('degenerate input gives 0, never NaN', () => {
    it('with fewer than two pairs', () => {
      expect(ccc([], [])).toBe(0);
      expect(ccc([0.3], [0.3])).toBe(0);
      expect(ccc([0.3], [0.3], { variant: 'official' })).toBe(0);
      expect(isCccDefined(pairMomentsOf([0.3], [0.3]))).toBe(false);
    });

    it('when both sides are constant and equal (0/0)', () => {
      expect(ccc([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])).toBe(0);
      expect(ccc([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], { variant: 'official' })).toBe(0);
      expect(isCccDefined(pairMomentsOf([0.5, 0.5], [0.5, 0.5]))).toBe(false);
    });

    it('when one side is constant (the formula gives 0 and it is defined)', () => {
      // constant prediction: cov = 0, denominator = var y + bias² > 0
      expect(ccc([0.3, 0.3, 0.3], [0, 1, 2])).toBe(0);
      expect(isCccDefined(pairMomentsOf([0.3, 0.3, 0.3], [0, 1, 2]))).toBe(true);
      // both constant but different: denominator = 1
      expect(ccc([1, 1], [2, 2])).toBe(0);
    });

    it('cccFromMoments of empty moments', () => {
      expect(cccFromMoments({ n: 0, meanX: 0, meanY: 0, m2X: 0, m2Y: 0, cXY: 0 })).toBe(0);
    });
  });
});
