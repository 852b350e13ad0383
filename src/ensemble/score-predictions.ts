/**
 * Scoring raw predictions against a corpus's labels with the project's
 * metrics (CCC, UAR, MAE in years, S_MTL and the A-VB summary). Raw files
 * hold age in years and class probabilities, which is what the metrics take.
 */
import type { Clip } from '../data/corpus/corpus.js';
import { TASK_SPECS, type Task } from '../tasks.js';
import { type CccVariant, MetricsAccumulator, type MetricsReport } from '../metrics/index.js';
import type { ClipPredictions } from '../predict/raw-predictions.js';
import { EnsembleError } from './combine-predictions.js';

/** A report and how many clips it covers. */
export interface PredictionScore {
  report: MetricsReport;
  /** Predicted clips that carry at least one label of a predicted task. */
  labelledClips: number;
}

/** The label of a clip as metric input: the regression values or the class index. */
function labelValues(clip: Clip, task: Task): number[] | undefined {
  const label = clip.labels[task];
  if (label === undefined) return undefined;
  return typeof label === 'number' ? [label] : Array.from(label);
}

/**
 * Metrics of `predictions` against the labels of `clips` (for example one
 * split of a corpus). Every predicted clip must be among `clips`; clips
 * without a label of a task are left out of that task.
 * @returns null when no predicted clip has a label (e.g. a test split)
 * @throws EnsembleError when a predicted clip is not among `clips`
 */
export function scorePredictions(predictions: ClipPredictions, clips: readonly Clip[], options: { cccVariant?: CccVariant } = {}): PredictionScore | null {
  const byId = new Map(clips.map((c) => [c.id, c]));
  const unknown = predictions.ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new EnsembleError(`${unknown.length} predicted clips are not in the corpus split (first: ${unknown[0]}); check --split and --data`);
  }
  const acc = new MetricsAccumulator();
  const labelled = new Set<string>();
  for (const [task, entry] of Object.entries(predictions.byTask) as [Task, { size: number; values: number[] }][]) {
    const spec = TASK_SPECS[task];
    const targetSize = spec.kind === 'classification' ? 1 : spec.size;
    const targets: number[] = [];
    const mask: number[] = [];
    predictions.ids.forEach((id) => {
      const values = labelValues(byId.get(id)!, task);
      mask.push(values === undefined ? 0 : 1);
      for (let k = 0; k < targetSize; k++) targets.push(values?.[k] ?? 0);
      if (values !== undefined) labelled.add(id);
    });
    if (!mask.some((m) => m === 1)) continue;
    acc.add(task, { predictions: entry.values, targets, mask });
  }
  if (labelled.size === 0) return null;
  return { report: acc.report(options.cccVariant ? { cccVariant: options.cccVariant } : {}), labelledClips: labelled.size };
}
