/**
 * The ExVo 2022 multitask score: the harmonic mean of emotion CCC, country
 * UAR and the inverse of the age MAE (in years),
 *
 *     S_MTL = 3 / (1/CCC + 1/UAR + MAE).
 *
 * A harmonic mean is only meaningful for positive terms. When CCC or UAR is
 * ≤ 0 the score is 0, the limit of the formula as that term falls to 0⁺
 * (without this rule a negative CCC would give a negative or even larger
 * score, rewarding anti-correlation). MAE = 0 is a perfect age term (1/MAE
 * = ∞) and the formula handles it; an infinite MAE gives 0. A negative MAE,
 * or any NaN, is a caller's error and throws.
 */

/** S_MTL from its three terms; see the module comment for edge cases. */
export function smtl(emotionCcc: number, countryUar: number, ageMae: number): number {
  if (Number.isNaN(emotionCcc) || Number.isNaN(countryUar) || Number.isNaN(ageMae)) {
    throw new RangeError(`S_MTL: NaN term (CCC=${emotionCcc}, UAR=${countryUar}, MAE=${ageMae})`);
  }
  if (ageMae < 0) throw new RangeError(`S_MTL: MAE cannot be negative (${ageMae})`);
  if (emotionCcc <= 0 || countryUar <= 0) return 0;
  return 3 / (1 / emotionCcc + 1 / countryUar + ageMae);
}
