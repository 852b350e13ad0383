/** The ExVo submission writer: columns, bracketed ids, integer country, age in years. */
import { describe, expect, it } from 'vitest';
import { bracketedId, formatExvoSubmission, hasExvoTasks } from '../../src/predict/exvo-submission.js';
import type { ClipPredictions } from '../../src/predict/raw-predictions.js';

const predictions: ClipPredictions = {
  ids: ['10119', '[20001]'],
  byTask: {
    high: { size: 10, values: [...Array.from({ length: 10 }, (_, k) => k / 10), ...Array.from({ length: 10 }, (_, k) => 1 - k / 10)] },
    age: { size: 1, values: [27.5, 33] },
    // Clip 1: United States (2); clip 2: a tie between China and Venezuela goes to the first, China (0).
    country: { size: 4, values: [0.1, 0.2, 0.6, 0.1, 0.4, 0.1, 0.1, 0.4] },
  },
};

describe('formatExvoSubmission', () => {
  it('writes File_ID, Country, Age and the ten emotions by name', () => {
    const lines = formatExvoSubmission(predictions).trim().split('\n');
    expect(lines).toEqual([
      'File_ID,Country,Age,Awe,Excitement,Amusement,Awkwardness,Fear,Horror,Distress,Triumph,Sadness,Surprise',
      '[10119],2,27.5,0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9',
      '[20001],0,33,1,0.9,0.8,0.7,0.6,0.5,0.4,0.30000000000000004,0.19999999999999996,0.09999999999999998',
    ]);
  });

  it('needs emotion, age and country predictions', () => {
    const { age: _a, ...rest } = predictions.byTask;
    const partial = { ids: predictions.ids, byTask: rest };
    expect(hasExvoTasks(predictions)).toBe(true);
    expect(hasExvoTasks(partial)).toBe(false);
    expect(() => formatExvoSubmission(partial)).toThrow(/missing: age/);
  });

  it('brackets ids once', () => {
    expect(bracketedId('123')).toBe('[123]');
    expect(bracketedId('[123]')).toBe('[123]');
  });
});
