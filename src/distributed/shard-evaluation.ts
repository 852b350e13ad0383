/**
 * Validation split over the ranks: each rank evaluates its share of the
 * validation batches into mergeable partial results (src/train/evaluation.ts);
 * merged in rank order, they give the metrics of one pass over the whole
 * validation set. A CCC is not the mean of per-rank CCCs, and the validation
 * loss is the mean over all batches, not a mean of rank means.
 */
import type { CccVariant } from '../metrics/index.js';
import {
  type EvaluateOptions,
  type EvaluationPartial,
  type EvaluationResult,
  evaluationPass,
  mergeEvaluations,
} from '../run/evaluation.js';

/** What one rank sends after evaluating its share. Plain JSON. */
export type ShardEvaluation = EvaluationPartial;

/** Evaluate `options.plans` (this rank's share) into mergeable statistics. */
export async function evaluateShard(options: Omit<EvaluateOptions, 'collectPredictions'>): Promise<ShardEvaluation> {
  return (await evaluationPass(options)).partial;
}

/** The evaluation of the whole split from every rank's shard (in rank order). */
export function combineShards(shards: readonly ShardEvaluation[], cccVariant: CccVariant): EvaluationResult {
  return mergeEvaluations(shards, cccVariant);
}
