/**
 * Validation split over the ranks: each rank evaluates its share of the
 * validation batches and keeps mergeable sufficient statistics (see
 * src/metrics/evaluation.ts) and loss sums instead of a report; the shards'
 * statistics are then merged, so the metrics are those of one pass over the
 * whole validation set. A CCC is not the mean of per-rank CCCs, and the
 * validation loss is the mean over all batches, not a mean of rank means.
 *
 * The per-batch work follows evaluateModel (src/train/evaluation.ts) step for
 * step (eval mode, no grad, predictions in label units, age in years, loss
 * where labels exist); the distributed tests check that both give the same
 * report on the same model.
 */
import { type Task, unscaleAge } from '../data/schema.js';
import { type CccVariant, type EvaluationStats, MetricsAccumulator, fromStats, mergeStats } from '../metrics/index.js';
import { noGrad, scope } from '../torch/index.js';
import type { EvaluateOptions, EvaluationResult } from '../train/evaluation.js';

/** What one rank sends after evaluating its share. Plain JSON. */
export interface ShardEvaluation {
  stats: EvaluationStats;
  /** Sum of the batch losses, and the number of batches with a (finite) loss. */
  lossSum: number;
  lossBatches: number;
  taskLossSums: Partial<Record<Task, number>>;
  taskLossCounts: Partial<Record<Task, number>>;
}

function toYears(values: Float32Array): Float32Array {
  return values.map((v) => unscaleAge(v));
}

/** Evaluate `options.plans` (this rank's share) into mergeable statistics. */
export async function evaluateShard(options: Omit<EvaluateOptions, 'collectPredictions'>): Promise<ShardEvaluation> {
  const { model } = options;
  const wasTraining = { head: model.head.training, backbone: model.backbone.training };
  model.head.eval();
  model.backbone.eval();
  const acc = new MetricsAccumulator();
  const out: ShardEvaluation = { stats: acc.stats(), lossSum: 0, lossBatches: 0, taskLossSums: {}, taskLossCounts: {} };
  try {
    for await (const b of options.source.batches(options.plans)) {
      try {
        const hasLabels = Object.values(b.labels).some((t) => t !== undefined && t.mask.some((m) => m !== 0));
        const step = noGrad(() =>
          scope(() => {
            const preds = options.autocast(() => model.predict(b.device));
            const host: Partial<Record<Task, Float32Array>> = {};
            for (const [task, p] of Object.entries(preds) as [Task, NonNullable<(typeof preds)[Task]>][]) host[task] = p.float().toArray() as Float32Array;
            let loss: number | null = null;
            const taskLosses: Partial<Record<Task, number>> = {};
            if (options.withLoss && hasLabels) {
              const l = options.autocast(() => model.loss(b.device));
              loss = l.loss.item();
              for (const [t, v] of Object.entries(l.taskLosses)) taskLosses[t as Task] = v!.item();
            }
            return { host, loss, taskLosses };
          }),
        );
        for (const task of model.tasks) {
          const p = step.host[task];
          const labels = b.labels[task];
          if (!p || !labels || !labels.mask.some((m) => m !== 0)) continue;
          const isAge = task === 'age' && b.ageScaled;
          const targets = isAge && labels.kind === 'regression' ? toYears(labels.values) : labels.values;
          acc.add(task, { predictions: isAge ? toYears(p) : p, targets, mask: labels.mask });
        }
        if (step.loss !== null && Number.isFinite(step.loss)) {
          out.lossSum += step.loss;
          out.lossBatches++;
          for (const [t, l] of Object.entries(step.taskLosses) as [Task, number][]) {
            out.taskLossSums[t] = (out.taskLossSums[t] ?? 0) + l;
            out.taskLossCounts[t] = (out.taskLossCounts[t] ?? 0) + 1;
          }
        }
      } finally {
        b.dispose();
      }
    }
  } finally {
    model.head.train(wasTraining.head);
    model.backbone.train(wasTraining.backbone);
  }
  out.stats = acc.stats();
  return out;
}

/** The evaluation of the whole split from every rank's shard (in rank order). */
export function combineShards(shards: readonly ShardEvaluation[], cccVariant: CccVariant): EvaluationResult {
  const stats = mergeStats(...shards.map((s) => s.stats));
  let lossSum = 0;
  let lossBatches = 0;
  const sums: Partial<Record<Task, number>> = {};
  const counts: Partial<Record<Task, number>> = {};
  for (const s of shards) {
    lossSum += s.lossSum;
    lossBatches += s.lossBatches;
    for (const [t, v] of Object.entries(s.taskLossSums) as [Task, number][]) sums[t] = (sums[t] ?? 0) + v;
    for (const [t, v] of Object.entries(s.taskLossCounts) as [Task, number][]) counts[t] = (counts[t] ?? 0) + v;
  }
  const taskLosses: Partial<Record<Task, number>> = {};
  for (const [t, s] of Object.entries(sums) as [Task, number][]) taskLosses[t] = s / (counts[t] ?? 1);
  return {
    report: fromStats(stats, { cccVariant }),
    loss: lossBatches > 0 ? lossSum / lossBatches : null,
    taskLosses,
  };
}

