import { describe, expect, it } from 'vitest';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';
import { preprocessedLengths } from '../../src/data/sampling/clip-lengths.js';
import { stubClip } from './clip-stubs.js';

const clips = Array.from({ length: 64 }, (_, i) =>
  // One clip in eight is from country 1: rare joint bins for the oversampler.
  stubClip(`c${i}`, { high: new Float32Array(10).fill(0.5), age: 20 + (i % 20), country: i % 8 === 0 ? 1 : 0 }, 'Train', 8000 + ((i * 997) % 40000)),
);
const indices = clips.map((_, i) => i);

describe('planEpoch', () => {
  it('is the same for the same (seed, epoch) and differs between epochs', () => {
    const a = planEpoch({ clips, indices, batchSize: 8, seed: 1, epoch: 3 });
    expect(planEpoch({ clips, indices, batchSize: 8, seed: 1, epoch: 3 })).toEqual(a);
    expect(planEpoch({ clips, indices, batchSize: 8, seed: 1, epoch: 4 })).not.toEqual(a);
    expect(planEpoch({ clips, indices, batchSize: 8, seed: 2, epoch: 3 })).not.toEqual(a);
    expect(a.flatMap((b) => b.clipIndices).sort((x, y) => x - y)).toEqual(indices);
    expect(a.every((b) => b.task === undefined)).toBe(true);
  });

  it('combines oversampling, task rotation and bucketing', () => {
    const lengths = preprocessedLengths(clips);
    const plan = planEpoch({ clips, indices, batchSize: 8, seed: 1, epoch: 0, lengths, taskRotation: ['high', 'country', 'age'], oversample: true });
    expect(plan.slice(0, 3).map((b) => b.task)).toEqual(['high', 'country', 'age']);
    // Bins (age band, country): four of 14 clips and four of 2, topped up to 8 each: 24 extra clips.
    const high = plan.filter((b) => b.task === 'high').flatMap((b) => b.clipIndices);
    expect(high).toHaveLength(64 + 24);
    expect(plan).toHaveLength(3 * 11);
    for (const batch of plan) {
      const ls = batch.clipIndices.map((i) => lengths[i] as number);
      expect(ls).toEqual([...ls].sort((x, y) => y - x)); // longest first within a bucketed batch
    }
  });
});

describe('preprocessedLengths', () => {
  it('computes lengths after resampling and cropping from the header facts', () => {
    const mixed = [
      stubClip('a', {}, 'Train', 16000),
      { ...stubClip('b', {}), audio: { sampleRate: 44100, channels: 2, frames: 44100 } },
      { ...stubClip('c', {}), audio: { sampleRate: 48000, channels: 1, frames: 10 } },
    ];
    expect(Array.from(preprocessedLengths(mixed))).toEqual([16000, 16000, 4]);
    expect(Array.from(preprocessedLengths(mixed, { maxSeconds: 0.5 }))).toEqual([8000, 8000, 4]);
    const { audio: _, ...unprobed } = stubClip('d', {});
    expect(() => preprocessedLengths([unprobed])).toThrow(/probeAudio/);
  });
});
