import { describe, expect, it } from 'vitest';
import { pearson } from '../../src/metrics/pearson.js';
import { Rng } from '../../src/util/rng.js';

describe('pearson', () => {
  it('matches the hand-computed value', () => {
    // x = [1,2,3,4], y = [2,2,4,4]: Σdxdy = 4, Σdx² = 5, Σdy² = 4 → r = 4/√20
    expect(pearson([1, 2, 3, 4], [2, 2, 4, 4])).toBeCloseTo(4 / Math.sqrt(20), 14);
  });

  it('is invariant to shift and positive scale, unlike CCC', () => {
    const rng = new Rng(3);
    const x = Array.from({ length: 50 }, () => rng.next());
    const y = x.map((v) => v + 0.3 * rng.normal());
    expect(pearson(x.map((v) => 5 * v + 9), y)).toBeCloseTo(pearson(x, y), 12);
    expect(pearson(x.map((v) => -v), y)).toBeCloseTo(-pearson(x, y), 12);
  });

  it('is 0 for degenerate input', () => {
    expect(pearson([], [])).toBe(0);
    expect(pearson([1], [2])).toBe(0);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it('honours the mask', () => {
    expect(pearson([1, 2, 3, 4, 9], [2, 2, 4, 4, -9], [1, 1, 1, 1, 0])).toBeCloseTo(4 / Math.sqrt(20), 14);
  });
});
