/**
 * Per-task sufficient statistics, accumulated batch by batch during
 * validation and mergeable across shards. Regression tasks keep, per output,
 * the pair moments (for CCC and Pearson) and absolute-error sums (for MAE);
 * classification tasks keep confusion counts (for UAR).
 *
 * Everything here is plain data, so shard statistics can cross process
 * boundaries as JSON and be merged where the report is built.
 */
import { TASK_SPECS, type Task } from '../tasks.js';
import { type AbsErrorStats, addAbsError, emptyAbsError, mergeAbsError } from './mae.js';
import { argmaxRows, type ConfusionStats, addToConfusion, emptyConfusion, mergeConfusion } from './confusion.js';
import { type PairMoments, addPair, emptyPairMoments, mergePairMoments } from './pair-moments.js';

/** Tasks scored by mean CCC over their outputs. */
export type CccTask = 'high' | 'culture' | 'two';
/** Tasks scored by UAR. */
export type UarTask = 'type' | 'country';
/** Tasks scored by MAE. */
export type MaeTask = 'age';

/**
 * Predictions and labels of one task for n samples.
 *
 * Regression (high, culture, two, age): `predictions` and `targets` are
 * n × size, row-major, in the label's own unit (age in years).
 * Classification (type, country): `targets` holds n class indices;
 * `predictions` holds either n class indices or n × classes scores (logits
 * or probabilities), told apart by length, whose arg-max is taken.
 */
export interface TaskPredictions {
  /** Model outputs; layout as above. */
  predictions: ArrayLike<number>;
  /** Labels; layout as above. */
  targets: ArrayLike<number>;
  /**
   * Truthy where the label exists. Length n (per sample) or, for
   * regression, n × size (per output value). Absent: every label exists.
   */
  mask?: ArrayLike<number | boolean>;
}

/** Statistics of a regression task. */
export interface RegressionTaskStats {
  kind: 'regression';
  task: Task;
  /** Per output: moments of (prediction, target). */
  outputs: PairMoments[];
  /** Per output: absolute-error sums. */
  absErrors: AbsErrorStats[];
  /**
   * Per-sample CCC (each sample's CCC across its outputs, see
   * {@link sampleConcordance}): how many samples had one, and their sum.
   * Absent in statistics from builds before it existed (then not reported).
   */
  perSample?: { n: number; sum: number };
}

/** Statistics of a classification task. */
export interface ClassificationTaskStats {
  kind: 'classification';
  task: Task;
  /** Confusion counts, rows = true class. */
  confusion: ConfusionStats;
}

/** Sufficient statistics of one task. */
export type TaskStats = RegressionTaskStats | ClassificationTaskStats;

/** Empty statistics for a task, shaped by TASK_SPECS. */
export function emptyTaskStats(task: Task): TaskStats {
  const spec = TASK_SPECS[task];
  if (spec.kind === 'classification') {
    return { kind: 'classification', task, confusion: emptyConfusion(spec.size) };
  }
  return {
    kind: 'regression',
    task,
    outputs: Array.from({ length: spec.size }, emptyPairMoments),
    absErrors: Array.from({ length: spec.size }, emptyAbsError),
  };
}

/**
 * CCC of one sample's predictions against its labels across its outputs,
 * as recipe A's released training scripts compute it (and print it as
 * their validation CCC): the means and the covariance over the sample's
 * labelled outputs with divisor n, the variances with n − 1 (torch's
 * default `var`). Null when undefined: fewer than two labelled outputs or a
 * zero denominator (where those scripts would give NaN).
 */
export function sampleConcordance(predictions: readonly number[], targets: readonly number[]): number | null {
  const n = targets.length;
  if (n < 2 || predictions.length !== n) return null;
  let mx = 0;
  let my = 0;
  for (let j = 0; j < n; j++) {
    mx += predictions[j] as number;
    my += targets[j] as number;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = 0; j < n; j++) {
    const dx = (predictions[j] as number) - mx;
    const dy = (targets[j] as number) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const denominator = sxx / (n - 1) + syy / (n - 1) + (mx - my) ** 2;
  if (!(denominator > 0)) return null;
  return (2 * (sxy / n)) / denominator;
}

function accumulateRegression(stats: RegressionTaskStats, batch: TaskPredictions): void {
  const size = stats.outputs.length;
  const { predictions, targets, mask } = batch;
  if (targets.length % size !== 0) {
    throw new RangeError(`${stats.task}: ${targets.length} targets are not rows of ${size} outputs`);
  }
  if (predictions.length !== targets.length) {
    throw new RangeError(`${stats.task}: ${predictions.length} predictions for ${targets.length} targets`);
  }
  const n = targets.length / size;
  const perValueMask = mask !== undefined && mask.length === n * size && size > 1;
  if (mask !== undefined && mask.length !== n && mask.length !== n * size) {
    throw new RangeError(`${stats.task}: mask length ${mask.length} is neither ${n} nor ${n * size}`);
  }
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && !perValueMask && !mask[i]) continue;
    const rowP: number[] = [];
    const rowT: number[] = [];
    for (let j = 0; j < size; j++) {
      const k = i * size + j;
      if (perValueMask && !mask[k]) continue;
      const p = predictions[k] as number;
      const t = targets[k] as number;
      addPair(stats.outputs[j] as PairMoments, p, t);
      addAbsError(stats.absErrors[j] as AbsErrorStats, p, t);
      rowP.push(p);
      rowT.push(t);
    }
    if (size > 1) {
      const c = sampleConcordance(rowP, rowT);
      if (c !== null) {
        const acc = (stats.perSample ??= { n: 0, sum: 0 });
        acc.n += 1;
        acc.sum += c;
      }
    }
  }
}

function accumulateClassification(stats: ClassificationTaskStats, batch: TaskPredictions): void {
  const k = stats.confusion.numClasses;
  const { targets, mask } = batch;
  const n = targets.length;
  let classes: ArrayLike<number>;
  if (batch.predictions.length === n) classes = batch.predictions;
  else if (batch.predictions.length === n * k) classes = argmaxRows(batch.predictions, k);
  else {
    throw new RangeError(
      `${stats.task}: ${batch.predictions.length} predictions are neither ${n} class indices nor ${n}×${k} scores`,
    );
  }
  if (mask !== undefined && mask.length !== n) {
    throw new RangeError(`${stats.task}: mask length ${mask.length} differs from ${n} samples`);
  }
  for (let i = 0; i < n; i++) {
    if (mask !== undefined && !mask[i]) continue;
    addToConfusion(stats.confusion, targets[i] as number, classes[i] as number);
  }
}

/**
 * Add a batch of predictions to `stats` in place.
 * @throws RangeError on inconsistent lengths, a non-finite labelled value or
 *   a class index out of range; `stats` may then hold part of the batch and
 *   should be discarded.
 */
export function accumulateTask(stats: TaskStats, batch: TaskPredictions): void {
  if (stats.kind === 'regression') accumulateRegression(stats, batch);
  else accumulateClassification(stats, batch);
}

/** Statistics of one batch (a fresh object). */
export function taskStatsOf(task: Task, batch: TaskPredictions): TaskStats {
  const stats = emptyTaskStats(task);
  accumulateTask(stats, batch);
  return stats;
}

/** Statistics of the union of two samples of the same task (pure). */
export function mergeTaskStats(a: TaskStats, b: TaskStats): TaskStats {
  if (a.task !== b.task) throw new RangeError(`cannot merge statistics of ${a.task} with ${b.task}`);
  if (a.kind === 'classification' && b.kind === 'classification') {
    return { kind: 'classification', task: a.task, confusion: mergeConfusion(a.confusion, b.confusion) };
  }
  if (a.kind === 'regression' && b.kind === 'regression') {
    if (a.outputs.length !== b.outputs.length || a.absErrors.length !== b.absErrors.length) {
      throw new RangeError(`${a.task}: cannot merge ${a.outputs.length} outputs with ${b.outputs.length}`);
    }
    const perSample =
      a.perSample || b.perSample
        ? { n: (a.perSample?.n ?? 0) + (b.perSample?.n ?? 0), sum: (a.perSample?.sum ?? 0) + (b.perSample?.sum ?? 0) }
        : undefined;
    return {
      kind: 'regression',
      task: a.task,
      outputs: a.outputs.map((m, j) => mergePairMoments(m, b.outputs[j] as PairMoments)),
      absErrors: a.absErrors.map((s, j) => mergeAbsError(s, b.absErrors[j] as AbsErrorStats)),
      ...(perSample ? { perSample } : {}),
    };
  }
  throw new RangeError(`${a.task}: cannot merge ${a.kind} statistics with ${b.kind}`);
}
