import { describe, expect, it } from 'vitest';
import { absErrorOf, mae, maeFromStats, mergeAbsError } from '../../src/metrics/mae.js';
import { smtl } from '../../src/metrics/smtl.js';

/** ExVo S_MTL as FACTS.md §3 states it: the harmonic mean of (CCC, UAR, 1/MAE). */
function harmonicMean(values: number[]): number {
  return values.length / values.reduce((s, v) => s + 1 / v, 0);
}

describe('mae', () => {
  it('matches the hand-computed value in years', () => {
    // |20 − 22| + |30 − 27| + |25 − 25| = 2 + 3 + 0 = 5 → 5/3
    expect(mae([20, 30, 25], [22, 27, 25])).toBeCloseTo(5 / 3, 14);
  });

  it('honours the mask and merges', () => {
    expect(mae([20, 30, 25, 99], [22, 27, 25, 0], [1, 1, 1, 0])).toBeCloseTo(5 / 3, 14);
    const merged = mergeAbsError(absErrorOf([20], [22]), absErrorOf([30, 25], [27, 25]));
    expect(maeFromStats(merged)).toBeCloseTo(5 / 3, 14);
  });

  it('throws on zero samples or non-finite values', () => {
    expect(() => mae([], [])).toThrow(RangeError);
    expect(() => mae([1, Number.NaN], [1, 2])).toThrow(RangeError);
  });
});

describe('smtl', () => {
  it('matches a hand-computed example', () => {
    // CCC 0.5, UAR 0.5, MAE 2: 3 / (2 + 2 + 2) = 0.5
    expect(smtl(0.5, 0.5, 2)).toBe(0.5);
  });

  it("reproduces paper B's best single model (Table 2, V1 WL)", () => {
    // 1/.653 = 1.531394, 1/.672 = 1.488095; 3 / (1.531394 + 1.488095 + 3.672) = 0.448331
    expect(smtl(0.653, 0.672, 3.672)).toBeCloseTo(0.448331, 6);
  });

  it('equals the harmonic mean of CCC, UAR and 1/MAE', () => {
    for (const [c, u, m] of [
      [0.3, 0.6, 5],
      [0.9, 0.2, 0.5],
      [0.01, 0.99, 12],
    ] as const) {
      expect(smtl(c, u, m)).toBeCloseTo(harmonicMean([c, u, 1 / m]), 14);
    }
  });

  it('is 0 when CCC or UAR is not positive, and handles MAE 0 and ∞', () => {
    expect(smtl(0, 0.5, 2)).toBe(0);
    expect(smtl(-0.2, 0.5, 2)).toBe(0);
    expect(smtl(0.5, 0, 2)).toBe(0);
    // MAE 0: 1/MAE = ∞ drops out: 3 / (2 + 2 + 0)
    expect(smtl(0.5, 0.5, 0)).toBe(0.75);
    expect(smtl(0.5, 0.5, Infinity)).toBe(0);
  });

  it('throws on NaN or a negative MAE', () => {
    expect(() => smtl(Number.NaN, 0.5, 2)).toThrow(RangeError);
    expect(() => smtl(0.5, 0.5, -1)).toThrow(RangeError);
  });
});
