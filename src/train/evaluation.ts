/**
 * One pass over a split in eval mode: predictions, metrics, and (with
 * labels) the validation loss. Optionally keeps every clip's predictions for
 * submission files.
 */
import type { BatchPlan } from '../data/batch.js';
import { TASK_SPECS, type Task, unscaleAge } from '../data/schema.js';
import { type CccVariant, MetricsAccumulator, type MetricsReport } from '../metrics/index.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import { noGrad, scope } from '../torch/index.js';
import type { ClipPredictions } from '../predict/raw-predictions.js';
import type { BatchSource } from './batch-source.js';

export type { ClipPredictions };

export interface EvaluationResult {
  report: MetricsReport;
  /** Mean weighted loss over batches (null when no batch had labels). */
  loss: number | null;
  taskLosses: Partial<Record<Task, number>>;
  predictions?: ClipPredictions;
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

export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationResult> {
  const { model } = options;
  const wasTraining = { head: model.head.training, backbone: model.backbone.training };
  model.head.eval();
  model.backbone.eval();
  const acc = new MetricsAccumulator();
  const lossSums: Partial<Record<Task, number>> = {};
  const lossCounts: Partial<Record<Task, number>> = {};
  let totalLoss = 0;
  let lossBatches = 0;
  const collected: ClipPredictions = { ids: [], byTask: {} };
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
              const out = options.autocast(() => model.loss(b.device));
              loss = out.loss.item();
              for (const [t, l] of Object.entries(out.taskLosses)) taskLosses[t as Task] = l!.item();
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
            const size = TASK_SPECS[task].size;
            const entry = (collected.byTask[task] ??= { size, values: [] });
            for (const v of values) entry.values.push(v);
          }
        }
        if (options.collectPredictions) collected.ids.push(...b.device.ids);
        if (step.loss !== null && Number.isFinite(step.loss)) {
          totalLoss += step.loss;
          lossBatches++;
          for (const [t, l] of Object.entries(step.taskLosses) as [Task, number][]) {
            lossSums[t] = (lossSums[t] ?? 0) + l;
            lossCounts[t] = (lossCounts[t] ?? 0) + 1;
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
  const taskLosses: Partial<Record<Task, number>> = {};
  for (const [t, s] of Object.entries(lossSums) as [Task, number][]) taskLosses[t] = s / (lossCounts[t] ?? 1);
  return {
    report: acc.report({ cccVariant: options.cccVariant }),
    loss: lossBatches > 0 ? totalLoss / lossBatches : null,
    taskLosses,
    ...(options.collectPredictions ? { predictions: collected } : {}),
  };
}
