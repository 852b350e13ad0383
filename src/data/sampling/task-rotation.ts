/**
 * One-task-per-batch sampling (recipe B, Burst2Vec): every batch holds
 * clips labelled for one task, and the tasks take turns.
 *
 * Each task draws batches from the clips labelled for it. The epoch is
 * rounds of one batch per task, in the given order, until the task with the
 * most batches has used each of its clips once; a task that runs out
 * earlier starts a fresh shuffle of its clips, so every round has every
 * task (the task discriminator sees balanced task labels).
 */
import type { Rng } from '../../util/rng.js';
import type { Task } from '../../tasks.js';
import type { BatchPlan } from '../batch.js';
import type { Clip } from '../corpus/corpus.js';
import { bucketedBatches, shuffledBatches } from './length-bucketing.js';

/** Options of {@link taskRotationBatches}. */
export interface TaskRotationOptions {
  /** Clips per batch. */
  readonly batchSize: number;
  /** The epoch's generator. */
  readonly rng: Rng;
  /** Clip lengths (indexed like the clip list): batches are length-bucketed when given (unless `bucketing` is false). */
  readonly lengths?: ArrayLike<number>;
  /** Sort by length within windows (with `lengths`). Default true. */
  readonly bucketing?: boolean;
  /** Batches per bucketing window (see bucketedBatches). */
  readonly batchesPerBucket?: number;
  /** Leave out batches smaller than batchSize. Default false. */
  readonly dropLast?: boolean;
  /** Padded samples a batch may hold (see bucketedBatches). */
  readonly maxBatchLength?: number;
}

/**
 * Plan an epoch of one-task batches.
 * @param indices the clips to draw from (e.g. the training split; repeats allowed, as after oversampling)
 * @param tasks the tasks, in turn order
 * @throws RangeError when a task has no labelled clip among `indices` (or, with
 *   dropLast, not enough for one full batch)
 */
export function taskRotationBatches(
  clips: readonly Clip[],
  indices: readonly number[],
  tasks: readonly Task[],
  options: TaskRotationOptions,
): BatchPlan[] {
  if (tasks.length === 0) throw new RangeError('taskRotationBatches: no tasks');
  const pools = tasks.map((task) => {
    const pool = indices.filter((i) => clips[i]?.labels[task] !== undefined);
    if (pool.length === 0) throw new RangeError(`taskRotationBatches: no clip is labelled for task '${task}'`);
    if (options.dropLast === true && pool.length < options.batchSize) {
      throw new RangeError(`taskRotationBatches: task '${task}' has ${pool.length} clips, fewer than one full batch`);
    }
    return pool;
  });
  const draw = (pool: readonly number[]): number[][] =>
    options.lengths === undefined || options.bucketing === false
      ? shuffledBatches(pool, options, options.lengths)
      : bucketedBatches(pool, options.lengths, options);
  const queues = pools.map((pool) => draw(pool));
  const rounds = Math.max(...queues.map((q) => q.length));
  const plan: BatchPlan[] = [];
  for (let round = 0; round < rounds; round++) {
    tasks.forEach((task, t) => {
      let queue = queues[t] as number[][];
      if (queue.length === 0) {
        queue = draw(pools[t] as number[]);
        queues[t] = queue;
      }
      const batch = queue.shift();
      if (batch !== undefined) plan.push({ clipIndices: batch, task });
    });
  }
  return plan;
}
