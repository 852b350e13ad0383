/**
 * What an epoch of one-task batches is (recipe B, `train.epochUnit`):
 * 'clips' is one pass over the clips, the batches dealt to the tasks in
 * turn; 'task-batches' shows every task its clips once each, so on an
 * ExVo-like corpus (every clip labelled for every task) an epoch is three
 * passes. The run config defaults to 'clips'.
 */
import { describe, expect, it } from 'vitest';
import { RunConfigSchema } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';
import type { Task } from '../../src/tasks.js';
import { stubClip } from './clip-stubs.js';

const tasks: Task[] = ['high', 'age', 'country'];
// 42 clips labelled for every task, like ExVo's.
const clips = Array.from({ length: 42 }, (_, i) => stubClip(`c${i}`, { high: new Float32Array(10).fill(0.2), age: 20 + (i % 20), country: i % 4 }));
const indices = clips.map((_, i) => i);

function uses(plan: { clipIndices: readonly number[] }[]): number[] {
  const count = new Array<number>(clips.length).fill(0);
  for (const b of plan) for (const i of b.clipIndices) count[i]! += 1;
  return count;
}

describe('epoch units of one-task batches', () => {
  it("'clips': each clip once per epoch, batches dealt to the tasks in turn", () => {
    const plan = planEpoch({ clips, indices, batchSize: 6, seed: 1, epoch: 0, taskRotation: tasks, taskRotationUnit: 'clips' });
    expect(plan).toHaveLength(7);
    expect(uses(plan)).toEqual(new Array(42).fill(1));
    expect(plan.map((b) => b.task)).toEqual(['high', 'age', 'country', 'high', 'age', 'country', 'high']);
  });

  it("'clips': the turn runs on across epochs, so every task gets its share over a stage", () => {
    const counts = new Map<Task, number>();
    for (let epoch = 0; epoch < 5; epoch++) {
      const plan = planEpoch({ clips, indices, batchSize: 6, seed: 1, epoch, taskRotation: tasks, taskRotationUnit: 'clips' });
      for (const b of plan) counts.set(b.task!, (counts.get(b.task!) ?? 0) + 1);
      const values = [...counts.values()];
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(35);
  });

  it("'task-batches': each clip once per task, three passes over the clips", () => {
    const plan = planEpoch({ clips, indices, batchSize: 6, seed: 1, epoch: 0, taskRotation: tasks, taskRotationUnit: 'task-batches' });
    expect(plan).toHaveLength(21);
    expect(uses(plan)).toEqual(new Array(42).fill(3));
    for (const task of tasks) {
      const seen = plan.filter((b) => b.task === task).flatMap((b) => b.clipIndices);
      expect([...seen].sort((a, b) => a - b)).toEqual(indices);
    }
  });

  it("'clips' gives a batch without labels of its turn's task to the next task it has labels of", () => {
    const mixed = [
      ...Array.from({ length: 6 }, (_, i) => stubClip(`h${i}`, { high: new Float32Array(10).fill(0.2) })),
      ...Array.from({ length: 6 }, (_, i) => stubClip(`a${i}`, { high: new Float32Array(10).fill(0.2), age: 30, country: 1 })),
    ];
    const plan = planEpoch({ clips: mixed, indices: mixed.map((_, i) => i), batchSize: 6, seed: 3, epoch: 0, taskRotation: tasks, taskRotationUnit: 'clips' });
    for (const b of plan) expect(b.clipIndices.some((i) => mixed[i]!.labels[b.task!] !== undefined)).toBe(true);
  });

  it("a run's config defaults to 'clips'", () => {
    expect(resolveConfig({ recipe: 'exvo-burst2vec' }).train.epochUnit).toBe('clips');
    expect(resolveConfig({ recipe: 'demo-exvo' }).train.epochUnit).toBe('clips');
    expect(RunConfigSchema.shape.train.shape.epochUnit.parse(undefined)).toBe('clips');
  });
});
