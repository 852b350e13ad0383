/**
 * Settings of the audio preprocessing chain (decode → mono → resample →
 * RMS normalisation → crop), their defaults, and the fingerprint that keys
 * the preprocessed-audio cache.
 */
import type { CropPosition } from './fit-length.js';
import { DEFAULT_RESAMPLER_DESIGN } from './resampler.js';

/** Options of the preprocessing chain; every field has a default. */
export interface PreprocessOptions {
  /** Output sample rate in Hz. Default 16000 (what every backbone expects). */
  readonly sampleRate?: number;
  /** Scale each clip to a target RMS level. Default true (Burst2Vec). */
  readonly normalize?: boolean;
  /** Target RMS level in dBFS when normalising. Default −3 (Burst2Vec). */
  readonly targetDbfs?: number;
  /** Clips quieter than this (dBFS) are not scaled. Default −80. */
  readonly silenceDbfs?: number;
  /** Crop clips longer than this many seconds. Default: no cropping. */
  readonly maxSeconds?: number;
  /** Which part of a long clip to keep. Default 'start'. */
  readonly crop?: CropPosition;
}

/** PreprocessOptions with every default filled in. */
export interface PreprocessSettings {
  readonly sampleRate: number;
  readonly normalize: boolean;
  readonly targetDbfs: number;
  readonly silenceDbfs: number;
  /** Maximum clip length in output samples, or undefined for none. */
  readonly maxSamples: number | undefined;
  readonly crop: CropPosition;
}

/** Fill in defaults and validate. */
export function resolvePreprocessSettings(options: PreprocessOptions = {}): PreprocessSettings {
  const sampleRate = options.sampleRate ?? 16000;
  if (!Number.isInteger(sampleRate) || sampleRate < 1000) {
    throw new RangeError(`preprocess: sampleRate must be an integer ≥ 1000 Hz, got ${sampleRate}`);
  }
  const targetDbfs = options.targetDbfs ?? -3;
  const silenceDbfs = options.silenceDbfs ?? -80;
  if (!Number.isFinite(targetDbfs) || !Number.isFinite(silenceDbfs)) {
    throw new RangeError('preprocess: targetDbfs and silenceDbfs must be finite');
  }
  let maxSamples: number | undefined;
  if (options.maxSeconds !== undefined) {
    if (!(options.maxSeconds > 0)) throw new RangeError(`preprocess: maxSeconds must be > 0, got ${options.maxSeconds}`);
    maxSamples = Math.max(1, Math.round(options.maxSeconds * sampleRate));
  }
  const crop = options.crop ?? 'start';
  if (crop !== 'start' && crop !== 'center') throw new RangeError(`preprocess: unknown crop position '${String(crop)}'`);
  return { sampleRate, normalize: options.normalize ?? true, targetDbfs, silenceDbfs, maxSamples, crop };
}

/**
 * Version of the cached representation; bump it whenever the decoder, the
 * mix-down, the resampler or the normaliser changes its output.
 */
const CACHE_FORMAT_VERSION = 1;

/**
 * A string naming everything that determines the cached samples. Cropping
 * is applied after the cache, so it is not part of it: changing the maximum
 * length reuses cached clips.
 */
export function cacheFingerprint(settings: PreprocessSettings): string {
  const design = DEFAULT_RESAMPLER_DESIGN;
  return JSON.stringify({
    v: CACHE_FORMAT_VERSION,
    rate: settings.sampleRate,
    norm: settings.normalize ? [settings.targetDbfs, settings.silenceDbfs] : null,
    resampler: [design.passbandEdge, design.stopbandEdge, design.stopbandAttenuationDb],
  });
}
