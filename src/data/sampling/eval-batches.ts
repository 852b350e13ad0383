/** Batches for evaluation and prediction: every clip once, in a fixed order grouped by length (less padding). */
import type { BatchPlan } from '../batch.js';

export function lengthSortedBatches(indices: readonly number[], lengths: ArrayLike<number>, batchSize: number): BatchPlan[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  // Ties keep the clips' own order, so the plan is the same on every run.
  const order = [...indices].sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0) || a - b);
  const plans: BatchPlan[] = [];
  for (let i = 0; i < order.length; i += batchSize) plans.push({ clipIndices: order.slice(i, i + batchSize) });
  return plans;
}
