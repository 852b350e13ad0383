/**
 * The `fmt ` chunk of a RIFF/WAVE file: parsing and validation.
 *
 * Supported encodings: integer PCM with 8, 16, 24 or 32 bits per sample
 * (8-bit is unsigned, as the format defines), IEEE float with 32 or 64
 * bits, either as a plain format tag or inside WAVE_FORMAT_EXTENSIBLE.
 */
import { WavDecodeError } from './audio-error.js';

/** How the samples of a WAV file are stored. */
export type WavSampleEncoding = 'pcm' | 'float';

/** The decoded content of a `fmt ` chunk. */
export interface WavFormat {
  /** Integer PCM or IEEE float, after resolving WAVE_FORMAT_EXTENSIBLE. */
  readonly encoding: WavSampleEncoding;
  /** Interleaved channels per frame (1 = mono). */
  readonly channels: number;
  /** Frames per second. */
  readonly sampleRate: number;
  /** Bits of each stored sample (the container size). */
  readonly bitsPerSample: number;
  /** Bytes of one frame (all channels). */
  readonly blockAlign: number;
  /** Whether the file used WAVE_FORMAT_EXTENSIBLE. */
  readonly extensible: boolean;
}

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID as stored on disk; bytes
 * 0..1 carry the plain format tag.
 */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** Largest channel count accepted; real files stay far below it. */
const MAX_CHANNELS = 256;

/**
 * Parse and validate a `fmt ` chunk body.
 * @param body the chunk's bytes (without the 8-byte chunk header)
 * @throws WavDecodeError when the chunk is malformed or the encoding unsupported
 */
export function parseFmtChunk(body: Uint8Array): WavFormat {
  if (body.length < 16) throw new WavDecodeError(`fmt chunk is ${body.length} bytes, needs at least 16`);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  let formatTag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitsPerSample = view.getUint16(14, true);
  let extensible = false;

  if (formatTag === FORMAT_EXTENSIBLE) {
    extensible = true;
    if (body.length < 40) {
      throw new WavDecodeError(`WAVE_FORMAT_EXTENSIBLE fmt chunk is ${body.length} bytes, needs 40`);
    }
    for (let i = 0; i < SUBFORMAT_GUID_TAIL.length; i++) {
      if (body[26 + i] !== SUBFORMAT_GUID_TAIL[i]) {
        throw new WavDecodeError('WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID');
      }
    }
    formatTag = view.getUint16(24, true);
  }

  let encoding: WavSampleEncoding;
  if (formatTag === FORMAT_PCM) {
    encoding = 'pcm';
    if (bitsPerSample !== 8 && bitsPerSample !== 16 && bitsPerSample !== 24 && bitsPerSample !== 32) {
      throw new WavDecodeError(`unsupported PCM sample size: ${bitsPerSample} bits (8, 16, 24 or 32 are read)`);
    }
  } else if (formatTag === FORMAT_IEEE_FLOAT) {
    encoding = 'float';
    if (bitsPerSample !== 32 && bitsPerSample !== 64) {
      throw new WavDecodeError(`unsupported float sample size: ${bitsPerSample} bits (32 or 64 are read)`);
    }
  } else {
    throw new WavDecodeError(
      `unsupported WAV format tag 0x${formatTag.toString(16).padStart(4, '0')} (PCM and IEEE float are read)`,
    );
  }

  if (channels < 1 || channels > MAX_CHANNELS) {
    throw new WavDecodeError(`invalid channel count ${channels} (1 to ${MAX_CHANNELS} are read)`);
  }
  if (sampleRate < 1) throw new WavDecodeError('sample rate is 0');
  const expectedBlockAlign = (channels * bitsPerSample) / 8;
  if (blockAlign !== expectedBlockAlign) {
    throw new WavDecodeError(
      `block align ${blockAlign} does not match ${channels} channel(s) of ${bitsPerSample} bits (${expectedBlockAlign})`,
    );
  }
  return { encoding, channels, sampleRate, bitsPerSample, blockAlign, extensible };
}
