/**
 * Audio in every supported format: recognised by its bytes, decoded through
 * ffmpeg into the same chain as WAV (lossless formats give exactly the WAV's
 * samples), probed to the exact length a decode yields, cached by content,
 * and read by manifest corpora and the batch loader. Broken files, unknown
 * bytes and a missing ffmpeg are one clear error naming the file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError, WavDecodeError } from '../../src/audio/audio-error.js';
import { UnsupportedAudioError, sniffAudioFormat } from '../../src/audio/audio-formats.js';
import { AudioTooLongError, decodeAudio, decodeAudioSync, probeAudioFile } from '../../src/audio/decode-audio.js';
import { DecoderMissingError, completeStreamedWav } from '../../src/audio/ffmpeg.js';
import { AudioPreprocessor } from '../../src/audio/preprocessor.js';
import { decodeWav } from '../../src/audio/wav-decode.js';
import { readAvbCorpus } from '../../src/data/corpus/avb-corpus.js';
import { readManifestCorpus } from '../../src/data/corpus/manifest-corpus.js';
import { BatchProducer } from '../../src/data/loader/batch-producer.js';
import { preprocessedLengths } from '../../src/data/sampling/clip-lengths.js';
import { fixtureId, fixtureLength, writeAvbCorpus } from '../data/corpus-fixtures.js';
import { ENCODING_NAMES, type Encoding, encodeAs, haveFfmpeg, writeTestWav } from './encoded-formats.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vbt-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPECTED_FORMAT: Record<Encoding, string> = {
  flac: 'flac', mp3: 'mp3', ogg: 'ogg', opus: 'ogg', m4a: 'mp4', aac: 'aac', webm: 'matroska', aiff: 'aiff',
};

/** Pearson correlation of the common part of two signals. */
function correlation(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

const files = {} as Record<Encoding, string>;
let wav: string;
const ffmpeg = haveFfmpeg();

describe.runIf(ffmpeg)('audio formats through ffmpeg', () => {
  beforeAll(() => {
    // 44.1 kHz stereo, 1.7 s: every format resamples and mixes down.
    wav = writeTestWav(path.join(dir, 'clip.wav'), 1.7, 44100, 2, 3);
    for (const format of ENCODING_NAMES) files[format] = encodeAs(wav, format);
  });

  it('recognises each format by its bytes, whatever the file is called', () => {
    expect(sniffAudioFormat(readFileSync(wav))).toBe('wav');
    for (const format of ENCODING_NAMES) expect(sniffAudioFormat(readFileSync(files[format])), format).toBe(EXPECTED_FORMAT[format]);
    expect(sniffAudioFormat(new TextEncoder().encode('hello, this is text'))).toBeUndefined();
  });

  it('lossless formats decode to exactly the WAV file\'s samples and channel count', () => {
    const reference = decodeAudioSync(readFileSync(wav));
    const planar = decodeWav(readFileSync(wav));
    expect(reference.channels).toBe(2);
    for (const format of ['flac', 'aiff'] as const) {
      const decoded = decodeAudioSync(readFileSync(files[format]), files[format]);
      expect(decoded.format).toBe(format);
      expect(decoded.sampleRate).toBe(44100);
      expect(decoded.channels).toBe(2);
      expect(decoded.samples.length).toBe(planar.frames);
      expect(Array.from(decoded.samples)).toEqual(Array.from(reference.samples));
    }
  });

  it('lossy formats decode to the same signal (correlation > 0.97 after preprocessing to 16 kHz)', () => {
    const pre = new AudioPreprocessor({ normalize: false });
    const reference = pre.processBytes(readFileSync(wav));
    for (const format of ['mp3', 'ogg', 'opus', 'm4a', 'aac', 'webm'] as const) {
      const out = pre.processBytes(readFileSync(files[format]), files[format]);
      // Encoder delay is removed by the decoders of MP3 (LAME tag), Opus (pre-skip) and M4A (edit list);
      // raw ADTS has no place to say it, so compare it after its 1024-sample priming (at 44.1 kHz).
      const shift = format === 'aac' ? Math.round((1024 * 16000) / 44100) : 0;
      const r = correlation(reference, out.subarray(shift));
      expect(r, format).toBeGreaterThan(0.97);
      expect(Math.abs(out.length - reference.length), format).toBeLessThan(0.1 * 16000);
    }
  });

  it('probes each file to exactly the number of frames its decode yields', () => {
    for (const format of ENCODING_NAMES) {
      const info = probeAudioFile(files[format]);
      const decoded = decodeAudioSync(readFileSync(files[format]));
      expect(info.format, format).toBe(EXPECTED_FORMAT[format]);
      expect(info.frames, format).toBe(decoded.samples.length);
      expect(info.sampleRate, format).toBe(decoded.sampleRate);
      expect(info.channels, format).toBe(decoded.channels);
    }
  });

  it('decodes files and bytes without blocking, the same samples as the blocking decode', async () => {
    for (const format of ENCODING_NAMES) {
      const bytes = readFileSync(files[format]);
      const sync = decodeAudioSync(bytes);
      const fromPath = await decodeAudio({ path: files[format] });
      const fromBytes = await decodeAudio({ bytes }, { file: 'upload' });
      expect(Array.from(fromPath.samples), format).toEqual(Array.from(sync.samples));
      expect(Array.from(fromBytes.samples), format).toEqual(Array.from(sync.samples));
    }
  });

  it('refuses audio over a length limit without decoding all of it', async () => {
    const long = writeTestWav(path.join(dir, 'long.wav'), 12, 16000, 1, 4);
    const longMp3 = encodeAs(long, 'mp3');
    await expect(decodeAudio({ path: long }, { maxSeconds: 5 })).rejects.toThrow(AudioTooLongError);
    await expect(decodeAudio({ path: long }, { maxSeconds: 5 })).rejects.toThrow(/long\.wav: audio is longer than the limit of 5 s \(12\.0 s\)/);
    await expect(decodeAudio({ path: longMp3 }, { maxSeconds: 5 })).rejects.toThrow(/long\.mp3: audio is longer than the limit of 5 s/);
    expect((await decodeAudio({ path: longMp3 }, { maxSeconds: 20 })).samples.length).toBe(12 * 16000);
  });

  it('caches decoded files by content: a second load is a hit with identical samples', () => {
    const cacheDir = path.join(dir, 'cache');
    const first = new AudioPreprocessor({}, cacheDir);
    const a = first.loadFile(files.mp3);
    expect(first.stats).toEqual({ cacheHits: 0, decoded: 1 });
    const second = new AudioPreprocessor({}, cacheDir);
    const b = second.loadFile(files.mp3);
    expect(second.stats).toEqual({ cacheHits: 1, decoded: 0 });
    expect(Array.from(b)).toEqual(Array.from(a));
    // The same bytes under another name hit too; other bytes miss.
    const copy = path.join(dir, 'copy.bin');
    writeFileSync(copy, readFileSync(files.mp3));
    second.loadFile(copy);
    second.loadFile(files.ogg);
    expect(second.stats).toEqual({ cacheHits: 2, decoded: 1 });
  });

  it('reports broken files of a known format and bytes of no known format, naming the file', async () => {
    const badFlac = path.join(dir, 'bad.flac');
    writeFileSync(badFlac, Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(3000, 7)]));
    const cut = path.join(dir, 'cut.m4a');
    writeFileSync(cut, readFileSync(files.m4a).subarray(0, 600));
    const text = path.join(dir, 'notes.mp3');
    writeFileSync(text, 'these are my notes, not audio');
    for (const [file, reason] of [[badFlac, /bad\.flac: cannot decode FLAC: /], [cut, /cut\.m4a: cannot decode M4A\/MP4 \(AAC\): /]] as const) {
      expect(() => decodeAudioSync(readFileSync(file), file)).toThrow(reason);
      expect(() => probeAudioFile(file)).toThrow(reason);
      await expect(decodeAudio({ path: file })).rejects.toThrow(reason);
    }
    expect(() => probeAudioFile(text)).toThrow(UnsupportedAudioError);
    expect(() => probeAudioFile(text)).toThrow(/notes\.mp3: unsupported audio format \(not WAV, FLAC, MP3, Ogg Vorbis\/Opus, M4A\/AAC, WebM or AIFF\)/);
    // Still a WavDecodeError to callers that only knew WAV.
    expect(() => decodeAudioSync(readFileSync(text), text)).toThrow(WavDecodeError);
    // The message is one line.
    try {
      decodeAudioSync(readFileSync(badFlac), badFlac);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('without ffmpeg, says in one line what to install; WAV needs no ffmpeg', async () => {
    const saved = process.env.VBT_FFMPEG;
    process.env.VBT_FFMPEG = path.join(dir, 'no-such-ffmpeg');
    try {
      expect(() => decodeAudioSync(readFileSync(files.flac), files.flac)).toThrow(DecoderMissingError);
      expect(() => decodeAudioSync(readFileSync(files.flac), files.flac)).toThrow(
        /clip\.flac: decoding FLAC needs ffmpeg, which is not on the PATH: install it \(Debian\/Ubuntu: sudo apt-get install ffmpeg\) or set VBT_FFMPEG/,
      );
      await expect(decodeAudio({ path: files.ogg })).rejects.toThrow(DecoderMissingError);
      expect(() => probeAudioFile(files.mp3)).toThrow(DecoderMissingError);
      expect(decodeAudioSync(readFileSync(wav)).samples.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.VBT_FFMPEG;
      else process.env.VBT_FFMPEG = saved;
    }
  });

  it('a manifest corpus of mixed formats: lengths from the probe equal what the loader reads', () => {
    const root = path.join(dir, 'manifest');
    mkdirSync(root);
    const rows: string[] = ['path,split,Age'];
    const names: string[] = [];
    for (const [i, format] of ENCODING_NAMES.entries()) {
      const source = writeTestWav(path.join(dir, `m${i}.wav`), 0.8 + 0.3 * i, i % 2 ? 22050 : 48000, 1 + (i % 2), 10 + i);
      const target = encodeAs(source, format, path.join(root, `clip${i}${path.extname(files[format])}`));
      names.push(path.basename(target));
      rows.push(`${path.basename(target)},${i < 5 ? 'Train' : 'Val'},${25 + i}`);
    }
    rows.push('wav0.wav,Train,30');
    writeTestWav(path.join(root, 'wav0.wav'), 1.1, 16000, 1, 42);
    writeFileSync(path.join(root, 'list.csv'), `${rows.join('\n')}\n`);
    const corpus = readManifestCorpus(path.join(root, 'list.csv'));
    expect(corpus.clips.map((c) => path.basename(c.audioPath))).toEqual([...names, 'wav0.wav']);
    const preprocess = { sampleRate: 16000 };
    const lengths = preprocessedLengths(corpus.clips, preprocess);
    const producer = new BatchProducer(corpus.clips, { preprocess, collate: { tasks: ['age'] } });
    corpus.clips.forEach((_, i) => {
      const batch = producer.produce({ clipIndices: [i] });
      expect(batch.lengths[0], corpus.clips[i]!.audioPath).toBe(lengths[i]);
    });
  });

  it('an A-VB corpus converted to FLAC and MP3 keeps its layout: clips found by id, FLAC exact', () => {
    const root = path.join(dir, 'avb-converted');
    writeAvbCorpus(root, { count: 10 });
    const clip = (i: number, ext: string) => path.join(root, 'audio', 'wav', `${fixtureId(i)}${ext}`);
    for (let i = 0; i < 10; i++) {
      encodeAs(clip(i, '.wav'), i % 2 ? 'mp3' : 'flac');
      rmSync(clip(i, '.wav'));
    }
    const corpus = readAvbCorpus(root);
    expect(corpus.clips.map((c) => c.audioPath)).toEqual(corpus.clips.map((_, i) => clip(i, i % 2 ? '.mp3' : '.flac')));
    corpus.clips.forEach((c, i) => {
      if (i % 2 === 0) expect(c.audio?.frames, c.audioPath).toBe(fixtureLength(i));
      else expect(c.audio?.frames, c.audioPath).toBeGreaterThan(fixtureLength(i) - 1200); // MP3 adds or trims a few frames
    });
  });
});

describe('streamed WAV headers', () => {
  it('completes the sizes ffmpeg leaves open, so the WAV reader takes every sample', () => {
    const body = new Float32Array([0.5, -0.25, 0.125]);
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(0xffffffff, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(3, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(8000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt16LE(32, 34);
    header.write('data', 36);
    header.writeUInt32LE(0xffffffff, 40);
    const bytes = new Uint8Array(Buffer.concat([header, Buffer.from(body.buffer)]));
    expect(() => decodeWav(bytes)).toThrow(/truncated/);
    const decoded = decodeWav(completeStreamedWav(bytes));
    expect(Array.from(decoded.channels[0]!)).toEqual([0.5, -0.25, 0.125]);
  });

  it('AudioError is what every decoding failure is', () => {
    expect(new UnsupportedAudioError('x')).toBeInstanceOf(AudioError);
    expect(new DecoderMissingError('mp3')).toBeInstanceOf(AudioError);
  });
});
