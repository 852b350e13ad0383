/** Clip lengths after preprocessing, known from the audio headers read when the corpus was loaded. */
import { resampledLength } from '../../audio/resampler.js';
import { resolvePreprocessSettings, type PreprocessOptions } from '../../audio/preprocess-settings.js';
import type { Clip } from '../corpus/corpus.js';

/**
 * Length in samples of every clip after preprocessing with `options`
 * (resampling and cropping), indexed like `clips`.
 * @throws Error when a clip has no header information (corpus read with probeAudio off)
 */
export function preprocessedLengths(clips: readonly Clip[], options: PreprocessOptions = {}): Int32Array {
  const settings = resolvePreprocessSettings(options);
  const lengths = new Int32Array(clips.length);
  clips.forEach((clip, i) => {
    if (clip.audio === undefined) {
      throw new Error(`clip '${clip.id}' has no audio header information: read the corpus with probeAudio on`);
    }
    const n = resampledLength(clip.audio.frames, clip.audio.sampleRate, settings.sampleRate);
    lengths[i] = settings.maxSamples === undefined ? n : Math.min(n, settings.maxSamples);
  });
  return lengths;
}
