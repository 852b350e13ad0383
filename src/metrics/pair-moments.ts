/**
 * Sufficient statistics of paired samples (x, y): count, means, centred sums
 * of squares and the centred cross product. CCC and Pearson correlation are
 * functions of these alone, so a validation set split into shards gives the
 * single-pass result once the shards' moments are merged.
 *
 * Accumulation is in float64 with Welford's update, and merging uses Chan et
 * al.'s pairwise formula: both avoid the cancellation of the naive
 * "sum of squares minus square of sum" form, which loses every digit when the
 * mean is large relative to the spread.
 */

/** Plain-data (JSON-safe) moments of a paired sample. */
export interface PairMoments {
  /** Number of pairs. */
  n: number;
  /** Mean of x. */
  meanX: number;
  /** Mean of y. */
  meanY: number;
  /** Σ (x − meanX)². */
  m2X: number;
  /** Σ (y − meanY)². */
  m2Y: number;
  /** Σ (x − meanX)(y − meanY). */
  cXY: number;
}

/** Moments of the empty sample. */
export function emptyPairMoments(): PairMoments {
  return { n: 0, meanX: 0, meanY: 0, m2X: 0, m2Y: 0, cXY: 0 };
}

/**
 * Add one pair to `m` in place (Welford's update).
 * @throws RangeError if x or y is not finite: a NaN would silently poison
 *   every later statistic, so it is refused where it enters.
 */
export function addPair(m: PairMoments, x: number, y: number): void {
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    throw new RangeError(`pair moments: non-finite value (x=${x}, y=${y})`);
  }
  m.n += 1;
  const dx = x - m.meanX;
  const dy = y - m.meanY;
  m.meanX += dx / m.n;
  m.meanY += dy / m.n;
  // The cross terms use the old deviation on one side and the new on the
  // other, which is the exact incremental form.
  m.m2X += dx * (x - m.meanX);
  m.m2Y += dy * (y - m.meanY);
  m.cXY += dx * (y - m.meanY);
}

/**
 * Moments of the pairs (x[i], y[i]) where `mask` (if given) is truthy.
 * @throws RangeError if the arrays differ in length, or a kept value is not finite.
 */
export function pairMomentsOf(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  mask?: ArrayLike<number | boolean>,
): PairMoments {
  if (x.length !== y.length) {
    throw new RangeError(`pair moments: lengths differ (${x.length} vs ${y.length})`);
  }
  if (mask !== undefined && mask.length !== x.length) {
    throw new RangeError(`pair moments: mask length ${mask.length} differs from data length ${x.length}`);
  }
  const m = emptyPairMoments();
  for (let i = 0; i < x.length; i++) {
    if (mask !== undefined && !mask[i]) continue;
    addPair(m, x[i] as number, y[i] as number);
  }
  return m;
}

/**
 * Moments of the union of two samples (Chan, Golub & LeVeque pairwise
 * merge). Pure: returns a new object. Merging is associative up to float64
 * rounding, so shard order does not matter beyond the last few bits.
 */
export function mergePairMoments(a: PairMoments, b: PairMoments): PairMoments {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const dx = b.meanX - a.meanX;
  const dy = b.meanY - a.meanY;
  const w = (a.n * b.n) / n;
  return {
    n,
    meanX: a.meanX + (dx * b.n) / n,
    meanY: a.meanY + (dy * b.n) / n,
    m2X: a.m2X + b.m2X + dx * dx * w,
    m2Y: a.m2Y + b.m2Y + dy * dy * w,
    cXY: a.cXY + b.cXY + dx * dy * w,
  };
}
