import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavDecodeError } from '../../src/audio/audio-error.js';
import { decodeWav, decodeWavMono, type DecodedWav } from '../../src/audio/wav-decode.js';
import { probeWavFile } from '../../src/audio/wav-probe.js';
import { Rng } from '../../src/util/rng.js';
import { buildWav, chunk, type SampleCoding } from './wav-builders.js';

const CODINGS: SampleCoding[] = ['u8', 's16', 's24', 's32', 'f32', 'f64'];

/** A valid WAV of random shape to mutate. */
function randomValidWav(rng: Rng): Uint8Array {
  const coding = CODINGS[rng.int(CODINGS.length)] as SampleCoding;
  const channels = 1 + rng.int(4);
  const frames = Array.from({ length: rng.int(40) }, () =>
    Array.from({ length: channels }, () => (coding === 'f32' || coding === 'f64' ? rng.uniform(-1, 1) : coding === 'u8' ? rng.int(256) : rng.int(2000) - 1000)),
  );
  const extra = rng.next() < 0.5 ? [chunk('LIST', new Uint8Array(rng.int(9)))] : [];
  return buildWav(frames, coding, {
    channels,
    sampleRate: [8000, 16000, 44100, 48000][rng.int(4)] as number,
    extensible: rng.next() < 0.4,
    ...(rng.next() < 0.5 ? { before: extra } : { between: extra }),
  });
}

/** One mutation: flip bytes in the header, overwrite a size field, truncate, or splice. */
function mutate(wav: Uint8Array, rng: Rng): Uint8Array {
  if (wav.length === 0) return wav;
  const out = wav.slice();
  const view = new DataView(out.buffer);
  switch (rng.int(5)) {
    case 0: {
      const flips = 1 + rng.int(4);
      for (let k = 0; k < flips; k++) out[rng.int(Math.min(out.length, 80))] = rng.int(256);
      return out;
    }
    case 1: {
      // A size or count field set to an extreme.
      const field = [4, 16, 22, 24, 28, 32, 34, 40].filter((o) => o + 4 <= out.length);
      if (field.length === 0) return out;
      const at = field[rng.int(field.length)] as number;
      view.setUint32(at, [0, 1, 0xffffffff, 0x7fffffff, rng.nextUint32()][rng.int(5)] as number, true);
      return out;
    }
    case 2:
      return out.subarray(0, rng.int(out.length + 1));
    case 3: {
      const at = rng.int(out.length);
      const junk = Uint8Array.from({ length: rng.int(16) }, () => rng.int(256));
      const spliced = new Uint8Array(out.length + junk.length);
      spliced.set(out.subarray(0, at));
      spliced.set(junk, at);
      spliced.set(out.subarray(at), at + junk.length);
      return spliced;
    }
    default: {
      // Random 16-bit fields of the fmt chunk (tag, channels, block align, bits).
      const at = [20, 22, 32, 34][rng.int(4)] as number;
      if (at + 2 <= out.length) view.setUint16(at, rng.int(65536), true);
      return out;
    }
  }
}

function checkDecoded(decoded: DecodedWav, input: Uint8Array): void {
  expect(decoded.channels.length).toBe(decoded.format.channels);
  for (const channel of decoded.channels) expect(channel.length).toBe(decoded.frames);
  expect(decoded.frames * decoded.format.blockAlign).toBeLessThanOrEqual(input.length);
}

describe('WAV decoder fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vbt-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes or throws WavDecodeError for 4000 random and mutated inputs (seeded), quickly', () => {
    const rng = new Rng(20220);
    let decodedCount = 0;
    let rejected = 0;
    const started = performance.now();
    for (let k = 0; k < 4000; k++) {
      let input: Uint8Array;
      if (k % 4 === 0) {
        input = Uint8Array.from({ length: rng.int(120) }, () => rng.int(256));
        // Some random inputs start like a WAV, to reach the chunk walk.
        if (rng.next() < 0.5 && input.length >= 12) input.set([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]);
      } else {
        input = randomValidWav(rng);
        const mutations = 1 + rng.int(3);
        for (let m = 0; m < mutations; m++) input = mutate(input, rng);
      }
      try {
        const decoded = decodeWav(input);
        checkDecoded(decoded, input);
        expect(decodeWavMono(input).frames).toBe(decoded.frames);
        decodedCount++;
      } catch (error) {
        if (!(error instanceof WavDecodeError)) {
          throw new Error(`case ${k}: decoder threw ${String(error)} for bytes ${Buffer.from(input).toString('hex')}`);
        }
        expect(() => decodeWavMono(input)).toThrow(WavDecodeError);
        rejected++;
      }
    }
    // Both outcomes must be exercised, or the fuzzer tests nothing.
    expect(decodedCount).toBeGreaterThan(200);
    expect(rejected).toBeGreaterThan(200);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('the header probe on files agrees: header facts or WavDecodeError (500 files)', () => {
    const rng = new Rng(7);
    const path = join(dir, 'case.wav');
    for (let k = 0; k < 500; k++) {
      const input = mutate(randomValidWav(rng), rng);
      writeFileSync(path, input);
      let decoded: DecodedWav | undefined;
      try {
        decoded = decodeWav(input);
      } catch (error) {
        expect(error).toBeInstanceOf(WavDecodeError);
      }
      if (decoded === undefined) {
        expect(() => probeWavFile(path)).toThrow(WavDecodeError);
      } else {
        expect(probeWavFile(path)).toMatchObject({ frames: decoded.frames, sampleRate: decoded.sampleRate, channels: decoded.channels.length });
      }
    }
  });
});
