/**
 * Decoding WAV bytes into float samples in [-1, 1] (floats are passed
 * through unclipped): one Float32Array per channel, or straight to mono.
 */
import { endianness } from 'node:os';
import { WavDecodeError } from './audio-error.js';
import { mixToMono } from './mixdown.js';
import type { WavFormat } from './wav-format.js';
import { memoryByteSource, readWavLayout, type WavLayout } from './wav-layout.js';

/** A decoded WAV file. */
export interface DecodedWav {
  /** Frames per second of the file. */
  readonly sampleRate: number;
  /** Planar samples, one array per channel, each `frames` long. */
  readonly channels: Float32Array[];
  /** Samples per channel. */
  readonly frames: number;
  /** The file's format chunk. */
  readonly format: WavFormat;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Decode a whole WAV file held in memory.
 * @param bytes the file's bytes
 * @param file a name for error messages
 * @throws WavDecodeError for anything that is not a readable WAV file; no
 *   other error type escapes for any input
 */
export function decodeWav(bytes: Uint8Array, file?: string): DecodedWav {
  const layout = layoutOf(bytes, file);
  const { format, frames } = layout;
  const channels: Float32Array[] = [];
  for (let c = 0; c < format.channels; c++) channels.push(new Float32Array(frames));
  decodeSamples(bytes, layout, channels);
  return { sampleRate: format.sampleRate, channels, frames, format };
}

/** A WAV file decoded straight to one channel. */
export interface DecodedMonoWav {
  readonly sampleRate: number;
  /** The average of the file's channels, `frames` long. */
  readonly samples: Float32Array;
  readonly frames: number;
  readonly format: WavFormat;
}

/**
 * Decode a WAV file and average its channels in one pass: the same values
 * as `mixToMono(decodeWav(bytes).channels)`, without the per-channel arrays.
 * @throws WavDecodeError as decodeWav
 */
export function decodeWavMono(bytes: Uint8Array, file?: string): DecodedMonoWav {
  const layout = layoutOf(bytes, file);
  const { format, frames } = layout;
  if (format.channels === 1) {
    const samples = new Float32Array(frames);
    decodeSamples(bytes, layout, [samples]);
    return { sampleRate: format.sampleRate, samples, frames, format };
  }
  const absoluteOffset = bytes.byteOffset + layout.dataOffset;
  const stereo16 = format.channels === 2 && format.encoding === 'pcm' && format.bitsPerSample === 16;
  if (stereo16 && LITTLE_ENDIAN_HOST && absoluteOffset % 2 === 0) {
    // The common stereo case in one pass, with mixToMono's arithmetic:
    // (left + right) · 0.5 on the float32 sample values.
    const view = new Int16Array(bytes.buffer, absoluteOffset, layout.dataBytes / 2);
    const samples = new Float32Array(frames);
    for (let f = 0, i = 0; f < frames; f++, i += 2) {
      samples[f] = (Math.fround((view[i] as number) / 32768) + Math.fround((view[i + 1] as number) / 32768)) * 0.5;
    }
    return { sampleRate: format.sampleRate, samples, frames, format };
  }
  const channels: Float32Array[] = [];
  for (let c = 0; c < format.channels; c++) channels.push(new Float32Array(frames));
  decodeSamples(bytes, layout, channels);
  return { sampleRate: format.sampleRate, samples: mixToMono(channels), frames, format };
}

function layoutOf(bytes: Uint8Array, file: string | undefined): WavLayout {
  try {
    return readWavLayout(memoryByteSource(bytes));
  } catch (error) {
    if (error instanceof WavDecodeError && file !== undefined) throw new WavDecodeError(error.reason, file);
    throw error;
  }
}

/** Convert the data chunk into planar floats; the layout has been validated. */
function decodeSamples(bytes: Uint8Array, layout: WavLayout, out: Float32Array[]): void {
  const { format, frames, dataOffset, dataBytes } = layout;
  const numChannels = format.channels;
  const absoluteOffset = bytes.byteOffset + dataOffset;
  const bytesPerSample = format.bitsPerSample / 8;

  // Aligned little-endian data can be read through a typed view: several
  // times faster than DataView for the common 16-bit and float32 files.
  const aligned = LITTLE_ENDIAN_HOST && absoluteOffset % bytesPerSample === 0;
  if (aligned && format.encoding === 'pcm' && format.bitsPerSample === 16) {
    const view = new Int16Array(bytes.buffer, absoluteOffset, dataBytes / 2);
    deinterleave(view, numChannels, frames, out, 1 / 32768);
    return;
  }
  if (aligned && format.encoding === 'float' && format.bitsPerSample === 32) {
    const view = new Float32Array(bytes.buffer, absoluteOffset, dataBytes / 4);
    deinterleave(view, numChannels, frames, out, 1);
    return;
  }

  const view = new DataView(bytes.buffer, absoluteOffset, dataBytes);
  const read = sampleReader(format, view);
  let position = 0;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < numChannels; c++) {
      (out[c] as Float32Array)[f] = read(position);
      position += bytesPerSample;
    }
  }
}

function deinterleave(
  interleaved: Int16Array | Float32Array,
  numChannels: number,
  frames: number,
  out: Float32Array[],
  scale: number,
): void {
  for (let c = 0; c < numChannels; c++) {
    const channel = out[c] as Float32Array;
    for (let f = 0, i = c; f < frames; f++, i += numChannels) channel[f] = (interleaved[i] as number) * scale;
  }
}

/** A function reading the sample at a byte position as a float. */
function sampleReader(format: WavFormat, view: DataView): (position: number) => number {
  if (format.encoding === 'float') {
    return format.bitsPerSample === 32 ? (p) => view.getFloat32(p, true) : (p) => view.getFloat64(p, true);
  }
  switch (format.bitsPerSample) {
    case 8:
      return (p) => (view.getUint8(p) - 128) / 128;
    case 16:
      return (p) => view.getInt16(p, true) / 32768;
    case 24:
      return (p) => ((view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16)) / 8388608);
    case 32:
      return (p) => view.getInt32(p, true) / 2147483648;
    default:
      // parseFmtChunk admits no other size; reaching this is a bug here.
      throw new WavDecodeError(`internal: no reader for ${format.bitsPerSample}-bit PCM`);
  }
}
