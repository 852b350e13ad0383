import { describe, expect, it } from 'vitest';
import { mixToMono } from '../../src/audio/mixdown.js';

describe('mixToMono', () => {
  it('returns a single channel as is', () => {
    const only = new Float32Array([0.1, 0.2]);
    expect(mixToMono([only])).toBe(only);
  });

  it('averages two and more channels', () => {
    expect(Array.from(mixToMono([new Float32Array([1, -1, 0.5]), new Float32Array([0, -1, -0.5])]))).toEqual([0.5, -1, 0]);
    const three = mixToMono([new Float32Array([0.3, 3]), new Float32Array([0.6, 0]), new Float32Array([0.9, 0])]);
    expect(three[0]).toBeCloseTo(0.6, 6);
    expect(three[1]).toBeCloseTo(1, 6);
  });

  it('rejects no channels and channels of different lengths', () => {
    expect(() => mixToMono([])).toThrow(RangeError);
    expect(() => mixToMono([new Float32Array(2), new Float32Array(3)])).toThrow(/differ in length/);
  });
});
