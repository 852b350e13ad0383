/** Audio: decoding (WAV here, other formats through ffmpeg), mix-down, resampling, loudness, preprocessing and its cache. */
export { AudioError, WavDecodeError } from './audio-error.js';
export {
  AUDIO_EXTENSIONS,
  AUDIO_FORMAT_NAMES,
  SUPPORTED_FORMATS_TEXT,
  UnsupportedAudioError,
  sniffAudioFormat,
  type AudioFormat,
} from './audio-formats.js';
export {
  AudioTooLongError,
  audioFormatOf,
  decodeAudio,
  decodeAudioSync,
  probeAudioFile,
  type AudioInfo,
  type DecodeOptions,
  type DecodedAudio,
} from './decode-audio.js';
export { DecoderMissingError, ffmpegBinary } from './ffmpeg.js';
export { AudioCache, type CachedClip } from './audio-cache.js';
export { cropToMaxLength, type CropPosition } from './fit-length.js';
export { normalizeRmsInPlace, rmsDbfs, type RmsNormalizeOptions } from './loudness.js';
export { mixToMono } from './mixdown.js';
export {
  cacheFingerprint,
  resolvePreprocessSettings,
  type PreprocessOptions,
  type PreprocessSettings,
} from './preprocess-settings.js';
export { AudioPreprocessor, type PreprocessStats } from './preprocessor.js';
export {
  DEFAULT_RESAMPLER_DESIGN,
  Resampler,
  resample,
  resampledLength,
  resamplerFor,
  type ResamplerDesign,
} from './resampler.js';
export { decodeWav, decodeWavMono, type DecodedMonoWav, type DecodedWav } from './wav-decode.js';
export { parseFmtChunk, type WavFormat, type WavSampleEncoding } from './wav-format.js';
export { memoryByteSource, readWavLayout, type ByteSource, type WavLayout } from './wav-layout.js';
export { describeFsError } from './file-reads.js';
export { probeWavFile, type WavInfo } from './wav-probe.js';
