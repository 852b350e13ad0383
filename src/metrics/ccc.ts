/**
 * Concordance correlation coefficient (Lin, 1989) for one output:
 *
 *     CCC = 2·cov(x, y) / (var(x) + var(y) + (mean(x) − mean(y))²)
 *
 * Two variants differ only in the normalisers:
 * - `population` (project default): n for the variances and the covariance,
 *   the textbook form. A perfect prediction scores exactly 1, the value is
 *   bounded by [−1, 1], and it is the same quantity the CCC training loss
 *   computes on a batch.
 * - `official`: the form of the A-VB 2022 and ExVo 2022 baseline scripts,
 *   n − 1 for the variances and n for the covariance. A perfect prediction
 *   scores (n − 1)/n. Use it to compare numbers with those scripts. The two
 *   differ by at most a factor (n − 1)/n, below 1e-4 relative on the
 *   challenges' validation sets (over ten thousand clips) but visible on
 *   small synthetic sets; the scripts also round each CCC to four decimals,
 *   which is not reproduced here.
 *
 * Switch with the `variant` option here, or `cccVariant` in the evaluation
 * options (src/metrics/evaluation.ts).
 *
 * Degenerate input has a defined result, never NaN: with fewer than two
 * pairs, or when predictions and targets are both constant and equal (0/0),
 * CCC is 0, read as "no measured agreement", so early stopping never sees a
 * NaN and a collapsed model never looks perfect. When only one side is
 * constant the formula itself gives 0.
 */
import { type PairMoments, pairMomentsOf } from './pair-moments.js';

/** Normalisers used for CCC; see the module comment. */
export type CccVariant = 'population' | 'official';

/** The project's default CCC variant: the textbook population form. */
export const DEFAULT_CCC_VARIANT: CccVariant = 'population';

/** All CCC variants, for option validation and CLI choices. */
export const CCC_VARIANTS: readonly CccVariant[] = ['population', 'official'];

/** Options of {@link ccc}. */
export interface CccOptions {
  /** Normalisers; default {@link DEFAULT_CCC_VARIANT}. */
  variant?: CccVariant;
  /** Keep pair i only where mask[i] is truthy (labelled). */
  mask?: ArrayLike<number | boolean>;
}

/**
 * Whether CCC is defined for these moments (at least two pairs and a
 * non-zero denominator). Where it is not, {@link cccFromMoments} returns 0.
 */
export function isCccDefined(m: PairMoments): boolean {
  if (m.n < 2) return false;
  const d = m.meanX - m.meanY;
  return Math.max(0, m.m2X) + Math.max(0, m.m2Y) + d * d > 0;
}

/** CCC from sufficient statistics; 0 where undefined (see module comment). */
export function cccFromMoments(m: PairMoments, variant: CccVariant = DEFAULT_CCC_VARIANT): number {
  if (!isCccDefined(m)) return 0;
  const varDivisor = variant === 'official' ? m.n - 1 : m.n;
  const cov = m.cXY / m.n;
  const varX = Math.max(0, m.m2X) / varDivisor;
  const varY = Math.max(0, m.m2Y) / varDivisor;
  const d = m.meanX - m.meanY;
  const value = (2 * cov) / (varX + varY + d * d);
  // Rounding can push a perfect agreement a hair past ±1.
  return Math.min(1, Math.max(-1, value));
}

/**
 * CCC between predictions and targets of one output.
 * @throws RangeError on length mismatch or a non-finite kept value.
 */
export function ccc(prediction: ArrayLike<number>, target: ArrayLike<number>, options: CccOptions = {}): number {
  return cccFromMoments(pairMomentsOf(prediction, target, options.mask), options.variant);
}
