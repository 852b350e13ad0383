import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav-encode.js';

/** A WAV file taken apart by hand, independently of the project's decoder. */
interface Parsed {
  riffSize: number;
  chunks: { id: string; offset: number; size: number }[];
  formatTag: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  fmtSize: number;
  cbSize: number | undefined;
  factFrames: number | undefined;
  data: { offset: number; size: number };
}

function parse(buf: Buffer): Parsed {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  const riffSize = buf.readUInt32LE(4);
  const chunks: Parsed['chunks'] = [];
  let p = 12;
  while (p + 8 <= buf.length) {
    const id = buf.toString('ascii', p, p + 4);
    const size = buf.readUInt32LE(p + 4);
    chunks.push({ id, offset: p + 8, size });
    p += 8 + size + (size % 2);
  }
  expect(p).toBe(buf.length);
  const fmt = chunks.find((c) => c.id === 'fmt ');
  const data = chunks.find((c) => c.id === 'data');
  if (!fmt || !data) throw new Error('missing fmt or data chunk');
  const fact = chunks.find((c) => c.id === 'fact');
  const o = fmt.offset;
  return {
    riffSize,
    chunks,
    formatTag: buf.readUInt16LE(o),
    channels: buf.readUInt16LE(o + 2),
    sampleRate: buf.readUInt32LE(o + 4),
    byteRate: buf.readUInt32LE(o + 8),
    blockAlign: buf.readUInt16LE(o + 12),
    bitsPerSample: buf.readUInt16LE(o + 14),
    fmtSize: fmt.size,
    cbSize: fmt.size >= 18 ? buf.readUInt16LE(o + 16) : undefined,
    factFrames: fact ? buf.readUInt32LE(fact.offset) : undefined,
    data: { offset: data.offset, size: data.size },
  };
}

describe('encodeWav', () => {
  it('writes 16-bit PCM mono with a canonical 44-byte header', () => {
    const x = new Float32Array([0, 0.5, -0.5, 1, -1, 0.25, 1e-6, -0.999]);
    const buf = encodeWav(x, 16000);
    expect(buf.length).toBe(44 + 2 * x.length);
    const w = parse(buf);
    expect(w.riffSize).toBe(buf.length - 8);
    expect(w.chunks.map((c) => c.id)).toEqual(['fmt ', 'data']);
    expect(w).toMatchObject({ formatTag: 1, channels: 1, sampleRate: 16000, byteRate: 32000, blockAlign: 2, bitsPerSample: 16, fmtSize: 16 });
    expect(w.data).toEqual({ offset: 44, size: 16 });
    const samples = Array.from({ length: x.length }, (_, i) => buf.readInt16LE(44 + 2 * i));
    expect(samples).toEqual([0, 16384, -16384, 32767, -32767, 8192, 0, -32734]); // ±0.5 → ±16383.5 rounds away from zero
  });

  it('clamps PCM samples beyond full scale', () => {
    const buf = encodeWav(new Float32Array([1.5, -3, 1.0001]), 8000);
    expect([0, 1, 2].map((i) => buf.readInt16LE(44 + 2 * i))).toEqual([32767, -32767, 32767]);
  });

  it('writes 32-bit float stereo, interleaved, with an 18-byte fmt chunk and a fact chunk', () => {
    const left = new Float32Array([0.1, -0.2, 0.3, 1.75]);
    const right = new Float32Array([-0.4, 0.5, -0.6, -2.5]);
    const buf = encodeWav([left, right], 44100, { format: 'float32' });
    const w = parse(buf);
    expect(w.chunks.map((c) => c.id)).toEqual(['fmt ', 'fact', 'data']);
    expect(w).toMatchObject({
      formatTag: 3,
      channels: 2,
      sampleRate: 44100,
      byteRate: 44100 * 8,
      blockAlign: 8,
      bitsPerSample: 32,
      fmtSize: 18,
      cbSize: 0,
      factFrames: 4,
    });
    expect(w.data.size).toBe(4 * 8);
    expect(w.riffSize).toBe(buf.length - 8);
    for (let i = 0; i < 4; i++) {
      // float32 is stored as given, beyond ±1 included.
      expect(buf.readFloatLE(w.data.offset + 8 * i)).toBe(left[i]);
      expect(buf.readFloatLE(w.data.offset + 8 * i + 4)).toBe(right[i]);
    }
  });

  it('interleaves 16-bit stereo frame by frame', () => {
    const left = new Float32Array([0.5, 0, -0.5]);
    const right = new Float32Array([-1, 1, 0.25]);
    const buf = encodeWav([left, right], 22050);
    const w = parse(buf);
    expect(w).toMatchObject({ channels: 2, blockAlign: 4, byteRate: 22050 * 4, sampleRate: 22050 });
    const got = Array.from({ length: 6 }, (_, i) => buf.readInt16LE(w.data.offset + 2 * i));
    expect(got).toEqual([16384, -32767, 0, 32767, -16384, 8192]);
  });

  it('accepts any positive integer sample rate and an empty signal', () => {
    for (const rate of [1, 7999, 48000, 96000, 192000]) {
      expect(parse(encodeWav(new Float32Array(3), rate)).sampleRate).toBe(rate);
    }
    const empty = parse(encodeWav(new Float32Array(0), 16000, { format: 'float32' }));
    expect(empty.data.size).toBe(0);
    expect(empty.factFrames).toBe(0);
  });

  it('round-trips PCM16 within half a quantisation step', () => {
    const x = new Float32Array(1000).map((_, i) => 0.9 * Math.sin(i * 0.37));
    const buf = encodeWav(x, 16000);
    for (let i = 0; i < x.length; i++) {
      expect(Math.abs(buf.readInt16LE(44 + 2 * i) / 32767 - (x[i] as number))).toBeLessThanOrEqual(0.5 / 32767 + 1e-9);
    }
  });

  it('rejects bad input with a RangeError', () => {
    const a = new Float32Array(4);
    expect(() => encodeWav([a, a, a], 16000)).toThrow(RangeError);
    expect(() => encodeWav([], 16000)).toThrow(RangeError);
    expect(() => encodeWav([a, new Float32Array(3)], 16000)).toThrow(/differ in length/);
    expect(() => encodeWav(a, 0)).toThrow(RangeError);
    expect(() => encodeWav(a, 16000.5)).toThrow(RangeError);
    expect(() => encodeWav(new Float32Array([0, NaN]), 16000)).toThrow(/non-finite/);
    expect(() => encodeWav(new Float32Array([Infinity]), 16000, { format: 'float32' })).toThrow(/non-finite/);
    expect(() => encodeWav(a, 16000, { format: 'pcm24' as never })).toThrow(/unknown format/);
    expect(() => encodeWav(a, 16000, { format: 'toString' as never })).toThrow(/unknown format/);
  });
});
