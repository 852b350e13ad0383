/**
 * Seed derivation for the synthetic corpus: every random stream (speakers,
 * clip latents, label noise, each clip's audio) gets its own seed derived
 * from the corpus seed and a few integers, so one clip's audio does not
 * depend on how many random numbers another clip consumed.
 */

/** Named purposes of the random streams; values are arbitrary but fixed. */
export const STREAM = {
  speakers: 1,
  clips: 2,
  labels: 3,
  audio: 4,
  stereo: 5,
} as const;

/**
 * Mix a seed with any number of integers into a new 32-bit seed
 * (a murmur3-style finaliser per step: small input changes flip about half
 * the output bits).
 */
export function deriveSeed(seed: number, ...salts: number[]): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const salt of salts) {
    h = Math.imul(h ^ (salt >>> 0), 0xcc9e2d51) >>> 0;
    h = ((h << 15) | (h >>> 17)) >>> 0;
    h = (Math.imul(h, 0x1b873593) + 0xe6546b64) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}
