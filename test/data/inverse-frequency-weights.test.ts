import { describe, expect, it } from 'vitest';
import {
  classCounts,
  inverseCountrySampleWeights,
  inverseFrequencyClassWeights,
} from '../../src/data/sampling/inverse-frequency-weights.js';
import { stubClip } from './clip-stubs.js';

// Training clips: type Gasp ×6, Laugh ×3, Cry ×1; no other type. Countries: China ×2, US ×6.
const train = [
  ...Array.from({ length: 6 }, (_, i) => stubClip(`g${i}`, { type: 0, country: 2 })),
  ...Array.from({ length: 3 }, (_, i) => stubClip(`l${i}`, { type: 1, ...(i < 2 ? { country: 0 } : {}) })),
  stubClip('c0', { type: 2 }),
];
const validation = [stubClip('v0', { type: 7, country: 3 }, 'Val'), stubClip('v1', { country: 0 }, 'Val')];
const clips = [...train, ...validation];
const trainIndices = train.map((_, i) => i);

describe('inverse-frequency weights', () => {
  it('counts classes', () => {
    expect(Array.from(classCounts(clips, trainIndices, 'type'))).toEqual([6, 3, 1, 0, 0, 0, 0, 0]);
  });

  it('class weights N / (K · n_c): 10 clips, 3 classes present', () => {
    const w = inverseFrequencyClassWeights(clips, trainIndices, 'type');
    expect(w[0]).toBeCloseTo(10 / 18, 6); // 0.5556
    expect(w[1]).toBeCloseTo(10 / 9, 6); // 1.1111
    expect(w[2]).toBeCloseTo(10 / 3, 6); // 3.3333
    expect(Array.from(w.slice(3))).toEqual([1, 1, 1, 1, 1]); // absent classes: neutral
    // Weighted by class frequency, the weights average to 1.
    expect((6 * (w[0] as number) + 3 * (w[1] as number) + (w[2] as number)) / 10).toBeCloseTo(1, 6);
  });

  it('country class weights: China 2, United States 6 of 8', () => {
    const w = inverseFrequencyClassWeights(clips, trainIndices, 'country');
    expect(Array.from(w)).toEqual([8 / 4, 1, 8 / 12, 1].map(Math.fround));
  });

  it('sample weights follow the clip country from training counts; no country → 1', () => {
    const w = inverseCountrySampleWeights(clips, trainIndices);
    expect(w).toHaveLength(clips.length);
    expect(w[0]).toBeCloseTo(2 / 3, 6); // United States: 8 / (2 · 6)
    expect(w[6]).toBeCloseTo(2, 6); // China: 8 / (2 · 2)
    expect(w[8]).toBe(1); // no country
    expect(w[9]).toBe(1); // no country
    expect(w[10]).toBe(1); // Venezuela: not in training
    expect(w[11]).toBeCloseTo(2, 6); // a validation clip from China
    // Over the training clips with a country, the mean weight is 1.
    expect((6 * (w[0] as number) + 2 * (w[6] as number)) / 8).toBeCloseTo(1, 6);
  });
});
