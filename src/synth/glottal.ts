/**
 * The glottal source: a Rosenberg pulse (the airflow through the vocal folds
 * over one period), whose time derivative, the excitation the vocal tract
 * sees, has the characteristic sharp negative spike at closure.
 */

/**
 * Rosenberg glottal flow at phase `phase` in [0, 1) of a period.
 *
 * @param openQuotient share of the period with the folds open (0.3–0.8);
 *   two thirds of it opening, one third closing.
 * @returns flow in [0, 1]; 0 while the folds are closed.
 */
export function rosenbergFlow(phase: number, openQuotient: number): number {
  const opening = openQuotient * (2 / 3);
  const closing = openQuotient - opening;
  if (phase < opening) return 0.5 * (1 - Math.cos((Math.PI * phase) / opening));
  if (phase < openQuotient) return Math.cos((Math.PI * (phase - opening)) / (2 * closing));
  return 0;
}
