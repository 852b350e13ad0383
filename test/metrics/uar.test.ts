import { describe, expect, it } from 'vitest';
import { argmaxRows, confusionOf, mergeConfusion } from '../../src/metrics/confusion.js';
import { accuracyFromConfusion, perClassRecall, uar, uarFromConfusion } from '../../src/metrics/uar.js';

// Four classes; class 3 never occurs in the labels but is predicted once.
//   true : 0 0 0 | 1 1 | 2 2 2 2
//   pred : 0 0 1 | 1 0 | 2 2 3 2
// recall(0) = 2/3, recall(1) = 1/2, recall(2) = 3/4, class 3 absent.
// skip rule:    UAR = (2/3 + 1/2 + 3/4) / 3 = (23/12) / 3 = 23/36
// sklearn rule: class 3 is predicted, so it counts with recall 0: (23/12) / 4 = 23/48
// accuracy = 6/9
const TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2];
const PRED = [0, 0, 1, 1, 0, 2, 2, 3, 2];

describe('uar', () => {
  it('skips a class absent from the labels', () => {
    expect(uar(PRED, TRUE, 4)).toBeCloseTo(23 / 36, 14);
    const c = confusionOf(PRED, TRUE, 4);
    expect(perClassRecall(c)).toEqual([2 / 3, 1 / 2, 3 / 4, null]);
    expect(accuracyFromConfusion(c)).toBeCloseTo(6 / 9, 14);
  });

  it("reproduces scikit-learn's macro recall with absentClasses 'sklearn'", () => {
    expect(uar(PRED, TRUE, 4, { absentClasses: 'sklearn' })).toBeCloseTo(23 / 48, 14);
    // a class neither labelled nor predicted is skipped by both rules
    expect(uar(PRED, TRUE, 6, { absentClasses: 'sklearn' })).toBeCloseTo(23 / 48, 14);
  });

  it('weights classes equally, unlike accuracy', () => {
    // 9 of class 0 all right, 1 of class 1 wrong: accuracy 0.9, UAR (1 + 0)/2
    const t = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const p = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(uar(p, t, 2)).toBe(0.5);
    expect(accuracyFromConfusion(confusionOf(p, t, 2))).toBeCloseTo(0.9, 14);
  });

  it('is 0 with no labelled sample', () => {
    expect(uar([], [], 4)).toBe(0);
    expect(uar([1, 2], [1, 2], 4, { mask: [0, 0] })).toBe(0);
  });

  it('refuses class indices out of range', () => {
    expect(() => uar([0, 4], [0, 1], 4)).toThrow(RangeError);
    expect(() => uar([0, 1], [0, 1.5], 4)).toThrow(RangeError);
    expect(() => uar([0, 1], [0, -1], 4)).toThrow(RangeError);
  });

  it('merges confusion counts exactly', () => {
    const a = confusionOf(PRED.slice(0, 4), TRUE.slice(0, 4), 4);
    const b = confusionOf(PRED.slice(4), TRUE.slice(4), 4);
    const merged = mergeConfusion(a, b);
    expect(merged).toEqual(confusionOf(PRED, TRUE, 4));
    expect(uarFromConfusion(merged)).toBe(uar(PRED, TRUE, 4));
    expect(() => mergeConfusion(a, confusionOf([0], [0], 3))).toThrow(RangeError);
  });

  it('takes the arg-max of score rows, first index on ties', () => {
    const scores = [0.1, 0.7, 0.2, /**/ 2, -1, 2, /**/ -3, -2, -1];
    expect(Array.from(argmaxRows(scores, 3))).toEqual([1, 0, 2]);
    expect(() => argmaxRows([1, 2, 3, 4], 3)).toThrow(RangeError);
    expect(() => argmaxRows([1, Number.NaN, 3], 3)).toThrow(RangeError);
  });
});
