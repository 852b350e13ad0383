import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, WavDecodeError } from '../../src/audio/audio-error.js';
import { mixToMono } from '../../src/audio/mixdown.js';
import { decodeWav, decodeWavMono } from '../../src/audio/wav-decode.js';
import { probeWavFile } from '../../src/audio/wav-probe.js';
import {
  buildWav,
  chunk,
  expectedSample,
  fmtBody,
  riff,
  sampleBytes,
  type SampleCoding,
} from './wav-builders.js';

/** Stored test values per coding, including both extremes. */
const VALUES: Record<SampleCoding, number[]> = {
  u8: [0, 1, 64, 127, 128, 129, 200, 255],
  s16: [-32768, -32767, -1000, -1, 0, 1, 12345, 32767],
  s24: [-8388608, -8388607, -65536, -1, 0, 1, 4000000, 8388607],
  s32: [-2147483648, -2147483647, -70000, -1, 0, 1, 1500000000, 2147483647],
  f32: [-1, -0.5, -1e-7, 0, 0.1, 0.3333333, 0.999, 1.5],
  f64: [-1, -0.25, -1e-12, 0, 0.1, 1 / 3, 0.999999999, 2],
};

function expectChannel(actual: Float32Array | undefined, stored: number[], coding: SampleCoding): void {
  expect(actual).toBeDefined();
  expect(Array.from(actual as Float32Array)).toEqual(stored.map((v) => Math.fround(expectedSample(v, coding))));
}

describe('decodeWav: encodings', () => {
  for (const coding of Object.keys(VALUES) as SampleCoding[]) {
    it(`decodes mono ${coding} to the known sample values`, () => {
      const stored = VALUES[coding];
      const wav = buildWav(
        stored.map((v) => [v]),
        coding,
        { sampleRate: 22050 },
      );
      const decoded = decodeWav(wav);
      expect(decoded.sampleRate).toBe(22050);
      expect(decoded.frames).toBe(stored.length);
      expect(decoded.channels).toHaveLength(1);
      expectChannel(decoded.channels[0], stored, coding);
    });

    it(`decodes ${coding} inside WAVE_FORMAT_EXTENSIBLE, 3 channels`, () => {
      const stored = VALUES[coding];
      const frames = stored.map((v, i) => [v, stored[(i + 3) % stored.length] as number, stored[(i + 5) % stored.length] as number]);
      const decoded = decodeWav(buildWav(frames, coding, { extensible: true, sampleRate: 48000 }));
      expect(decoded.format.extensible).toBe(true);
      expect(decoded.channels).toHaveLength(3);
      for (let c = 0; c < 3; c++) expectChannel(decoded.channels[c], frames.map((f) => f[c] as number), coding);
    });
  }

  it('de-interleaves stereo 16-bit', () => {
    const frames = [
      [100, -100],
      [200, -200],
      [32767, -32768],
    ];
    const decoded = decodeWav(buildWav(frames, 's16', { sampleRate: 44100 }));
    expectChannel(decoded.channels[0], [100, 200, 32767], 's16');
    expectChannel(decoded.channels[1], [-100, -200, -32768], 's16');
  });

  it('reads data at an unaligned buffer offset (DataView path) the same as aligned', () => {
    const frames = VALUES.s16.map((v) => [v, -v - 1]);
    const wav = buildWav(frames, 's16');
    const shifted = new Uint8Array(wav.length + 1);
    shifted.set(wav, 1);
    const unaligned = decodeWav(shifted.subarray(1));
    const aligned = decodeWav(wav);
    expect(unaligned.channels).toEqual(aligned.channels);
    const floats = buildWav(VALUES.f32.map((v) => [v]), 'f32');
    const shiftedFloats = new Uint8Array(floats.length + 2);
    shiftedFloats.set(floats, 2);
    expect(decodeWav(shiftedFloats.subarray(2)).channels).toEqual(decodeWav(floats).channels);
  });
});

describe('decodeWavMono', () => {
  it('equals decodeWav followed by mixToMono for every coding and channel count', () => {
    for (const coding of Object.keys(VALUES) as SampleCoding[]) {
      for (const channels of [1, 2, 3]) {
        const stored = VALUES[coding];
        const frames = stored.map((_, i) => Array.from({ length: channels }, (_, c) => stored[(i + 3 * c) % stored.length] as number));
        const wav = buildWav(frames, coding, { sampleRate: 44100 });
        const mono = decodeWavMono(wav);
        expect(mono.sampleRate).toBe(44100);
        expect(mono.frames).toBe(stored.length);
        expect(Array.from(mono.samples), `${coding} × ${channels}`).toEqual(Array.from(mixToMono(decodeWav(wav).channels)));
      }
    }
  });

  it('throws the same WavDecodeError as decodeWav', () => {
    expect(() => decodeWavMono(new Uint8Array(4), 'x.wav')).toThrow(/^x\.wav: file is 4 bytes, too short/);
  });
});

describe('decodeWav: chunk layout', () => {
  it('skips unknown chunks before, between and after, with odd-size padding', () => {
    const odd = chunk('junk', new Uint8Array([1, 2, 3])); // 3 bytes + pad byte
    const list = chunk('LIST', new TextEncoder().encode('INFOISFT\u0005\u0000\u0000\u0000vbt!\u0000'));
    const frames = [[1], [2], [3], [-4]];
    const wav = buildWav(frames, 's16', { before: [odd], between: [list, odd], after: [chunk('id3 ', new Uint8Array(7))] });
    expect(odd.length).toBe(12);
    const decoded = decodeWav(wav);
    expectChannel(decoded.channels[0], [1, 2, 3, -4], 's16');
  });

  it('accepts a data chunk that comes before the fmt chunk', () => {
    const wav = riff([chunk('data', sampleBytes([[5], [6]], 's16')), chunk('fmt ', fmtBody({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 }))]);
    const decoded = decodeWav(wav);
    expect(decoded.sampleRate).toBe(8000);
    expectChannel(decoded.channels[0], [5, 6], 's16');
  });

  it('reads an odd-sized 8-bit data chunk followed by its pad byte and another chunk', () => {
    const wav = riff([
      chunk('fmt ', fmtBody({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 8 })),
      chunk('data', new Uint8Array([0, 128, 255])),
      chunk('cue ', new Uint8Array(4)),
    ]);
    expectChannel(decodeWav(wav).channels[0], [0, 128, 255], 'u8');
  });

  it('ignores a RIFF size of 0 (streaming writers) and trailing bytes after the data', () => {
    const frames = [[7], [8]];
    const wav = buildWav(frames, 's16');
    new DataView(wav.buffer).setUint32(4, 0, true);
    const withTail = new Uint8Array(wav.length + 5);
    withTail.set(wav);
    withTail.set([0xde, 0xad, 0xbe, 0xef, 0x01], wav.length);
    expectChannel(decodeWav(withTail).channels[0], [7, 8], 's16');
  });

  it('drops a trailing partial frame', () => {
    const fmt = chunk('fmt ', fmtBody({ formatTag: 1, channels: 2, sampleRate: 8000, bitsPerSample: 16 }));
    const data = concatBytes(sampleBytes([[1, 2], [3, 4]], 's16'), new Uint8Array([9, 9]));
    const decoded = decodeWav(riff([fmt, chunk('data', data)]));
    expect(decoded.frames).toBe(2);
    expectChannel(decoded.channels[1], [2, 4], 's16');
  });

  it('decodes an empty data chunk to zero frames', () => {
    const decoded = decodeWav(buildWav([], 's16', { channels: 2 }));
    expect(decoded.frames).toBe(0);
    expect(decoded.channels).toHaveLength(2);
  });
});

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('decodeWav: malformed input', () => {
  const goodFmt = (fields: Partial<Parameters<typeof fmtBody>[0]> = {}): Uint8Array =>
    chunk('fmt ', fmtBody({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, ...fields }));
  const data = chunk('data', sampleBytes([[1], [2]], 's16'));

  const cases: [string, Uint8Array, RegExp][] = [
    ['empty input', new Uint8Array(0), /too short/],
    ['not RIFF', new TextEncoder().encode('ID3\u0004 this is an mp3, honestly'), /not a RIFF\/WAVE/],
    ['RIFF but not WAVE', (() => { const w = riff([goodFmt(), data]); w.set([0x41, 0x56, 0x49, 0x20], 8); return w; })(), /not a RIFF\/WAVE/],
    ['big-endian RIFX', (() => { const w = riff([goodFmt(), data]); w[3] = 0x58; return w; })(), /RIFX/],
    ['no fmt chunk', riff([data]), /no fmt chunk/],
    ['no data chunk', riff([goodFmt()]), /no data chunk/],
    ['truncated data', riff([goodFmt(), chunk('data', sampleBytes([[1], [2]], 's16'), 400)]), /truncated: data chunk declares 400 bytes/],
    ['truncated fmt', riff([chunk('fmt ', new Uint8Array(16), 64)]), /truncated: fmt chunk/],
    ['short fmt', riff([chunk('fmt ', new Uint8Array(12)), data]), /needs at least 16/],
    ['ADPCM format tag', riff([goodFmt({ formatTag: 2 }), data]), /unsupported WAV format tag 0x0002/],
    ['12-bit PCM', riff([goodFmt({ bitsPerSample: 12, blockAlign: 2 }), data]), /unsupported PCM sample size: 12/],
    ['16-bit float', riff([goodFmt({ formatTag: 3, bitsPerSample: 16 }), data]), /unsupported float sample size/],
    ['zero channels', riff([goodFmt({ channels: 0, blockAlign: 0 }), data]), /invalid channel count 0/],
    ['zero sample rate', riff([goodFmt({ sampleRate: 0 }), data]), /sample rate is 0/],
    ['wrong block align', riff([goodFmt({ blockAlign: 4 }), data]), /block align 4 does not match/],
    ['extensible with a foreign GUID', riff([chunk('fmt ', fmtBody({ formatTag: 0xfffe, channels: 1, sampleRate: 16000, bitsPerSample: 16, guidTail: new Array(14).fill(7) })), data]), /sub-format GUID/],
    ['short extensible fmt', riff([chunk('fmt ', fmtBody({ formatTag: 0xfffe, channels: 1, sampleRate: 16000, bitsPerSample: 16 }).subarray(0, 24)), data]), /needs 40/],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(`rejects ${name} with a WavDecodeError naming the file`, () => {
      let caught: unknown;
      try {
        decodeWav(bytes, 'clips/bad.wav');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WavDecodeError);
      expect((caught as WavDecodeError).message).toMatch(pattern);
      expect((caught as WavDecodeError).message.startsWith('clips/bad.wav: ')).toBe(true);
      expect((caught as WavDecodeError).file).toBe('clips/bad.wav');
    });
  }
});

describe('probeWavFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vbt-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads format and length from the header, matching the decoder', () => {
    const frames = Array.from({ length: 1000 }, (_, i) => [i, -i]);
    const wav = buildWav(frames, 's24', { sampleRate: 44100, extensible: true, before: [chunk('JUNK', new Uint8Array(5000))] });
    const path = join(dir, 'long.wav');
    writeFileSync(path, wav);
    const info = probeWavFile(path);
    const decoded = decodeWav(wav);
    expect(info).toMatchObject({ sampleRate: 44100, channels: 2, frames: 1000 });
    expect(info.frames).toBe(decoded.frames);
    expect(info.format).toEqual(decoded.format);
  });

  it('reports a missing file, a directory and a truncated file', () => {
    expect(() => probeWavFile(join(dir, 'absent.wav'))).toThrow(/absent\.wav: file not found/);
    const folder = join(dir, 'folder.wav');
    mkdirSync(folder);
    expect(() => probeWavFile(folder)).toThrow(AudioError);
    expect(() => probeWavFile(folder)).toThrow(/folder\.wav: not a regular file/);
    const wav = buildWav(Array.from({ length: 100 }, (_, i) => [i]), 's16');
    const cut = join(dir, 'cut.wav');
    writeFileSync(cut, wav.subarray(0, wav.length - 10));
    expect(() => probeWavFile(cut)).toThrow(WavDecodeError);
    expect(() => probeWavFile(cut)).toThrow(/cut\.wav: truncated: data chunk declares 200 bytes, 190 remain/);
  });
});
