/**
 * Loudness normalisation by RMS level, as in Burst2Vec (every clip scaled
 * to −3 dBFS RMS before the backbone sees it).
 *
 * dBFS here is relative to an RMS of 1.0 (a full-scale square wave is
 * 0 dBFS; a full-scale sine is −3.01 dBFS). Samples are not clipped: the
 * backbone takes floats, and clipping would distort loud bursts.
 */

/** RMS level of a signal in dBFS; −Infinity for silence or an empty signal. */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return -Infinity;
  let sumSquares = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as number;
    sumSquares += s * s;
  }
  const rms = Math.sqrt(sumSquares / samples.length);
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

/** Options of {@link normalizeRmsInPlace}. */
export interface RmsNormalizeOptions {
  /** Target RMS level in dBFS (Burst2Vec: −3). */
  readonly targetDbfs: number;
  /**
   * Clips quieter than this (dBFS) are left unchanged: scaling silence or
   * a near-silent clip up to the target would only amplify noise, and a
   * digital-zero clip has no level to scale. Default −80.
   */
  readonly silenceDbfs?: number;
}

/**
 * Scale a signal in place so its RMS level is the target.
 * @returns the gain applied (1 when the clip is treated as silence)
 */
export function normalizeRmsInPlace(samples: Float32Array, options: RmsNormalizeOptions): number {
  const level = rmsDbfs(samples);
  const silence = options.silenceDbfs ?? -80;
  if (!(level > silence)) return 1;
  const gain = 10 ** ((options.targetDbfs - level) / 20);
  for (let i = 0; i < samples.length; i++) samples[i] = (samples[i] as number) * gain;
  return gain;
}
