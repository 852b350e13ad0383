/**
 * Small sampling helpers on top of the project's seeded Rng.
 */
import type { Rng } from '../util/rng.js';

/** Draw an index with probability proportional to `weights` (non-negative, not all zero). */
export function sampleCategorical(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Choose exactly `count` distinct indices of [0, n), returned as a membership mask. */
export function chooseSubset(rng: Rng, n: number, count: number): boolean[] {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const mask = new Array<boolean>(n).fill(false);
  for (let k = 0; k < Math.min(count, n); k++) mask[order[k] as number] = true;
  return mask;
}

/** Logistic function. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Inverse of the logistic function, for p in (0, 1). */
export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Clamp to [0, 1]. */
export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
