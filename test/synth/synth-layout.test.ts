import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BURST_TYPES, CULTURE_COLUMNS } from '../../src/tasks.js';
import { csvDocument, csvField } from '../../src/synth/csv-format.js';
import {
  SYNTH_VERSION,
  clipFileAudio,
  generateSyntheticLatents,
  renderClip,
  writeSyntheticCorpus,
  type SynthCorpusOptions,
  type SynthSpeaker,
  type SynthSummary,
} from '../../src/synth/index.js';

const EMOTION_HEADER = ['Awe', 'Excitement', 'Amusement', 'Awkwardness', 'Fear', 'Horror', 'Distress', 'Triumph', 'Sadness', 'Surprise'];
const COUNTRY_NAMES = ['China', 'United States', 'South Africa', 'Venezuela'];

/** The corpus used throughout: small and short so it writes quickly. */
const SMALL = { clips: 40, minSeconds: 0.5, maxSeconds: 1, hiResFraction: 0.25, floatFraction: 0.1, seed: 77 } as const;

/** A WAV file's format and samples, decoded here by hand (independently of the project's decoder). */
interface Wav {
  formatTag: number;
  channels: number;
  sampleRate: number;
  bits: number;
  frames: number;
  /** Channel `c`, frame `i`, as a float in [-1, 1]. */
  sample(c: number, i: number): number;
}

function readWav(file: string): Wav {
  const buf = fs.readFileSync(file);
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  let p = 12;
  let fmt = -1;
  let data = -1;
  let dataSize = 0;
  while (p + 8 <= buf.length) {
    const id = buf.toString('ascii', p, p + 4);
    const size = buf.readUInt32LE(p + 4);
    if (id === 'fmt ') fmt = p + 8;
    if (id === 'data') {
      data = p + 8;
      dataSize = size;
    }
    p += 8 + size + (size % 2);
  }
  if (fmt < 0 || data < 0) throw new Error(`${file}: no fmt or data chunk`);
  const formatTag = buf.readUInt16LE(fmt);
  const channels = buf.readUInt16LE(fmt + 2);
  const sampleRate = buf.readUInt32LE(fmt + 4);
  const bits = buf.readUInt16LE(fmt + 14);
  const bytes = bits / 8;
  const frames = dataSize / (channels * bytes);
  return {
    formatTag,
    channels,
    sampleRate,
    bits,
    frames,
    sample: (c, i) => {
      const at = data + (i * channels + c) * bytes;
      return formatTag === 3 ? buf.readFloatLE(at) : buf.readInt16LE(at) / 32767;
    },
  };
}

const readCsv = (file: string): string[][] => parse(fs.readFileSync(file, 'utf8')) as string[][];

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vbt-synth-layout-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, extra: Partial<SynthCorpusOptions> & Pick<SynthCorpusOptions, 'layout'>): { dir: string; summary: SynthSummary } {
  const dir = path.join(tmp, name);
  return { dir, summary: writeSyntheticCorpus({ dir, ...SMALL, ...extra }) };
}

describe('csv formatting', () => {
  it('quotes only what needs quoting', () => {
    expect(csvField('United States')).toBe('United States');
    expect(csvField('[10119]')).toBe('[10119]');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(27)).toBe('27');
    expect(csvField(0.1234567)).toBe('0.123457');
    expect(csvDocument(['a', 'b'], [[1, 'x,y']])).toBe('a,b\n1,"x,y"\n');
    expect(() => csvDocument(['a', 'b'], [[1]])).toThrow(RangeError);
  });
});

describe('A-VB layout', () => {
  let dir = '';
  let summary: SynthSummary;
  beforeAll(() => {
    ({ dir, summary } = write('avb', { layout: 'avb' }));
  });

  it('writes exactly the A-VB files', () => {
    const files = listFiles(dir).sort();
    const wavs = files.filter((f) => f.startsWith('audio/wav/'));
    expect(wavs).toHaveLength(SMALL.clips);
    expect(wavs.every((f) => /^audio\/wav\/\d+\.wav$/.test(f))).toBe(true);
    expect(files.filter((f) => !f.startsWith('audio/wav/'))).toEqual([
      'data_info.csv',
      'labels/culture_info.csv',
      'labels/high_info.csv',
      'labels/two_info.csv',
      'labels/type_info.csv',
      'manifest.json',
    ]);
  });

  it('writes data_info.csv with bracketed ids, splits, subjects and spaced country names', () => {
    const [header, ...rows] = readCsv(path.join(dir, 'data_info.csv'));
    expect(header).toEqual(['File_ID', 'Split', 'Subject_ID', 'Country']);
    expect(rows).toHaveLength(SMALL.clips);
    for (const [fileId, split, subject, country] of rows) {
      expect(fileId).toMatch(/^\[\d+\]$/);
      expect(fs.existsSync(path.join(dir, 'audio/wav', `${fileId?.slice(1, -1)}.wav`))).toBe(true);
      expect(['Train', 'Val', 'Test']).toContain(split);
      expect(subject).toMatch(/^S\d{4}$/);
      expect(COUNTRY_NAMES).toContain(country);
    }
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['Train', 'Val', 'Test']));
    // Speakers never span splits.
    const splitOfSubject = new Map<string, string>();
    for (const [, split, subject] of rows) {
      expect(splitOfSubject.get(subject as string) ?? split).toBe(split);
      splitOfSubject.set(subject as string, split as string);
    }
    // A raw look too: names with spaces are written as they are, unquoted.
    const text = fs.readFileSync(path.join(dir, 'data_info.csv'), 'utf8');
    expect(text.startsWith('File_ID,Split,Subject_ID,Country\n')).toBe(true);
    expect(text).toMatch(/,(United States|South Africa)\n/);
    expect(text).not.toContain('"');
  });

  it('writes the four label tables with the exact headers, Test rows with empty label cells', () => {
    const info = readCsv(path.join(dir, 'data_info.csv')).slice(1);
    const tables = {
      'labels/high_info.csv': ['File_ID', 'Split', ...EMOTION_HEADER],
      'labels/two_info.csv': ['File_ID', 'Split', 'Valence', 'Arousal'],
      'labels/culture_info.csv': ['File_ID', 'Split', ...CULTURE_COLUMNS],
      'labels/type_info.csv': ['File_ID', 'Split', 'Voc_Type'],
    };
    for (const [file, expectedHeader] of Object.entries(tables)) {
      const [header, ...rows] = readCsv(path.join(dir, file));
      expect(header).toEqual(expectedHeader);
      expect(rows.map((r) => r.slice(0, 2))).toEqual(info.map((r) => r.slice(0, 2)));
      for (const row of rows) {
        const cells = row.slice(2);
        if (row[1] === 'Test') {
          expect(cells.every((c) => c === '')).toBe(true);
        } else if (file.endsWith('type_info.csv')) {
          expect(BURST_TYPES).toContain(cells[0]);
        } else {
          for (const c of cells) {
            expect(c).toMatch(/^\d(\.\d+)?$/);
            expect(Number(c)).toBeGreaterThanOrEqual(0);
            expect(Number(c)).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('orders the 40 culture columns country by country, Surprise last', () => {
    const header = readCsv(path.join(dir, 'labels/culture_info.csv'))[0] ?? [];
    expect(header).toHaveLength(42);
    expect(header.slice(2, 5)).toEqual(['China_Awe', 'China_Excitement', 'China_Amusement']);
    expect(header[10]).toBe('China_Sadness');
    expect(header[11]).toBe('United States_Awe');
    expect(header[20]).toBe('South Africa_Awe');
    expect(header[29]).toBe('Venezuela_Awe');
    expect(header.slice(38)).toEqual(['China_Surprise', 'United States_Surprise', 'South Africa_Surprise', 'Venezuela_Surprise']);
  });

  it('writes 16 kHz mono files and the requested share of 44.1 kHz stereo and float files', () => {
    const latents = generateSyntheticLatents(SMALL);
    let hiRes = 0;
    let float = 0;
    for (const clip of latents.clips) {
      const wav = readWav(path.join(dir, 'audio/wav', `${clip.id}.wav`));
      if (wav.sampleRate === 44100) {
        hiRes++;
        expect(wav.channels).toBe(2);
        expect(wav.frames).toBe(Math.round(clip.frames * (44100 / 16000)));
      } else {
        expect(wav.sampleRate).toBe(16000);
        expect(wav.channels).toBe(1);
        expect(wav.frames).toBe(clip.frames);
      }
      if (wav.formatTag === 3) {
        float++;
        expect(wav.bits).toBe(32);
      } else {
        expect(wav.formatTag).toBe(1);
        expect(wav.bits).toBe(16);
      }
      expect(wav.sampleRate === 44100).toBe(clip.hiRes);
    }
    expect(hiRes).toBe(Math.round(SMALL.hiResFraction * SMALL.clips));
    expect(float).toBe(Math.round(SMALL.floatFraction * SMALL.clips));
    expect(summary.hiResClips).toBe(hiRes);
    expect(summary.floatClips).toBe(float);
  });

  it('writes the rendered audio: 16 kHz files hold it as is, 44.1 kHz stereo files average back to it', () => {
    const latents = generateSyntheticLatents(SMALL);
    const lo = latents.clips.find((c) => !c.hiRes && c.format === 'pcm16');
    const hi = latents.clips.find((c) => c.hiRes);
    if (!lo || !hi) throw new Error('corpus lacks a file of each kind');
    const speaker = (c: { speaker: number }): SynthSpeaker => latents.speakers[c.speaker] as SynthSpeaker;

    const loRender = renderClip(lo, speaker(lo)).samples;
    const loWav = readWav(path.join(dir, 'audio/wav', `${lo.id}.wav`));
    for (let i = 0; i < loRender.length; i += 7) {
      expect(Math.abs(loWav.sample(0, i) - (loRender[i] as number))).toBeLessThanOrEqual(1 / 32767);
    }

    const hiRendered = renderClip(hi, speaker(hi));
    const hiWav = readWav(path.join(dir, 'audio/wav', `${hi.id}.wav`));
    const file = clipFileAudio(hi, hiRendered);
    // Where the 16 kHz and 44.1 kHz grids meet, the interpolated signal equals
    // the original; the two channels differ by a balance and average back to it
    // (up to the anti-clipping gain g, fitted here, and quantisation).
    let num = 0;
    let den = 0;
    const pairs: [number, number][] = [];
    for (let j = 0; 160 * j < hiRendered.samples.length; j++) {
      const mono = (hiWav.sample(0, 441 * j) + hiWav.sample(1, 441 * j)) / 2;
      const original = hiRendered.samples[160 * j] as number;
      pairs.push([mono, original]);
      num += mono * original;
      den += original * original;
    }
    const g = num / den;
    expect(g).toBeGreaterThan(0.9);
    expect(g).toBeLessThanOrEqual(1 + 1e-3); // 1 unless the peak had to be pulled back
    for (const [mono, original] of pairs) expect(Math.abs(mono - g * original)).toBeLessThan(3 / 32767);
    expect(file.channels[0]).not.toEqual(file.channels[1]);
  });

  it('writes a manifest matching the tables', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const info = readCsv(path.join(dir, 'data_info.csv')).slice(1);
    expect(manifest.generatorVersion).toBe(SYNTH_VERSION);
    expect(manifest.seed).toBe(SMALL.seed);
    expect(manifest.layout).toBe('avb');
    expect(manifest.clips).toBe(SMALL.clips);
    for (const split of ['Train', 'Val', 'Test']) {
      expect(manifest.splits[split].clips).toBe(info.filter((r) => r[1] === split).length);
      expect(manifest.splits[split].speakers).toBe(new Set(info.filter((r) => r[1] === split).map((r) => r[2])).size);
    }
    expect(manifest.labelNoise.high).toBeGreaterThan(0);
    expect(summary.splits).toEqual(manifest.splits);
  });
});

describe('ExVo layout', () => {
  let dir = '';
  beforeAll(() => {
    ({ dir } = write('exvo', { layout: 'exvo' }));
  });

  it('writes wav/<id>.wav, data_info.csv and the manifest only', () => {
    const files = listFiles(dir).sort();
    expect(files.filter((f) => f.startsWith('wav/'))).toHaveLength(SMALL.clips);
    expect(files.filter((f) => !f.startsWith('wav/'))).toEqual(['data_info.csv', 'manifest.json']);
  });

  it('writes data_info.csv with the exact header; Test rows keep the subject but no labels', () => {
    const [header, ...rows] = readCsv(path.join(dir, 'data_info.csv'));
    expect(header).toEqual(['File_ID', 'Split', 'Subject_ID', 'Country', 'Age', ...EMOTION_HEADER]);
    expect(rows).toHaveLength(SMALL.clips);
    for (const [fileId, split, subject, country, age, ...emotions] of rows) {
      expect(fileId).toMatch(/^\[\d+\]$/);
      expect(fs.existsSync(path.join(dir, 'wav', `${fileId?.slice(1, -1)}.wav`))).toBe(true);
      expect(subject).toMatch(/^S\d{4}$/);
      if (split === 'Test') {
        expect([country, age, ...emotions].every((c) => c === '')).toBe(true);
      } else {
        expect(COUNTRY_NAMES).toContain(country);
        expect(age).toMatch(/^\d+$/);
        expect(Number(age)).toBeGreaterThanOrEqual(20);
        expect(Number(age)).toBeLessThanOrEqual(39);
        for (const e of emotions) expect(Number(e)).toBeGreaterThanOrEqual(0);
        for (const e of emotions) expect(Number(e)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('writeSyntheticCorpus: the output folder', () => {
  it('refuses a non-empty folder unless overwrite is set, and never deletes other files', () => {
    const dir = path.join(tmp, 'occupied');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const options = { dir, layout: 'exvo', clips: 6, minSeconds: 0.5, maxSeconds: 0.6 } as const;
    expect(() => writeSyntheticCorpus(options)).toThrow(/not empty/);
    expect(fs.readdirSync(dir)).toEqual(['keep.txt']);
    const summary = writeSyntheticCorpus({ ...options, overwrite: true });
    expect(summary.clips).toBe(6);
    expect(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(dir, 'data_info.csv'))).toBe(true);
  });

  it('refuses a path that is a file, and invalid options before writing anything', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => writeSyntheticCorpus({ dir: file, layout: 'avb', clips: 6 })).toThrow(/not a folder/);
    const dir = path.join(tmp, 'never');
    expect(() => writeSyntheticCorpus({ dir, layout: 'avb', clips: 1 })).toThrow(RangeError);
    expect(() => writeSyntheticCorpus({ dir, layout: 'wav2vec' as never })).toThrow(/unknown layout/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
