/**
 * Which batches each rank reads. Every rank plans the same epoch (same seed,
 * same plan); rank r then takes the plan's batches r, r + W, r + 2W, ... (W
 * the world size), so one optimizer step over W ranks consumes W consecutive
 * batches of the plan: exactly what one process does with gradient
 * accumulation over W batches. The shards are disjoint and of equal length:
 * the last (plan length mod W) batches are left out of that epoch (a
 * different few each epoch, as the plan is reshuffled), because a rank with
 * an extra batch would wait for its peers' gradients forever.
 *
 * Positions in an epoch are kept in batches of the whole plan (the trainer's
 * `batchInEpoch`), whatever the world size, so a checkpoint written by W
 * processes resumes with any other number: the batches left in the epoch are
 * dealt out afresh to the new ranks.
 */
import type { BatchPlan } from '../data/batch.js';
import type { EpochShard } from '../train/strategy.js';

export type { EpochShard };

/**
 * Rank `rank`'s batches of `plans` from position `start` on. With one
 * process this is simply the rest of the plan.
 */
export function shardEpoch(plans: readonly BatchPlan[], start: number, rank = 0, worldSize = 1): EpochShard {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`shardEpoch: worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`shardEpoch: rank ${rank} is outside 0..${worldSize - 1}`);
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`shardEpoch: start must be an integer ≥ 0, got ${start}`);
  const perRank = Math.floor(Math.max(0, plans.length - start) / worldSize);
  const mine: BatchPlan[] = [];
  for (let k = 0; k < perRank; k++) mine.push(plans[start + k * worldSize + rank]!);
  return { plans: mine, start, stride: worldSize, end: start + perRank * worldSize };
}

/** Batches each rank reads in a whole epoch of `total` batches. */
export function batchesPerRank(total: number, worldSize = 1): number {
  return Math.floor(total / worldSize);
}

/**
 * Rank `rank`'s validation batches: every batch goes to exactly one rank
 * (nothing is dropped, counts may differ by one: no collective runs per batch).
 */
export function shardForEvaluation(plans: readonly BatchPlan[], rank: number, worldSize: number): BatchPlan[] {
  return plans.filter((_, i) => i % worldSize === rank);
}
