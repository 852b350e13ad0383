import { describe, expect, it } from 'vitest';
import { bucketedBatches, paddingFraction, shuffledBatches } from '../../src/data/sampling/length-bucketing.js';
import { Rng } from '../../src/util/rng.js';

/** A skewed length distribution: mostly short clips, a long tail (log-normal, 0.3–10 s at 16 kHz). */
function skewedLengths(count: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: count }, () => Math.round(Math.min(10, Math.max(0.3, Math.exp(rng.normal(0, 0.8)))) * 16000));
}

describe('paddingFraction', () => {
  it('matches a hand computation', () => {
    const lengths = [10, 4, 6, 6];
    // Batch [0,1]: T=10, 20 cells, 14 real. Batch [2,3]: T=6, 12 cells, 12 real. Padding 6/32.
    expect(paddingFraction([[0, 1], [2, 3]], lengths)).toBeCloseTo(6 / 32, 12);
    // Rounded up to multiples of 4: T=12 and 8: 24 + 16 = 40 cells, 26 real.
    expect(paddingFraction([[0, 1], [2, 3]], lengths, 4)).toBeCloseTo(14 / 40, 12);
    expect(paddingFraction([], lengths)).toBe(0);
  });
});

describe('bucketedBatches', () => {
  const lengths = skewedLengths(3000, 1);
  const indices = Array.from({ length: 3000 }, (_, i) => i);

  it('uses every clip exactly once, in batches of batchSize (one smaller batch at most)', () => {
    const batches = bucketedBatches(indices, lengths, { batchSize: 32, rng: new Rng(5) });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(indices);
    expect(batches.filter((b) => b.length !== 32).length).toBeLessThanOrEqual(1);
    const dropped = bucketedBatches(indices, lengths, { batchSize: 32, rng: new Rng(5), dropLast: true });
    expect(dropped.every((b) => b.length === 32)).toBe(true);
    expect(dropped.length).toBe(Math.floor(3000 / 32));
  });

  it('pads far less than random batching on a skewed length distribution', () => {
    const bucketed = paddingFraction(bucketedBatches(indices, lengths, { batchSize: 32, rng: new Rng(2) }), lengths);
    const random = paddingFraction(shuffledBatches(indices, { batchSize: 32, rng: new Rng(2) }), lengths);
    expect(random).toBeGreaterThan(0.5);
    expect(bucketed).toBeLessThan(0.1);
    expect(bucketed).toBeLessThan(random / 5);
  });

  it('a wider window pads less; a one-batch window is no better than random', () => {
    const pad = (perBucket: number): number =>
      paddingFraction(bucketedBatches(indices, lengths, { batchSize: 32, rng: new Rng(9), batchesPerBucket: perBucket }), lengths);
    expect(pad(100)).toBeLessThan(pad(10));
    expect(pad(10)).toBeLessThan(pad(1));
    const random = paddingFraction(shuffledBatches(indices, { batchSize: 32, rng: new Rng(9) }), lengths);
    expect(Math.abs(pad(1) - random)).toBeLessThan(0.05);
  });

  it('is reproducible from the seed and changes with it', () => {
    const a = bucketedBatches(indices, lengths, { batchSize: 16, rng: new Rng(42) });
    const b = bucketedBatches(indices, lengths, { batchSize: 16, rng: new Rng(42) });
    const c = bucketedBatches(indices, lengths, { batchSize: 16, rng: new Rng(43) });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('rejects a bad batch size', () => {
    expect(() => bucketedBatches(indices, lengths, { batchSize: 0, rng: new Rng(1) })).toThrow(RangeError);
    expect(() => shuffledBatches(indices, { batchSize: 2.5, rng: new Rng(1) })).toThrow(RangeError);
  });
});
