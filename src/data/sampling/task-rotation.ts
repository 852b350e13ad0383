/**
 * One-task-per-batch sampling (recipe B, Burst2Vec): every batch holds
 * clips labelled for one task, and the tasks take turns.
 *
 * What an epoch is (`unit`):
 *
 * - `'clips'`: one pass over the clips. The clips labelled for
 *   any of the tasks are shuffled into batches once, and the batches are
 *   dealt to the tasks in turn (batch k to task k mod T; a batch holding no
 *   label of its turn's task goes to the next task that it has labels of).
 *   Every clip is seen once per epoch, by one task's loss.
 * - `'task-batches'` (default here; a run's config chooses, see
 *   `train.epochUnit`): each task draws batches from the clips labelled for
 *   it. The epoch is rounds of one batch per task, in the given order, until
 *   the task with the most batches has used each of its clips once; a task
 *   that runs out earlier starts a fresh shuffle of its clips. On a corpus
 *   where every clip carries every task's label (ExVo) an epoch is then T
 *   passes over the clips, each clip seen once per task.
 *
 * Either way every round of T batches has every task once (the task
 * discriminator sees balanced task labels).
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
  /** What an epoch is: one pass over the clips, or every task's clips once each (default); see the module comment. */
  readonly unit?: TaskRotationUnit;
  /**
   * With unit 'clips': the epoch's number (0-based). The turn goes on from
   * where the previous epoch (of as many batches) left it, so that over a
   * stage every task gets as many batches as the others, give or take one.
   */
  readonly epoch?: number;
}

/** What an epoch of one-task batches is; see the module comment. */
export type TaskRotationUnit = 'clips' | 'task-batches';

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
  if (options.unit === 'clips') {
    const labelled = (i: number, t: number) => clips[i]?.labels[tasks[t] as Task] !== undefined;
    const pool = indices.filter((i) => tasks.some((_, t) => labelled(i, t)));
    const batches = draw(pool);
    const offset = ((options.epoch ?? 0) * batches.length) % tasks.length;
    return batches.map((batch, k) => {
      let t = (offset + k) % tasks.length;
      for (let tries = 0; tries < tasks.length && !batch.some((i) => labelled(i, t)); tries++) t = (t + 1) % tasks.length;
      return { clipIndices: batch, task: tasks[t] as Task };
    });
  }
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
