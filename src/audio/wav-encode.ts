/**
 * A RIFF/WAVE writer: planar float samples in, the bytes of a `.wav` file out.
 *
 * Two sample formats are written: 16-bit integer PCM (format tag 1, the
 * common case of the challenge corpora) and 32-bit IEEE float (format tag 3,
 * written with an 18-byte `fmt ` chunk and a `fact` chunk, as the WAVE spec
 * asks of non-PCM data). Mono and stereo only: more channels would need
 * WAVE_FORMAT_EXTENSIBLE with a channel mask, which nothing here needs.
 */

/** Sample format of an encoded WAV file. */
export type WavSampleFormat = 'pcm16' | 'float32';

/** Options of {@link encodeWav}. */
export interface WavEncodeOptions {
  /** Sample format; `pcm16` unless told. */
  readonly format?: WavSampleFormat;
}

/** WAV data is little-endian; on such hosts a typed array can write it directly. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** WAVE format tags (the `wFormatTag` field of the `fmt ` chunk). */
const FORMAT_TAG = { pcm16: 1, float32: 3 } as const;
const BYTES_PER_SAMPLE = { pcm16: 2, float32: 4 } as const;

/**
 * Encode audio as a WAV file.
 *
 * @param channels one Float32Array per channel (1 or 2), all the same length;
 *   samples are nominally in [-1, 1]. A single Float32Array is taken as mono.
 * @param sampleRate frames per second, a positive integer (any rate).
 * @param options sample format.
 * @returns the complete file, header and data, little-endian.
 * @throws RangeError on a bad channel count, unequal channel lengths, a bad
 *   sample rate, a non-finite sample, or data too large for a RIFF file.
 *
 * PCM16 clamps to [-1, 1] and scales by 32767, rounding half away from zero,
 * so x and -x encode symmetrically and decoding by /32767 is within half a
 * step of the input. float32 stores the samples as given (no clamping).
 */
export function encodeWav(
  channels: Float32Array | readonly Float32Array[],
  sampleRate: number,
  options: WavEncodeOptions = {},
): Buffer {
  const planes: readonly Float32Array[] = channels instanceof Float32Array ? [channels] : channels;
  const format = options.format ?? 'pcm16';
  if (!Object.hasOwn(FORMAT_TAG, format)) throw new RangeError(`encodeWav: unknown format '${String(format)}'`);
  const numChannels = planes.length;
  if (numChannels !== 1 && numChannels !== 2) {
    throw new RangeError(`encodeWav: 1 or 2 channels supported, got ${numChannels}`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffffff) {
    throw new RangeError(`encodeWav: sample rate must be a positive integer, got ${sampleRate}`);
  }
  const frames = (planes[0] as Float32Array).length;
  for (const plane of planes) {
    if (plane.length !== frames) {
      throw new RangeError(`encodeWav: channels differ in length (${frames} vs ${plane.length})`);
    }
  }

  const bytesPerSample = BYTES_PER_SAMPLE[format];
  const blockAlign = numChannels * bytesPerSample;
  const dataBytes = frames * blockAlign;
  const isFloat = format === 'float32';
  // PCM: 16-byte fmt chunk. Float: 18-byte fmt (cbSize = 0) plus a fact chunk.
  const fmtBytes = isFloat ? 18 : 16;
  const factChunkBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factChunkBytes + 8;
  // Every block is 2, 4 or 8 bytes, so the data chunk never needs a pad byte.
  const riffSize = headerBytes - 8 + dataBytes;
  if (sampleRate * blockAlign > 0xffffffff) throw new RangeError(`encodeWav: sample rate ${sampleRate} is too high`);
  if (riffSize > 0xffffffff) throw new RangeError(`encodeWav: ${dataBytes} bytes of audio is too large for a WAV file`);

  const out = Buffer.alloc(headerBytes + dataBytes);
  let p = 0;
  const tag = (fourCC: string): void => {
    p += out.write(fourCC, p, 'ascii');
  };
  const u32 = (v: number): void => {
    p = out.writeUInt32LE(v, p);
  };
  const u16 = (v: number): void => {
    p = out.writeUInt16LE(v, p);
  };

  tag('RIFF');
  u32(riffSize);
  tag('WAVE');

  tag('fmt ');
  u32(fmtBytes);
  u16(FORMAT_TAG[format]);
  u16(numChannels);
  u32(sampleRate);
  u32(sampleRate * blockAlign); // byte rate
  u16(blockAlign);
  u16(bytesPerSample * 8);
  if (isFloat) {
    u16(0); // cbSize: no extension
    tag('fact');
    u32(4);
    u32(frames);
  }

  tag('data');
  u32(dataBytes);

  const absolute = out.byteOffset + p;
  if (!isFloat && LITTLE_ENDIAN_HOST && absolute % 2 === 0) {
    // Aligned 16-bit little-endian data: write through a typed view, several
    // times faster than DataView.
    writePcm16(new Int16Array(out.buffer, absolute, frames * numChannels), planes);
  } else {
    writeWithDataView(new DataView(out.buffer, out.byteOffset, out.byteLength), p, planes, format);
  }
  return out;
}

/** PCM16 sample value of `x`: clamped to [-1, 1], scaled by 32767, rounded half away from zero. */
function toPcm16(x: number, frame: number, channel: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`encodeWav: non-finite sample ${x} at frame ${frame}, channel ${channel}`);
  const v = (x > 1 ? 1 : x < -1 ? -1 : x) * 32767;
  // Half away from zero, so x and -x encode symmetrically.
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** Interleave PCM16 samples into a host-endian (little-endian) view. */
function writePcm16(view: Int16Array, planes: readonly Float32Array[]): void {
  const numChannels = planes.length;
  for (let c = 0; c < numChannels; c++) {
    const plane = planes[c] as Float32Array;
    for (let i = 0, q = c; i < plane.length; i++, q += numChannels) view[q] = toPcm16(plane[i] as number, i, c);
  }
}

/** Interleave samples through a DataView (any alignment, any host). */
function writeWithDataView(view: DataView, offset: number, planes: readonly Float32Array[], format: WavSampleFormat): void {
  const bytesPerSample = BYTES_PER_SAMPLE[format];
  const blockAlign = planes.length * bytesPerSample;
  for (let c = 0; c < planes.length; c++) {
    const plane = planes[c] as Float32Array;
    for (let i = 0, q = offset + c * bytesPerSample; i < plane.length; i++, q += blockAlign) {
      const x = plane[i] as number;
      if (format === 'float32') {
        if (!Number.isFinite(x)) throw new RangeError(`encodeWav: non-finite sample ${x} at frame ${i}, channel ${c}`);
        view.setFloat32(q, x, true);
      } else {
        view.setInt16(q, toPcm16(x, i, c), true);
      }
    }
  }
}
