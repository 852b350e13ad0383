/** Cropping clips to a maximum length. */

/** Which part of a too-long clip is kept. */
export type CropPosition = 'start' | 'center';

/**
 * Crop a clip to at most `maxSamples`; shorter clips are returned as is.
 * Padding is not done here: batches pad to their longest clip (or to a
 * fixed length) and carry the true lengths, so padding never reaches the
 * pooled features.
 * @returns a view into `samples` (no copy)
 */
export function cropToMaxLength(samples: Float32Array, maxSamples: number, position: CropPosition = 'start'): Float32Array {
  if (!Number.isInteger(maxSamples) || maxSamples < 1) {
    throw new RangeError(`cropToMaxLength: maxSamples must be a positive integer, got ${maxSamples}`);
  }
  if (samples.length <= maxSamples) return samples;
  const start = position === 'center' ? Math.floor((samples.length - maxSamples) / 2) : 0;
  return samples.subarray(start, start + maxSamples);
}
