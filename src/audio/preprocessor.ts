/**
 * The audio preprocessing chain for one clip: read the file, look it up in
 * the cache, otherwise decode (WAV here, other formats through ffmpeg) → mix
 * down to mono → resample → normalise the RMS level and store the result;
 * finally crop to the maximum length.
 */
import { readFileSync } from 'node:fs';
import { AudioError } from './audio-error.js';
import { AudioCache } from './audio-cache.js';
import { sniffAudioFormat } from './audio-formats.js';
import { decodeAudioSync } from './decode-audio.js';
import { ffmpegVersion } from './ffmpeg.js';
import { cropToMaxLength } from './fit-length.js';
import { normalizeRmsInPlace } from './loudness.js';
import {
  cacheFingerprint,
  resolvePreprocessSettings,
  type PreprocessOptions,
  type PreprocessSettings,
} from './preprocess-settings.js';
import { resample, resampledLength } from './resampler.js';
import { describeFsError } from './file-reads.js';

/** Counters of cache use, for reports and tests. */
export interface PreprocessStats {
  /** Clips served from the cache. */
  cacheHits: number;
  /** Clips decoded (cache miss, or no cache). */
  decoded: number;
}

/** Runs the preprocessing chain with fixed settings and an optional cache. */
export class AudioPreprocessor {
  /** The settings in force, defaults filled in. */
  readonly settings: PreprocessSettings;
  /** Cache use so far. */
  readonly stats: PreprocessStats = { cacheHits: 0, decoded: 0 };
  private readonly cache: AudioCache | undefined;
  private readonly fingerprint: string;

  /**
   * @param options preprocessing options (defaults: 16 kHz, −3 dBFS RMS, no crop)
   * @param cacheDir folder of the preprocessed-audio cache; none when omitted
   */
  constructor(options: PreprocessOptions = {}, cacheDir?: string) {
    this.settings = resolvePreprocessSettings(options);
    this.fingerprint = cacheFingerprint(this.settings);
    this.cache = cacheDir === undefined ? undefined : new AudioCache(cacheDir);
  }

  /**
   * Preprocess one audio file (WAV, or any format ffmpeg decodes).
   * @returns mono samples at the output rate, cropped; the array owns its
   *   buffer only when no crop applied, so copy it before transferring
   * @throws AudioError (WavDecodeError for undecodable files) naming the file
   */
  loadFile(path: string): Float32Array {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new AudioError(describeFsError(error), path, { cause: error });
    }
    let samples: Float32Array | undefined;
    let key: string | undefined;
    if (this.cache !== undefined) {
      // Files ffmpeg decodes are keyed by its version too; WAV keys stay as they were.
      const decoder = sniffAudioFormat(bytes) ?? 'wav';
      key = AudioCache.key(bytes, decoder === 'wav' ? this.fingerprint : `${this.fingerprint}|${ffmpegVersion()}`);
      const cached = this.cache.get(key);
      if (cached !== undefined && cached.sampleRate === this.settings.sampleRate) {
        this.stats.cacheHits++;
        samples = cached.samples;
      }
    }
    if (samples === undefined) {
      samples = this.processBytes(bytes, path);
      if (this.cache !== undefined && key !== undefined) this.cache.put(key, this.settings.sampleRate, samples);
    }
    return this.settings.maxSamples === undefined
      ? samples
      : cropToMaxLength(samples, this.settings.maxSamples, this.settings.crop);
  }

  /**
   * Decode, mix down, resample and normalise the bytes of an audio file (no cache, no crop).
   * @param file a name for error messages
   */
  processBytes(bytes: Uint8Array, file?: string): Float32Array {
    this.stats.decoded++;
    const decoded = decodeAudioSync(bytes, file);
    if (decoded.samples.length === 0) {
      throw new AudioError(`zero-length clip (${decoded.format === 'wav' ? 'the data chunk holds no samples' : 'no audio samples decoded'})`, file);
    }
    return this.finish(decoded.samples, decoded.sampleRate, file, true);
  }

  /**
   * Resample and normalise mono samples at `sampleRate` (no cache, no crop),
   * as `processBytes` does after decoding. `samples` is left unchanged.
   * @param file a name for error messages
   */
  processSamples(samples: Float32Array, sampleRate: number, file?: string): Float32Array {
    if (samples.length === 0) throw new AudioError('zero-length clip (no samples)', file);
    return this.finish(samples, sampleRate, file, false);
  }

  /** Resample, then normalise; `owned`: `samples` may be returned and changed in place. */
  private finish(samples: Float32Array, sampleRate: number, file: string | undefined, owned: boolean): Float32Array {
    let output: Float32Array;
    try {
      output = resample(samples, sampleRate, this.settings.sampleRate);
      if (output === samples && !owned) output = samples.slice();
    } catch (error) {
      if (error instanceof RangeError) {
        throw new AudioError(`cannot resample: ${error.message}`, file, { cause: error });
      }
      throw error;
    }
    if (this.settings.normalize) {
      normalizeRmsInPlace(output, { targetDbfs: this.settings.targetDbfs, silenceDbfs: this.settings.silenceDbfs });
    }
    return output;
  }

  /**
   * Length in output samples that `loadFile` returns for a file of `frames`
   * frames at `sampleRate`, known from its header alone.
   */
  outputLength(frames: number, sampleRate: number): number {
    const length = resampledLength(frames, sampleRate, this.settings.sampleRate);
    return this.settings.maxSamples === undefined ? length : Math.min(length, this.settings.maxSamples);
  }
}

