/**
 * Pearson correlation for one output, from the same sufficient statistics
 * as CCC (the n's cancel, so there is no variant). Reported next to CCC: a
 * high Pearson with a low CCC means the model ranks well but is biased or
 * mis-scaled.
 *
 * Degenerate input (fewer than two pairs, or either side constant) gives 0.
 */
import { type PairMoments, pairMomentsOf } from './pair-moments.js';

/** Pearson r from sufficient statistics; 0 where undefined. */
export function pearsonFromMoments(m: PairMoments): number {
  if (m.n < 2 || !(m.m2X > 0) || !(m.m2Y > 0)) return 0;
  const r = m.cXY / Math.sqrt(m.m2X * m.m2Y);
  return Math.min(1, Math.max(-1, r));
}

/**
 * Pearson correlation of x and y, keeping pair i where mask[i] is truthy.
 * @throws RangeError on length mismatch or a non-finite kept value.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, mask?: ArrayLike<number | boolean>): number {
  return pearsonFromMoments(pairMomentsOf(x, y, mask));
}
