import { describe, expect, it } from 'vitest';
import { normalizeRmsInPlace, rmsDbfs } from '../../src/audio/loudness.js';
import { Rng } from '../../src/util/rng.js';
import { sine } from './wav-builders.js';

describe('rmsDbfs', () => {
  it('measures known levels: full-scale square 0 dB, full-scale sine −3.01 dB, half-scale square −6.02 dB', () => {
    expect(rmsDbfs(Float32Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : -1)))).toBeCloseTo(0, 6);
    expect(rmsDbfs(sine(1000, 16000, 16000, 1))).toBeCloseTo(-3.0103, 3);
    expect(rmsDbfs(new Float32Array(100).fill(0.5))).toBeCloseTo(-6.0206, 3);
  });

  it('is −Infinity for silence and for an empty signal', () => {
    expect(rmsDbfs(new Float32Array(50))).toBe(-Infinity);
    expect(rmsDbfs(new Float32Array(0))).toBe(-Infinity);
  });
});

describe('normalizeRmsInPlace', () => {
  it('brings noise and tones of any level to −3 dBFS (Burst2Vec) or another target', () => {
    const rng = new Rng(3);
    for (const scale of [0.001, 0.05, 0.9, 3]) {
      const noise = Float32Array.from({ length: 8000 }, () => rng.normal(0, scale));
      normalizeRmsInPlace(noise, { targetDbfs: -3 });
      expect(rmsDbfs(noise)).toBeCloseTo(-3, 4);
    }
    const tone = sine(440, 16000, 16000, 0.01);
    const gain = normalizeRmsInPlace(tone, { targetDbfs: -20 });
    expect(rmsDbfs(tone)).toBeCloseTo(-20, 4);
    expect(gain).toBeCloseTo(10 ** ((-20 - (-3.0103 - 40)) / 20), 2);
  });

  it('leaves silence and near-silence untouched (gain 1, no NaN)', () => {
    const silence = new Float32Array(1000);
    expect(normalizeRmsInPlace(silence, { targetDbfs: -3 })).toBe(1);
    expect(silence.every((v) => v === 0)).toBe(true);
    const whisper = new Float32Array(1000).fill(1e-5); // −100 dBFS
    expect(normalizeRmsInPlace(whisper, { targetDbfs: -3 })).toBe(1);
    expect(whisper[0]).toBeCloseTo(1e-5, 10);
    const quiet = new Float32Array(1000).fill(1e-3); // −60 dBFS: above the −80 default threshold
    normalizeRmsInPlace(quiet, { targetDbfs: -3 });
    expect(rmsDbfs(quiet)).toBeCloseTo(-3, 4);
    expect(normalizeRmsInPlace(new Float32Array(0), { targetDbfs: -3 })).toBe(1);
  });
});
