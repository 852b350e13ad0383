/**
 * One pass over batches in eval mode: predictions, metrics, and (with
 * labels) the validation loss. A pass yields mergeable partial results
 * (metric statistics and loss sums), so a split evaluated in shards by
 * several processes gives exactly the one-pass metrics once merged: a CCC is
 * not a mean of per-shard CCCs. Optionally keeps every clip's predictions for
 * submission files.
 */
import type { BatchPlan } from '../data/batch.js';
import { TASK_SPECS, type Task, unscaleAge } from '../tasks.js';
import { type CccVariant, type EvaluationStats, MetricsAccumulator, type MetricsReport, fromStats, mergeStats } from '../metrics/index.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import type { ClipPredictions } from './clip-predictions.js';
import { type Tensor, noGrad, scope } from '../torch/index.js';
import type { BatchSource } from './batch-source.js';

export type { ClipPredictions };

export interface EvaluationResult {
  report: MetricsReport;
  /** Mean weighted loss over batches (null when no batch had labels). */
  loss: number | null;
  taskLosses: Partial<Record<Task, number>>;
  predictions?: ClipPredictions;
}

/** What a pass over some batches accumulates; plain JSON, mergeable across shards. */
export interface EvaluationPartial {
  stats: EvaluationStats;
  /** Sum of the batch losses, and the number of batches with a (finite) loss. */
  lossSum: number;
  lossBatches: number;
  taskLossSums: Partial<Record<Task, number>>;
  taskLossCounts: Partial<Record<Task, number>>;
}

export interface EvaluateOptions {
  model: MultitaskModel;
  source: BatchSource;
  plans: readonly BatchPlan[];
  cccVariant: CccVariant;
  autocast: <T>(fn: () => T) => T;
  /** Compute the loss too (needs labels). */
  withLoss?: boolean;
  collectPredictions?: boolean;
}

function toYears(values: Float32Array): Float32Array {
  return values.map((v) => unscaleAge(v));
}

/** Run the model over `plans` in eval mode; metric statistics, loss sums and (optionally) predictions. */
export async function evaluationPass(options: EvaluateOptions): Promise<{ partial: EvaluationPartial; predictions?: ClipPredictions }> {
  const { model } = options;
  const wasTraining = { head: model.head.training, backbone: model.backbone.training };
  model.head.eval();
  model.backbone.eval();
  const acc = new MetricsAccumulator();
  const partial: EvaluationPartial = { stats: acc.stats(), lossSum: 0, lossBatches: 0, taskLossSums: {}, taskLossCounts: {} };
  const collected: ClipPredictions = { ids: [], byTask: {} };
  try {
    for await (const b of options.source.batches(options.plans)) {
      try {
        const hasLabels = Object.values(b.labels).some((t) => t !== undefined && t.mask.some((m) => m !== 0));
        const step = noGrad(() =>
          scope(() => {
            // One forward pass gives both the predictions and the loss.
            const out = options.autocast(() => model.evaluate(b.device, { withLoss: options.withLoss === true && hasLabels }));
            const host: Partial<Record<Task, Float32Array>> = {};
            for (const [task, p] of Object.entries(out.predictions) as [Task, Tensor][]) host[task] = p.float().toArray() as Float32Array;
            let loss: number | null = null;
            const taskLosses: Partial<Record<Task, number>> = {};
            if (out.loss) {
              loss = out.loss.loss.item();
              for (const [t, l] of Object.entries(out.loss.taskLosses)) taskLosses[t as Task] = l!.item();
            }
            return { host, loss, taskLosses };
          }),
        );
        for (const task of model.tasks) {
          const p = step.host[task];
          const labels = b.labels[task];
          if (!p) continue;
          const isAge = task === 'age' && b.ageScaled;
          const values = isAge ? toYears(p) : p;
          if (labels && labels.mask.some((m) => m !== 0)) {
            const targets = isAge && labels.kind === 'regression' ? toYears(labels.values) : labels.values;
            acc.add(task, { predictions: values, targets, mask: labels.mask });
          }
          if (options.collectPredictions) {
            const entry = (collected.byTask[task] ??= { size: TASK_SPECS[task].size, values: [] });
            for (const v of values) entry.values.push(v);
          }
        }
        if (options.collectPredictions) collected.ids.push(...b.device.ids);
        if (step.loss !== null && Number.isFinite(step.loss)) {
          partial.lossSum += step.loss;
          partial.lossBatches++;
          for (const [t, l] of Object.entries(step.taskLosses) as [Task, number][]) {
            partial.taskLossSums[t] = (partial.taskLossSums[t] ?? 0) + l;
            partial.taskLossCounts[t] = (partial.taskLossCounts[t] ?? 0) + 1;
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
  partial.stats = acc.stats();
  return { partial, ...(options.collectPredictions ? { predictions: collected } : {}) };
}

/** The evaluation of a whole split from the partial results of its shards (in a fixed order). */
export function mergeEvaluations(partials: readonly EvaluationPartial[], cccVariant: CccVariant): EvaluationResult {
  const stats = mergeStats(...partials.map((p) => p.stats));
  let lossSum = 0;
  let lossBatches = 0;
  const sums: Partial<Record<Task, number>> = {};
  const counts: Partial<Record<Task, number>> = {};
  for (const p of partials) {
    lossSum += p.lossSum;
    lossBatches += p.lossBatches;
    for (const [t, v] of Object.entries(p.taskLossSums) as [Task, number][]) sums[t] = (sums[t] ?? 0) + v;
    for (const [t, v] of Object.entries(p.taskLossCounts) as [Task, number][]) counts[t] = (counts[t] ?? 0) + v;
  }
  const taskLosses: Partial<Record<Task, number>> = {};
  for (const [t, s] of Object.entries(sums) as [Task, number][]) taskLosses[t] = s / (counts[t] ?? 1);
  return {
    report: fromStats(stats, { cccVariant }),
    loss: lossBatches > 0 ? lossSum / lossBatches : null,
    taskLosses,
  };
}

/** Evaluate `plans` in one pass. */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationResult> {
  const { partial, predictions } = await evaluationPass(options);
  return { ...mergeEvaluations([partial], options.cccVariant), ...(predictions ? { predictions } : {}) };
}
