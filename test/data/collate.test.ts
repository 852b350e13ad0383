import { describe, expect, it } from 'vitest';
import { batchBuffers } from '../../src/data/batch.js';
import { collateBatch } from '../../src/data/collate.js';
import { scaleAge } from '../../src/tasks.js';
import { stubClip } from './clip-stubs.js';

const clips = [
  stubClip('a', { high: Float32Array.from({ length: 10 }, (_, k) => k / 10), type: 3, age: 39, country: 1 }),
  stubClip('b', { type: 7, age: 20 }),
  stubClip('c', { high: new Float32Array(10).fill(0.5) }, 'Test'),
];
const waves = [new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6, 7, 8]), new Float32Array([9])];

describe('collateBatch', () => {
  it('pads to the longest clip, row-major, with true lengths', () => {
    const batch = collateBatch(clips, { clipIndices: [0, 1, 2] }, waves, { tasks: [] });
    expect(batch.batchSize).toBe(3);
    expect(batch.length).toBe(5);
    expect(Array.from(batch.lengths)).toEqual([3, 5, 1]);
    expect(Array.from(batch.waveforms)).toEqual([1, 2, 3, 0, 0, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0]);
    expect(batch.ids).toEqual(['a', 'b', 'c']);
    expect(batch.task).toBeUndefined();
    expect(batch.sampleWeights).toBeUndefined();
  });

  it('writes label arrays with masks for missing labels', () => {
    const batch = collateBatch(clips, { clipIndices: [2, 0, 1], task: 'type' }, [waves[2], waves[0], waves[1]] as Float32Array[], {
      tasks: ['high', 'type', 'country', 'age'],
    });
    expect(batch.task).toBe('type');
    const high = batch.labels.high;
    expect(high?.kind).toBe('regression');
    if (high?.kind !== 'regression') throw new Error('unreachable');
    expect(high.size).toBe(10);
    expect(Array.from(high.mask)).toEqual([1, 1, 0]);
    expect(Array.from(high.values.subarray(0, 10))).toEqual(new Array(10).fill(0.5));
    expect(Array.from(high.values.subarray(10, 20))).toEqual(Array.from({ length: 10 }, (_, k) => Math.fround(k / 10)));
    expect(Array.from(high.values.subarray(20))).toEqual(new Array(10).fill(0));
    const type = batch.labels.type;
    expect(type).toMatchObject({ kind: 'classification', numClasses: 8 });
    expect(Array.from(type?.values ?? [])).toEqual([0, 3, 7]);
    expect(Array.from(type?.mask ?? [])).toEqual([0, 1, 1]);
    expect(Array.from(batch.labels.country?.values ?? [])).toEqual([0, 1, 0]);
    expect(Array.from(batch.labels.country?.mask ?? [])).toEqual([0, 1, 0]);
    expect(batch.labels.two).toBeUndefined();
  });

  it('scales age to [0, 1] by default, or keeps years', () => {
    const scaled = collateBatch(clips, { clipIndices: [0, 1] }, [waves[0], waves[1]] as Float32Array[], { tasks: ['age'] });
    expect(scaled.ageScaled).toBe(true);
    expect(Array.from(scaled.labels.age?.values ?? [])).toEqual([scaleAge(39), scaleAge(20)]);
    expect(Array.from(scaled.labels.age?.values ?? [])).toEqual([1, 0]);
    const years = collateBatch(clips, { clipIndices: [0, 1] }, [waves[0], waves[1]] as Float32Array[], { tasks: ['age'], scaleAge: false });
    expect(years.ageScaled).toBe(false);
    expect(Array.from(years.labels.age?.values ?? [])).toEqual([39, 20]);
  });

  it('gathers sample weights, rounds the length up, or pads to a fixed length', () => {
    const weights = new Float32Array([0.5, 2, 4]);
    const rounded = collateBatch(clips, { clipIndices: [1, 0] }, [waves[1], waves[0]] as Float32Array[], {
      tasks: [],
      sampleWeights: weights,
      padToMultiple: 4,
    });
    expect(Array.from(rounded.sampleWeights ?? [])).toEqual([2, 0.5]);
    expect(rounded.length).toBe(8);
    const fixed = collateBatch(clips, { clipIndices: [0, 1] }, [waves[0], waves[1]] as Float32Array[], { tasks: [], fixedLength: 4 });
    expect(fixed.length).toBe(4);
    expect(Array.from(fixed.lengths)).toEqual([3, 4]);
    expect(Array.from(fixed.waveforms)).toEqual([1, 2, 3, 0, 4, 5, 6, 7]);
  });

  it('gives every array a buffer of its own, listed once for transfer', () => {
    const batch = collateBatch(clips, { clipIndices: [0, 1] }, [waves[0], waves[1]] as Float32Array[], {
      tasks: ['high', 'type'],
      sampleWeights: new Float32Array(3).fill(1),
    });
    const buffers = batchBuffers(batch);
    expect(buffers).toHaveLength(2 + 2 * 2 + 1);
    expect(new Set(buffers).size).toBe(buffers.length);
    expect(batch.waveforms.buffer.byteLength).toBe(batch.waveforms.byteLength);
  });

  it('rejects an empty plan and a waveform count that does not match', () => {
    expect(() => collateBatch(clips, { clipIndices: [] }, [], { tasks: [] })).toThrow(/empty batch plan/);
    expect(() => collateBatch(clips, { clipIndices: [0, 1] }, [waves[0] as Float32Array], { tasks: [] })).toThrow(/one waveform per planned clip/);
  });
});
