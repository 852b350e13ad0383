import { describe, expect, it } from 'vitest';
import { taskRotationBatches } from '../../src/data/sampling/task-rotation.js';
import { Rng } from '../../src/util/rng.js';
import { stubClip } from './clip-stubs.js';

// 40 clips labelled for emotion (high), 20 of them for age, 8 for country.
const clips = Array.from({ length: 40 }, (_, i) =>
  stubClip(`c${i}`, {
    high: new Float32Array(10).fill(0.1),
    ...(i % 2 === 0 ? { age: 25 } : {}),
    ...(i % 5 === 0 ? { country: i % 3 } : {}),
  }),
);
const indices = clips.map((_, i) => i);

describe('taskRotationBatches', () => {
  const plan = taskRotationBatches(clips, indices, ['high', 'age', 'country'], { batchSize: 4, rng: new Rng(1) });

  it('takes the tasks in turn, one task per batch', () => {
    expect(plan.map((b) => b.task)).toEqual(Array.from({ length: plan.length }, (_, k) => ['high', 'age', 'country'][k % 3]));
  });

  it('puts only clips labelled for the batch task in each batch', () => {
    for (const batch of plan) {
      for (const index of batch.clipIndices) expect(clips[index]?.labels[batch.task as 'high' | 'age' | 'country']).toBeDefined();
    }
  });

  it('runs until the largest task has used each clip once; smaller tasks start over', () => {
    expect(plan.length).toBe(3 * 10); // high: 40 clips / 4
    const high = plan.filter((b) => b.task === 'high').flatMap((b) => b.clipIndices);
    expect([...high].sort((a, b) => a - b)).toEqual(indices);
    const country = plan.filter((b) => b.task === 'country').flatMap((b) => b.clipIndices);
    expect(country).toHaveLength(40); // 8 clips, used five times over
    const uses = new Map<number, number>();
    for (const i of country) uses.set(i, (uses.get(i) ?? 0) + 1);
    expect([...uses.values()]).toEqual(new Array(8).fill(5));
  });

  it('length-buckets each task when lengths are given', () => {
    const lengths = Int32Array.from(clips, (_, i) => 1000 + i * 100);
    const bucketed = taskRotationBatches(clips, indices, ['high'], { batchSize: 4, rng: new Rng(3), lengths });
    for (const batch of bucketed) {
      const ls = batch.clipIndices.map((i) => lengths[i] as number);
      expect(Math.max(...ls) - Math.min(...ls)).toBe(300); // four neighbours in length
    }
  });

  it('refuses a task with no labelled clip', () => {
    expect(() => taskRotationBatches(clips, indices, ['high', 'type'], { batchSize: 4, rng: new Rng(1) })).toThrow(/no clip is labelled for task 'type'/);
    expect(() => taskRotationBatches(clips, indices, ['country'], { batchSize: 16, rng: new Rng(1), dropLast: true })).toThrow(/fewer than one full batch/);
  });
});
