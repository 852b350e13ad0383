/**
 * Tiny corpora written to temporary folders, in the A-VB, ExVo and
 * manifest layouts, with label values that tests can predict from the clip
 * number. Columns are deliberately written out of the usual order (and
 * with extra columns) so that reading by position would fail.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BURST_TYPES, CULTURE_COLUMNS, EMOTIONS, type Split } from '../../src/tasks.js';
import { Rng } from '../../src/util/rng.js';
import { pcm16Wav } from '../audio/wav-builders.js';

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vbt-${prefix}-`));
}

/** Write a CSV, quoting cells that need it. */
export function writeCsv(path: string, header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const quote = (cell: string | number): string => {
    const text = String(cell);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, [header, ...rows].map((r) => r.map(quote).join(',')).join('\n') + '\n');
}

/** Write a WAV clip of seeded noise-modulated tone. */
export function writeClip(path: string, samples: number, sampleRate = 16000, channels = 1, seed = 1): void {
  const rng = new Rng(seed);
  const data = Array.from({ length: channels }, (_, c) =>
    Float32Array.from({ length: samples }, (_, i) => 0.3 * Math.sin((2 * Math.PI * (200 + 50 * c) * i) / sampleRate) + rng.uniform(-0.05, 0.05)),
  );
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pcm16Wav(data, sampleRate));
}

/** The split of clip i in fixtures: 6 Train, 2 Val, 2 Test per 10. */
export function fixtureSplit(i: number): Split {
  const r = i % 10;
  return r < 6 ? 'Train' : r < 8 ? 'Val' : 'Test';
}

/** Predictable labels of clip i. */
export const fixtureLabels = {
  high: (i: number): number[] => EMOTIONS.map((_, e) => ((i * 7 + e * 3) % 11) / 10),
  culture: (i: number): number[] => CULTURE_COLUMNS.map((_, c) => ((i + c) % 21) / 20),
  two: (i: number): number[] => [(i % 5) / 4, ((i + 2) % 5) / 4],
  type: (i: number): number => i % BURST_TYPES.length,
  /** Index into COUNTRY_NAMES_IN_FILE_ORDER, not the encoding. */
  countryName: (i: number): string => ['United States', 'China', 'Venezuela', 'South Africa'][i % 4] as string,
  age: (i: number): number => 20 + (i % 20),
};

/** Clip ids used by fixtures: five-digit, like the challenge's. */
export function fixtureId(i: number): string {
  return String(10000 + i * 7);
}

/** Lengths (samples at 16 kHz) of fixture clips: varied, short. */
export function fixtureLength(i: number): number {
  return 1600 + ((i * 1237) % 6400);
}

/** Options of the layout writers. */
export interface FixtureOptions {
  /** Number of clips. Default 10. */
  readonly count?: number;
  /** Write audio files. Default true. */
  readonly audio?: boolean;
}

/**
 * An A-VB corpus: data_info.csv plus the four labels files and
 * audio/wav/<id>.wav. Test rows have empty label cells.
 */
export function writeAvbCorpus(root: string, options: FixtureOptions = {}): void {
  const count = options.count ?? 10;
  const ids = Array.from({ length: count }, (_, i) => fixtureId(i));
  const labelled = (i: number): boolean => fixtureSplit(i) !== 'Test';
  writeCsv(
    join(root, 'data_info.csv'),
    ['Split', 'Subject_ID', 'File_ID', 'Country', 'Country_string'],
    ids.map((id, i) => [fixtureSplit(i), `S${i % 3}`, `[${id}]`, labelled(i) ? fixtureLabels.countryName(i) : '', 'x']),
  );
  const reversedEmotions = [...EMOTIONS].reverse();
  writeCsv(
    join(root, 'labels/high_info.csv'),
    ['File_ID', ...reversedEmotions, 'Split'],
    ids.map((id, i) => [
      `[${id}]`,
      ...reversedEmotions.map((e) => (labelled(i) ? (fixtureLabels.high(i)[EMOTIONS.indexOf(e)] as number) : '')),
      fixtureSplit(i),
    ]),
  );
  const shuffledCulture = [...CULTURE_COLUMNS].sort();
  writeCsv(
    join(root, 'labels/culture_info.csv'),
    ['Split', 'File_ID', ...shuffledCulture],
    ids.map((id, i) => [
      fixtureSplit(i),
      `[${id}]`,
      ...shuffledCulture.map((c) => (labelled(i) ? (fixtureLabels.culture(i)[CULTURE_COLUMNS.indexOf(c)] as number) : '')),
    ]),
  );
  writeCsv(
    join(root, 'labels/two_info.csv'),
    ['Arousal', 'File_ID', 'Split', 'Valence'],
    ids.map((id, i) => {
      const [valence, arousal] = fixtureLabels.two(i) as [number, number];
      return labelled(i) ? [arousal, `[${id}]`, fixtureSplit(i), valence] : ['', `[${id}]`, fixtureSplit(i), ''];
    }),
  );
  // Test clips have no row at all in type_info.csv.
  writeCsv(
    join(root, 'labels/type_info.csv'),
    ['File_ID', 'Split', 'Voc_Type'],
    ids.flatMap((id, i) => (labelled(i) ? [[`[${id}]`, fixtureSplit(i), BURST_TYPES[fixtureLabels.type(i)] as string]] : [])),
  );
  if (options.audio ?? true) {
    ids.forEach((id, i) => writeClip(join(root, 'audio/wav', `${id}.wav`), fixtureLength(i), 16000, 1, i + 1));
  }
}

/** An ExVo corpus: data_info.csv and wav/<id>.wav; clip 1 is 44.1 kHz stereo. */
export function writeExvoCorpus(root: string, options: FixtureOptions = {}): void {
  const count = options.count ?? 10;
  const ids = Array.from({ length: count }, (_, i) => fixtureId(i));
  const columns = ['Age', ...[...EMOTIONS].reverse(), 'Country', 'File_ID', 'Split', 'Subject_ID'];
  writeCsv(
    join(root, 'data_info.csv'),
    columns,
    ids.map((id, i) => {
      const labelled = fixtureSplit(i) !== 'Test';
      const high = fixtureLabels.high(i);
      return [
        labelled ? fixtureLabels.age(i) : '',
        ...[...EMOTIONS].reverse().map((e) => (labelled ? (high[EMOTIONS.indexOf(e)] as number) : '')),
        labelled ? fixtureLabels.countryName(i) : '',
        `[${id}]`,
        fixtureSplit(i),
        `P${i}`,
      ];
    }),
  );
  if (options.audio ?? true) {
    ids.forEach((id, i) => {
      const stereo = i === 1;
      writeClip(join(root, 'wav', `${id}.wav`), stereo ? Math.round((fixtureLength(i) * 44100) / 16000) : fixtureLength(i), stereo ? 44100 : 16000, stereo ? 2 : 1, i + 1);
    });
  }
}
