/**
 * Byte-level WAV builders for tests: every chunk written by hand, so tests
 * control each header field (and can break any of them).
 */

/** A RIFF chunk: 4-char id, little-endian size, body, pad byte when the size is odd. */
export function chunk(id: string, body: Uint8Array, declaredSize = body.length): Uint8Array {
  const padded = body.length + (body.length & 1);
  const out = new Uint8Array(8 + padded);
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, declaredSize >>> 0, true);
  out.set(body, 8);
  return out;
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The RIFF/WAVE wrapper around chunks; the RIFF size field can be overridden. */
export function riff(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const body = concat(...chunks);
  const out = new Uint8Array(12 + body.length);
  out.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  new DataView(out.buffer).setUint32(4, (riffSize ?? 4 + body.length) >>> 0, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8); // WAVE
  out.set(body, 12);
  return out;
}

/** Fields of a fmt chunk. */
export interface FmtFields {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign?: number;
  /** For WAVE_FORMAT_EXTENSIBLE: the sub-format tag (1 PCM, 3 float). */
  subFormat?: number;
  validBits?: number;
  channelMask?: number;
  /** Replace the GUID's constant tail (to test rejection). */
  guidTail?: number[];
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

/** A fmt chunk body (16 bytes, or 40 for WAVE_FORMAT_EXTENSIBLE). */
export function fmtBody(f: FmtFields): Uint8Array {
  const extensible = f.formatTag === 0xfffe;
  const body = new Uint8Array(extensible ? 40 : 16);
  const v = new DataView(body.buffer);
  const blockAlign = f.blockAlign ?? (f.channels * f.bitsPerSample) / 8;
  v.setUint16(0, f.formatTag, true);
  v.setUint16(2, f.channels, true);
  v.setUint32(4, f.sampleRate, true);
  v.setUint32(8, f.sampleRate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, f.bitsPerSample, true);
  if (extensible) {
    v.setUint16(16, 22, true);
    v.setUint16(18, f.validBits ?? f.bitsPerSample, true);
    v.setUint32(20, f.channelMask ?? 0, true);
    v.setUint16(24, f.subFormat ?? 1, true);
    body.set(f.guidTail ?? GUID_TAIL, 26);
  }
  return body;
}

/** Stored sample encodings. */
export type SampleCoding = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64';

/** Bits per stored sample of a coding. */
export function codingBits(coding: SampleCoding): number {
  return { u8: 8, s16: 16, s24: 24, s32: 32, f32: 32, f64: 64 }[coding];
}

/**
 * Interleaved sample bytes. `frames[f][c]` is the stored value: the raw
 * integer for PCM codings (unsigned for u8), the float for f32/f64.
 */
export function sampleBytes(frames: number[][], coding: SampleCoding): Uint8Array {
  const bytesPer = codingBits(coding) / 8;
  const channels = frames[0]?.length ?? 0;
  const out = new Uint8Array(frames.length * channels * bytesPer);
  const v = new DataView(out.buffer);
  let p = 0;
  for (const frame of frames) {
    for (const value of frame) {
      switch (coding) {
        case 'u8':
          v.setUint8(p, value);
          break;
        case 's16':
          v.setInt16(p, value, true);
          break;
        case 's24':
          v.setUint8(p, value & 0xff);
          v.setUint8(p + 1, (value >> 8) & 0xff);
          v.setUint8(p + 2, (value >> 16) & 0xff);
          break;
        case 's32':
          v.setInt32(p, value, true);
          break;
        case 'f32':
          v.setFloat32(p, value, true);
          break;
        case 'f64':
          v.setFloat64(p, value, true);
          break;
      }
      p += bytesPer;
    }
  }
  return out;
}

/** What a decoder should return for a stored value of a coding. */
export function expectedSample(value: number, coding: SampleCoding): number {
  switch (coding) {
    case 'u8':
      return (value - 128) / 128;
    case 's16':
      return value / 32768;
    case 's24':
      return value / 8388608;
    case 's32':
      return value / 2147483648;
    case 'f32':
      return Math.fround(value);
    case 'f64':
      return value;
  }
}

/** Options of {@link buildWav}. */
export interface BuildWavOptions {
  sampleRate?: number;
  /** Channel count, when `frames` is empty. */
  channels?: number;
  extensible?: boolean;
  /** Chunks placed before fmt, between fmt and data, and after data. */
  before?: Uint8Array[];
  between?: Uint8Array[];
  after?: Uint8Array[];
}

/** A complete WAV file from stored values `frames[f][c]`. */
export function buildWav(frames: number[][], coding: SampleCoding, options: BuildWavOptions = {}): Uint8Array {
  const channels = options.channels ?? frames[0]?.length ?? 1;
  const float = coding === 'f32' || coding === 'f64';
  const tag = float ? 3 : 1;
  const fmt = fmtBody({
    formatTag: options.extensible ? 0xfffe : tag,
    subFormat: tag,
    channels,
    sampleRate: options.sampleRate ?? 16000,
    bitsPerSample: codingBits(coding),
  });
  return riff([
    ...(options.before ?? []),
    chunk('fmt ', fmt),
    ...(options.between ?? []),
    chunk('data', sampleBytes(frames, coding)),
    ...(options.after ?? []),
  ]);
}

/** A 16-bit PCM WAV of float samples in [-1, 1] (per channel, planar). */
export function pcm16Wav(channels: Float32Array[] | number[][], sampleRate: number): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const frames: number[][] = [];
  for (let i = 0; i < n; i++) {
    frames.push(channels.map((ch) => Math.max(-32768, Math.min(32767, Math.round((ch[i] as number) * 32767)))));
  }
  return buildWav(frames, 's16', { sampleRate, channels: channels.length });
}

/** A sine wave. */
export function sine(frequency: number, sampleRate: number, samples: number, amplitude = 0.5, phase = 0): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate + phase);
  return out;
}
