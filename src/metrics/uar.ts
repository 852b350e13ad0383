/**
 * Unweighted average recall (macro recall): the mean over classes of the
 * per-class recall, the challenges' metric for burst type and country.
 *
 * Classes absent from the labels have no recall and are skipped (the
 * project's rule, `absentClasses: 'skip'`). scikit-learn's
 * `recall_score(average="macro")`, used by the challenge scripts, instead
 * averages over every class seen in the labels or the predictions, counting
 * a class that is only predicted as recall 0; `'sklearn'` reproduces that.
 * The two agree whenever every class occurs in the labels.
 *
 * With no labelled sample at all UAR is undefined; it is reported as 0.
 */
import {
  type ConfusionStats,
  classSupport,
  confusionOf,
  predictedCounts,
} from './confusion.js';

/** How classes absent from the labels enter the mean; see the module comment. */
export type AbsentClassRule = 'skip' | 'sklearn';

/** Options of UAR. */
export interface UarOptions {
  /** Default 'skip'. */
  absentClasses?: AbsentClassRule;
}

/** Recall of each true class, or null where the class has no labelled sample. */
export function perClassRecall(c: ConfusionStats): (number | null)[] {
  const support = classSupport(c);
  return support.map((s, k) => (s > 0 ? (c.counts[k * c.numClasses + k] ?? 0) / s : null));
}

/** UAR from confusion counts; 0 when there is no labelled sample. */
export function uarFromConfusion(c: ConfusionStats, options: UarOptions = {}): number {
  const rule = options.absentClasses ?? 'skip';
  const recalls = perClassRecall(c);
  const predicted = predictedCounts(c);
  let sum = 0;
  let classes = 0;
  recalls.forEach((r, k) => {
    if (r !== null) {
      sum += r;
      classes += 1;
    } else if (rule === 'sklearn' && (predicted[k] ?? 0) > 0) {
      classes += 1; // recall 0 for a class that is only predicted
    }
  });
  return classes === 0 ? 0 : sum / classes;
}

/** Fraction of samples whose predicted class is the true class; 0 when empty. */
export function accuracyFromConfusion(c: ConfusionStats): number {
  let correct = 0;
  let total = 0;
  for (let t = 0; t < c.numClasses; t++) {
    for (let p = 0; p < c.numClasses; p++) {
      const v = c.counts[t * c.numClasses + p] ?? 0;
      total += v;
      if (t === p) correct += v;
    }
  }
  return total === 0 ? 0 : correct / total;
}

/**
 * UAR of predicted vs true class indices over `numClasses` classes.
 * @throws RangeError on length mismatch or an index outside [0, numClasses).
 */
export function uar(
  predicted: ArrayLike<number>,
  target: ArrayLike<number>,
  numClasses: number,
  options: UarOptions & { mask?: ArrayLike<number | boolean> } = {},
): number {
  return uarFromConfusion(confusionOf(predicted, target, numClasses, options.mask), options);
}
