/**
 * Mean absolute error in the label's own unit (years for age: predictions
 * made on a 0–1 scale must be mapped back with `unscaleAge` first).
 *
 * The sufficient statistic is (count, Σ|error|). The sum is kept in float64:
 * it adds non-negative terms, so there is no cancellation and the relative
 * error stays below n·2⁻⁵³, far under any printed digit.
 *
 * MAE of zero samples is undefined and has no safe stand-in (it is an error,
 * lower is better, unbounded above), so it throws; the task report leaves a
 * task with no labelled sample out instead.
 */

/** Plain-data (JSON-safe) absolute-error statistics. */
export interface AbsErrorStats {
  /** Number of pairs. */
  n: number;
  /** Σ |prediction − target|. */
  sumAbs: number;
}

/** Statistics of the empty sample. */
export function emptyAbsError(): AbsErrorStats {
  return { n: 0, sumAbs: 0 };
}

/**
 * Add one pair in place.
 * @throws RangeError on a non-finite value.
 */
export function addAbsError(s: AbsErrorStats, prediction: number, target: number): void {
  if (!Number.isFinite(prediction) || !Number.isFinite(target)) {
    throw new RangeError(`MAE: non-finite value (prediction=${prediction}, target=${target})`);
  }
  s.n += 1;
  s.sumAbs += Math.abs(prediction - target);
}

/** Statistics of the pairs kept by `mask` (truthy = labelled). */
export function absErrorOf(
  prediction: ArrayLike<number>,
  target: ArrayLike<number>,
  mask?: ArrayLike<number | boolean>,
): AbsErrorStats {
  if (prediction.length !== target.length) {
    throw new RangeError(`MAE: lengths differ (${prediction.length} vs ${target.length})`);
  }
  if (mask !== undefined && mask.length !== target.length) {
    throw new RangeError(`MAE: mask length ${mask.length} differs from data length ${target.length}`);
  }
  const s = emptyAbsError();
  for (let i = 0; i < target.length; i++) {
    if (mask !== undefined && !mask[i]) continue;
    addAbsError(s, prediction[i] as number, target[i] as number);
  }
  return s;
}

/** Statistics of the union of two samples (pure). */
export function mergeAbsError(a: AbsErrorStats, b: AbsErrorStats): AbsErrorStats {
  return { n: a.n + b.n, sumAbs: a.sumAbs + b.sumAbs };
}

/**
 * MAE from statistics.
 * @throws RangeError when n is 0 (undefined; see the module comment).
 */
export function maeFromStats(s: AbsErrorStats): number {
  if (s.n === 0) throw new RangeError('MAE of zero samples is undefined');
  return s.sumAbs / s.n;
}

/** MAE of predictions against targets, in the targets' unit. */
export function mae(prediction: ArrayLike<number>, target: ArrayLike<number>, mask?: ArrayLike<number | boolean>): number {
  return maeFromStats(absErrorOf(prediction, target, mask));
}
