import { describe, expect, it } from 'vitest';
import { jointBinKey, oversampleJointBins } from '../../src/data/sampling/joint-oversampling.js';
import { Rng } from '../../src/util/rng.js';
import { stubClip } from './clip-stubs.js';

function emotions(dominant: number): Float32Array {
  const v = new Float32Array(10).fill(0.1);
  v[dominant] = 0.9;
  return v;
}

describe('jointBinKey', () => {
  it('bins age in 5-year bands, country by index, emotion by arg-max; "-" for missing', () => {
    expect(jointBinKey(stubClip('a', { age: 20, country: 2, high: emotions(7) }))).toBe('20-24|2|7');
    expect(jointBinKey(stubClip('b', { age: 29.5, country: 0, high: emotions(0) }))).toBe('25-29|0|0');
    expect(jointBinKey(stubClip('c', { age: 39 }))).toBe('35-39|-|-');
    expect(jointBinKey(stubClip('d', {}))).toBe('-|-|-');
  });
});

describe('oversampleJointBins', () => {
  // Bins of sizes 40, 20, 10 (median) and 2.
  const clips = [
    ...Array.from({ length: 40 }, (_, i) => stubClip(`a${i}`, { age: 21, country: 0, high: emotions(1) })),
    ...Array.from({ length: 20 }, (_, i) => stubClip(`b${i}`, { age: 26, country: 1, high: emotions(2) })),
    ...Array.from({ length: 10 }, (_, i) => stubClip(`c${i}`, { age: 31, country: 2, high: emotions(3) })),
    ...Array.from({ length: 2 }, (_, i) => stubClip(`d${i}`, { age: 36, country: 3, high: emotions(4) })),
  ];
  const indices = clips.map((_, i) => i);

  it('tops rare bins up towards the median bin size, capped at maxFactor × their size', () => {
    const result = oversampleJointBins(clips, indices, { rng: new Rng(1) });
    // Sorted sizes [2, 10, 20, 40]: median index round(0.5 · 3) = 2 → 20.
    expect(result.targetSize).toBe(20);
    const byKey = Object.fromEntries(result.bins.map((b) => [b.key, b]));
    expect(byKey['20-24|0|1']).toEqual({ key: '20-24|0|1', count: 40, added: 0 });
    expect(byKey['25-29|1|2']?.added).toBe(0);
    expect(byKey['30-34|2|3']?.added).toBe(10);
    expect(byKey['35-39|3|4']?.added).toBe(6); // 2 clips × factor 4 = 8 at most
    expect(result.indices).toHaveLength(72 + 16);
    expect(result.indices.slice(0, 72)).toEqual(indices);
    // The extra draws come from the rare bins only.
    for (const extra of result.indices.slice(72)) expect(extra).toBeGreaterThanOrEqual(60);
  });

  it('honours targetQuantile and maxFactor, reproducibly', () => {
    const full = oversampleJointBins(clips, indices, { rng: new Rng(2), targetQuantile: 1, maxFactor: 100 });
    expect(full.targetSize).toBe(40);
    expect(full.indices).toHaveLength(160);
    expect(oversampleJointBins(clips, indices, { rng: new Rng(2), targetQuantile: 1, maxFactor: 100 }).indices).toEqual(full.indices);
  });
});
