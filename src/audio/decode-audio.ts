/**
 * Decoding any supported audio file to mono float samples at its own rate,
 * and reading a file's length without keeping its samples. WAV goes to the
 * WAV decoder; every other format to ffmpeg, whose float32 output is read by
 * the same WAV decoder and mixed down the same way.
 */
import { readFile } from 'node:fs/promises';
import { AudioError, WavDecodeError } from './audio-error.js';
import { SUPPORTED_FORMATS_TEXT, UnsupportedAudioError, type AudioFormat, sniffAudioFormat } from './audio-formats.js';
import { type FfmpegDecodeOptions, ffmpegDecode, ffmpegDecodeSync, ffmpegProbeSync } from './ffmpeg.js';
import { decodeWavMono } from './wav-decode.js';
import { memoryByteSource, readWavLayout } from './wav-layout.js';
import { describeFsError, readBytesAt, withRegularFile } from './file-reads.js';
import { probeWavFile } from './wav-probe.js';

/** A decoded clip, mixed down to mono. */
export interface DecodedAudio {
  readonly format: AudioFormat;
  /** The file's sample rate. */
  readonly sampleRate: number;
  /** Channels of the file (before the mix-down). */
  readonly channels: number;
  /** The average of the channels. */
  readonly samples: Float32Array;
}

/** What a file's header (or a decode) says about its clip. */
export interface AudioInfo {
  readonly format: AudioFormat;
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per channel. */
  readonly frames: number;
}

/** Audio longer than a caller's limit (a server's, say). */
export class AudioTooLongError extends AudioError {
  constructor(
    readonly seconds: number,
    readonly limitSeconds: number,
    file?: string,
  ) {
    super(`audio is longer than the limit of ${limitSeconds} s${Number.isFinite(seconds) ? ` (${seconds.toFixed(1)} s)` : ''}`, file);
    this.name = 'AudioTooLongError';
  }
}

/** The format of `bytes`; bytes of no recognised format are an UnsupportedAudioError that also says why they are not WAV. */
export function audioFormatOf(bytes: Uint8Array, file?: string): AudioFormat {
  const format = sniffAudioFormat(bytes);
  if (format !== undefined) return format;
  let wavReason = 'not a RIFF/WAVE file (bad header)';
  try {
    readWavLayout(memoryByteSource(bytes));
  } catch (error) {
    if (error instanceof WavDecodeError) wavReason = error.reason;
  }
  throw new UnsupportedAudioError(`unsupported audio format (not ${SUPPORTED_FORMATS_TEXT}): ${wavReason}`, file);
}

function fromWav(bytes: Uint8Array, format: AudioFormat, file: string | undefined): DecodedAudio {
  const wav = decodeWavMono(bytes, file);
  return { format, sampleRate: wav.sampleRate, channels: wav.format.channels, samples: wav.samples };
}

/**
 * Decode a whole file held in memory, blocking.
 * @param file a name for error messages
 * @throws UnsupportedAudioError for bytes of no supported format; WavDecodeError for a broken WAV;
 *   AudioError for a file ffmpeg cannot decode; DecoderMissingError without ffmpeg
 */
export function decodeAudioSync(bytes: Uint8Array, file?: string): DecodedAudio {
  const format = audioFormatOf(bytes, file);
  if (format === 'wav') return fromWav(bytes, format, file);
  return fromWav(ffmpegDecodeSync(format, { bytes }, file), format, file);
}

export interface DecodeOptions {
  /** A name for error messages (default: the path, for a file). */
  readonly file?: string;
  /** Refuse audio longer than this (AudioTooLongError), without decoding more than that. */
  readonly maxSeconds?: number;
  /** Give up on ffmpeg after this long. Default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Decode a file (by path) or bytes in memory without blocking on ffmpeg.
 * @throws as decodeAudioSync, plus AudioTooLongError beyond `maxSeconds`
 */
export async function decodeAudio(source: { readonly path: string } | { readonly bytes: Uint8Array }, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const file = options.file ?? ('path' in source ? source.path : undefined);
  let bytes: Uint8Array;
  if ('path' in source) {
    try {
      bytes = await readFile(source.path);
    } catch (error) {
      throw new AudioError(describeFsError(error), file, { cause: error });
    }
  } else {
    bytes = source.bytes;
  }
  const format = audioFormatOf(bytes, file);
  const limit = options.maxSeconds;
  if (format === 'wav') {
    if (limit !== undefined) {
      let layout;
      try {
        layout = readWavLayout(memoryByteSource(bytes));
      } catch (error) {
        if (error instanceof WavDecodeError) throw new WavDecodeError(error.reason, file);
        throw error;
      }
      const seconds = layout.frames / layout.format.sampleRate;
      if (seconds > limit) throw new AudioTooLongError(seconds, limit, file);
    }
    return fromWav(bytes, format, file);
  }
  // ffmpeg stops a little past the limit: enough to tell a clip over it from one at it.
  const ffmpegOptions: FfmpegDecodeOptions = {
    ...(limit !== undefined ? { maxSeconds: limit + 0.25 } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
  const wav = await ffmpegDecode(format, 'path' in source ? { path: source.path } : { bytes }, file, ffmpegOptions);
  const decoded = fromWav(wav, format, file);
  if (limit !== undefined && decoded.samples.length > limit * decoded.sampleRate) throw new AudioTooLongError(NaN, limit, file);
  return decoded;
}

/** The first bytes of a file, enough to tell its format. */
function readHead(path: string, length: number): Uint8Array {
  return withRegularFile(path, (fd) => readBytesAt(fd, 0, length));
}

/** An ID3 tag can be large (cover art): read this much to see past the usual ones. */
const HEAD_BYTES = 64 * 1024;

/**
 * Length, rate and channels of an audio file: a WAV file's header, or for
 * other formats an ffmpeg pass that counts the decoded samples (exactly what
 * a decode yields, where container durations are estimates).
 * @throws AudioError (WavDecodeError, UnsupportedAudioError, DecoderMissingError) naming the file
 */
export function probeAudioFile(path: string): AudioInfo {
  const head = readHead(path, HEAD_BYTES);
  const format = audioFormatOf(head, path);
  if (format === 'wav') {
    const info = probeWavFile(path);
    return { format, sampleRate: info.sampleRate, channels: info.channels, frames: info.frames };
  }
  return { format, ...ffmpegProbeSync(format, path) };
}
