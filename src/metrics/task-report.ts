/**
 * Per-task and per-output metric reports, built from task statistics. These
 * objects are logged to metrics.jsonl and shown in report.html, so they hold
 * only JSON-safe values: every number is finite, and "not defined" is null.
 */
import { TASK_SPECS, type Task } from '../tasks.js';
import { type CccVariant, DEFAULT_CCC_VARIANT, cccFromMoments, isCccDefined } from './ccc.js';
import { classSupport, confusionMatrix, confusionTotal, predictedCounts } from './confusion.js';
import { maeFromStats } from './mae.js';
import { type PairMoments } from './pair-moments.js';
import { pearsonFromMoments } from './pearson.js';
import type { CccTask, MaeTask, TaskStats, UarTask } from './task-stats.js';
import { type AbsentClassRule, accuracyFromConfusion, perClassRecall, uarFromConfusion } from './uar.js';

/** Metrics of one regression output (an emotion, a culture column, valence, age...). */
export interface OutputReport {
  /** Output name from TASK_SPECS (e.g. "Awe", "China_Fear", "Age"). */
  name: string;
  /** Labelled samples of this output. */
  n: number;
  /** CCC (0 where undefined, see `cccDefined`). */
  ccc: number;
  /** False when CCC had fewer than two samples or both sides were constant and equal. */
  cccDefined: boolean;
  /** Pearson correlation (0 where undefined). */
  pearson: number;
  /** Mean absolute error in the label's unit; null with no sample. */
  mae: number | null;
  /** Mean of the predictions. */
  meanPrediction: number;
  /** Mean of the labels. */
  meanTarget: number;
  /** Population standard deviation of the predictions (a collapsed head shows ~0). */
  stdPrediction: number;
  /** Population standard deviation of the labels. */
  stdTarget: number;
}

/** Report of a task scored by mean CCC (high, culture, two). */
export interface CccTaskReport {
  task: CccTask;
  metric: 'ccc';
  /** Mean CCC over the outputs that have at least one labelled sample. */
  value: number;
  /** Labelled samples (largest over outputs). */
  n: number;
  /** Per-output metrics, in TASK_SPECS order. */
  outputs: OutputReport[];
  /**
   * Mean over samples of each sample's CCC across its outputs (n − 1
   * variances): what recipe A's released scripts print as their validation
   * CCC, not the challenge metric above. Null when no sample had one.
   */
  sampleCcc: number | null;
}

/** Metrics of one class of a classification task. */
export interface ClassReport {
  /** Class name from TASK_SPECS. */
  name: string;
  /** Labelled samples of this class. */
  support: number;
  /** Samples predicted as this class. */
  predicted: number;
  /** Recall; null when the class is absent from the labels (skipped by UAR). */
  recall: number | null;
}

/** Report of a task scored by UAR (type, country). */
export interface UarTaskReport {
  task: UarTask;
  metric: 'uar';
  /** Unweighted average recall. */
  value: number;
  /** Labelled samples. */
  n: number;
  /** Plain accuracy, for reference. */
  accuracy: number;
  /** Per-class counts and recall, in TASK_SPECS order. */
  classes: ClassReport[];
  /** Confusion counts, rows = true class, columns = predicted class. */
  confusion: number[][];
}

/** Report of a task scored by MAE (age). */
export interface MaeTaskReport {
  task: MaeTask;
  metric: 'mae';
  /** Mean absolute error in the label's unit. */
  value: number;
  /** Unit of `value`. */
  unit: 'years';
  /** Labelled samples. */
  n: number;
  /** CCC and the other per-output values of the single output. */
  output: OutputReport;
}

/** Report of one task. */
export type TaskReport = CccTaskReport | UarTaskReport | MaeTaskReport;

/** Options for building reports from statistics. */
export interface ReportOptions {
  /** CCC normalisers; default {@link DEFAULT_CCC_VARIANT} ('population'). */
  cccVariant?: CccVariant;
  /** UAR rule for classes absent from the labels; default 'skip'. */
  uarAbsentClasses?: AbsentClassRule;
}

function outputReport(name: string, m: PairMoments, sumAbs: number, variant: CccVariant): OutputReport {
  return {
    name,
    n: m.n,
    ccc: cccFromMoments(m, variant),
    cccDefined: isCccDefined(m),
    pearson: pearsonFromMoments(m),
    mae: m.n > 0 ? sumAbs / m.n : null,
    meanPrediction: m.meanX,
    meanTarget: m.meanY,
    stdPrediction: m.n > 0 ? Math.sqrt(Math.max(0, m.m2X) / m.n) : 0,
    stdTarget: m.n > 0 ? Math.sqrt(Math.max(0, m.m2Y) / m.n) : 0,
  };
}

/**
 * The report of one task, or undefined when the task has no labelled
 * sample (its metric is then undefined; the caller lists it as empty).
 */
export function taskReportFromStats(stats: TaskStats, options: ReportOptions = {}): TaskReport | undefined {
  const spec = TASK_SPECS[stats.task];
  const variant = options.cccVariant ?? DEFAULT_CCC_VARIANT;
  if (stats.kind === 'classification') {
    if (spec.metric !== 'uar') throw new RangeError(`${stats.task} is not a UAR task`);
    const c = stats.confusion;
    const n = confusionTotal(c);
    if (n === 0) return undefined;
    const support = classSupport(c);
    const predicted = predictedCounts(c);
    const recall = perClassRecall(c);
    return {
      task: stats.task as UarTask,
      metric: 'uar',
      value: uarFromConfusion(c, { absentClasses: options.uarAbsentClasses ?? 'skip' }),
      n,
      accuracy: accuracyFromConfusion(c),
      classes: spec.labels.map((name, k) => ({
        name,
        support: support[k] ?? 0,
        predicted: predicted[k] ?? 0,
        recall: recall[k] ?? null,
      })),
      confusion: confusionMatrix(c),
    };
  }
  const outputs = stats.outputs.map((m, j) =>
    outputReport(spec.labels[j] ?? `output ${j}`, m, stats.absErrors[j]?.sumAbs ?? 0, variant),
  );
  const n = outputs.reduce((best, o) => Math.max(best, o.n), 0);
  if (n === 0) return undefined;
  if (spec.metric === 'mae') {
    const output = outputs[0] as OutputReport;
    return {
      task: stats.task as MaeTask,
      metric: 'mae',
      value: maeFromStats(stats.absErrors[0] ?? { n: 0, sumAbs: 0 }),
      unit: 'years',
      n,
      output,
    };
  }
  if (spec.metric !== 'ccc') throw new RangeError(`${stats.task} is not a regression task`);
  const scored = outputs.filter((o) => o.n > 0);
  return {
    task: stats.task as CccTask,
    metric: 'ccc',
    value: scored.reduce((s, o) => s + o.ccc, 0) / scored.length,
    n,
    outputs,
    sampleCcc: stats.perSample && stats.perSample.n > 0 ? stats.perSample.sum / stats.perSample.n : null,
  };
}

/** Whether the task's metric is better when larger (CCC, UAR) or smaller (MAE). */
export function higherIsBetter(task: Task): boolean {
  return TASK_SPECS[task].metric !== 'mae';
}
