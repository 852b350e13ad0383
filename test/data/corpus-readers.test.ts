import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAvbCorpus } from '../../src/data/corpus/avb-corpus.js';
import { splitIndices, type Corpus } from '../../src/data/corpus/corpus.js';
import { readExvoCorpus } from '../../src/data/corpus/exvo-corpus.js';
import { readManifestCorpus } from '../../src/data/corpus/manifest-corpus.js';
import { DataError } from '../../src/data/data-error.js';
import { COUNTRIES, CULTURE_COLUMNS, EMOTIONS } from '../../src/tasks.js';
import {
  fixtureId,
  fixtureLabels,
  fixtureLength,
  fixtureSplit,
  tempDir,
  writeAvbCorpus,
  writeClip,
  writeCsv,
  writeExvoCorpus,
} from './corpus-fixtures.js';

const dirs: string[] = [];
function fresh(prefix: string): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function clipById(corpus: Corpus, id: string) {
  const clip = corpus.clips.find((c) => c.id === id);
  expect(clip, id).toBeDefined();
  return clip as NonNullable<typeof clip>;
}

function expectFloats(actual: Float32Array | undefined, expected: number[]): void {
  expect(actual).toBeDefined();
  expect(Array.from(actual as Float32Array)).toEqual(expected.map((v) => Math.fround(v)));
}

describe('readAvbCorpus', () => {
  const root = fresh('avb');
  writeAvbCorpus(root, { count: 10 });
  const corpus = readAvbCorpus(root);

  it('finds every clip with its split, subject and audio path, and all five tasks', () => {
    expect(corpus.layout).toBe('avb');
    expect(corpus.tasks).toEqual(['high', 'culture', 'two', 'type', 'country']);
    expect(corpus.clips).toHaveLength(10);
    expect(corpus.dropped).toEqual([]);
    corpus.clips.forEach((clip, i) => {
      expect(clip.id).toBe(fixtureId(i));
      expect(clip.split).toBe(fixtureSplit(i));
      expect(clip.subjectId).toBe(`S${i % 3}`);
      expect(clip.audioPath).toBe(join(root, 'audio', 'wav', `${fixtureId(i)}.wav`));
      expect(clip.audio).toEqual({ sampleRate: 16000, channels: 1, frames: fixtureLength(i) });
      expect(clip.source).toEqual({ file: join(root, 'data_info.csv'), row: i + 2, column: 'File_ID' });
    });
    expect(splitIndices(corpus.clips, 'Train')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(splitIndices(corpus.clips, 'Test')).toEqual([8, 9]);
  });

  it('reads every label by column name, whatever the column order', () => {
    for (const i of [0, 3, 7]) {
      const clip = clipById(corpus, fixtureId(i));
      expectFloats(clip.labels.high, fixtureLabels.high(i));
      expectFloats(clip.labels.culture, fixtureLabels.culture(i));
      expectFloats(clip.labels.two, fixtureLabels.two(i));
      expect(clip.labels.type).toBe(fixtureLabels.type(i));
      expect(COUNTRIES[clip.labels.country as number]).toBe(fixtureLabels.countryName(i));
    }
    // Spot checks against the schema's encodings and column names.
    const clip3 = clipById(corpus, fixtureId(3));
    expect(clip3.labels.type).toBe(3); // Scream
    expect(clip3.labels.country).toBe(1); // South Africa, alphabetical encoding
    expect(clip3.labels.culture?.[CULTURE_COLUMNS.indexOf('United States_Surprise')]).toBeCloseTo(((3 + 37) % 21) / 20, 6);
  });

  it('leaves Test clips unlabelled', () => {
    for (const i of [8, 9]) expect(clipById(corpus, fixtureId(i)).labels).toEqual({});
  });

  it('reads only the requested tasks, and needs only their files', () => {
    const root2 = fresh('avb-two');
    writeAvbCorpus(root2, { count: 4, audio: false });
    rmSync(join(root2, 'labels', 'culture_info.csv'));
    const partial = readAvbCorpus(root2, { tasks: ['two', 'type'], probeAudio: false });
    expect(partial.tasks).toEqual(['two', 'type']);
    expect(Object.keys(partial.clips[0]?.labels ?? {}).sort()).toEqual(['two', 'type']);
    expect(() => readAvbCorpus(root2, { probeAudio: false })).toThrow(/culture_info\.csv: file not found/);
  });
});

describe('readExvoCorpus', () => {
  const root = fresh('exvo');
  writeExvoCorpus(root, { count: 10 });
  const corpus = readExvoCorpus(root);

  it('reads emotions (as the high task), country and age by name; Test rows unlabelled', () => {
    expect(corpus.layout).toBe('exvo');
    expect(corpus.tasks).toEqual(['high', 'country', 'age']);
    expect(corpus.clips).toHaveLength(10);
    for (const i of [0, 1, 6]) {
      const clip = clipById(corpus, fixtureId(i));
      expect(clip.audioPath).toBe(join(root, 'wav', `${fixtureId(i)}.wav`));
      expectFloats(clip.labels.high, fixtureLabels.high(i));
      expect(clip.labels.age).toBe(fixtureLabels.age(i));
      expect(COUNTRIES[clip.labels.country as number]).toBe(fixtureLabels.countryName(i));
      expect(clip.subjectId).toBe(`P${i}`);
    }
    expect(clipById(corpus, fixtureId(9)).labels).toEqual({});
  });

  it('records the header facts of a 44.1 kHz stereo clip', () => {
    const clip = clipById(corpus, fixtureId(1));
    expect(clip.audio).toEqual({ sampleRate: 44100, channels: 2, frames: Math.round((fixtureLength(1) * 44100) / 16000) });
  });
});

describe('challenge layouts with audio in other formats', () => {
  // A file's bytes decide its format, so WAV bytes under other names stand in
  // for converted files here (decoding real FLAC/MP3 is tested with ffmpeg in
  // test/audio/decode-formats.test.ts).
  it('finds <id>.<ext> for any supported extension, in any letter case; <id>.wav wins when several exist', () => {
    for (const [layout, folder, read] of [
      ['avb', join('audio', 'wav'), (root: string) => readAvbCorpus(root)],
      ['exvo', 'wav', (root: string) => readExvoCorpus(root)],
    ] as const) {
      const root = fresh(`${layout}-formats`);
      (layout === 'avb' ? writeAvbCorpus : writeExvoCorpus)(root, { count: 10 });
      const file = (i: number, ext: string) => join(root, folder, `${fixtureId(i)}${ext}`);
      renameSync(file(0, '.wav'), file(0, '.flac'));
      renameSync(file(3, '.wav'), file(3, '.MP3'));
      copyFileSync(file(5, '.wav'), file(5, '.ogg'));
      renameSync(file(6, '.wav'), file(6, '.opus'));
      copyFileSync(file(6, '.opus'), file(6, '.flac')); // .flac comes before .opus
      writeFileSync(join(root, folder, `${fixtureId(7)}.txt`), 'not audio');
      const corpus = read(root);
      const expected = new Map([
        [0, '.flac'],
        [3, '.MP3'],
        [5, '.wav'],
        [6, '.flac'],
      ]);
      expect(corpus.clips.map((c) => c.audioPath), layout).toEqual(corpus.clips.map((_, i) => file(i, expected.get(i) ?? '.wav')));
      expect(corpus.clips[0]!.audio?.frames, layout).toBe(fixtureLength(0)); // probed through the found file
    }
  });

  it('a clip with no file in any format is reported as its missing .wav, at its row', () => {
    const root = fresh('avb-missing');
    writeAvbCorpus(root, { count: 10 });
    rmSync(join(root, 'audio', 'wav', `${fixtureId(4)}.wav`));
    writeFileSync(join(root, 'audio', 'wav', `${fixtureId(4)}.txt`), 'not audio');
    const wav = join(root, 'audio', 'wav', `${fixtureId(4)}.wav`);
    expect(() => readAvbCorpus(root)).toThrow(`${join(root, 'data_info.csv')}, row 6, column File_ID: audio file ${wav}: file not found`);
  });
});

describe('readManifestCorpus', () => {
  it('reads a CSV manifest with a subset of label columns and optional ids', () => {
    const root = fresh('manifest-csv');
    writeClip(join(root, 'a', 'one.wav'), 3200);
    writeClip(join(root, 'two.wav'), 1600, 22050);
    writeCsv(join(root, 'manifest.csv'), ['Arousal', 'path', 'Valence', 'split', 'Voc_Type', 'id'], [
      [0.25, 'a/one.wav', 0.75, 'train', 'Laugh', '[c1]'],
      ['', 'two.wav', '', 'Test', '', 'c2'],
    ]);
    const corpus = readManifestCorpus(join(root, 'manifest.csv'));
    expect(corpus.tasks).toEqual(['two', 'type']);
    expect(corpus.clips.map((c) => [c.id, c.split])).toEqual([
      ['c1', 'Train'],
      ['c2', 'Test'],
    ]);
    expectFloats(corpus.clips[0]?.labels.two, [0.75, 0.25]);
    expect(corpus.clips[0]?.labels.type).toBe(1);
    expect(corpus.clips[1]?.labels).toEqual({});
    expect(corpus.clips[1]?.audio).toEqual({ sampleRate: 22050, channels: 1, frames: 1600 });
    expect(corpus.clips[0]?.audioPath).toBe(join(root, 'a', 'one.wav'));
  });

  it('reads a JSONL manifest; the path is the id when there is no id column', () => {
    const root = fresh('manifest-jsonl');
    writeClip(join(root, 'x.wav'), 1000);
    writeClip(join(root, 'y.wav'), 1000);
    const high = Object.fromEntries(EMOTIONS.map((e, k) => [e, k / 10]));
    const lines = [
      JSON.stringify({ path: 'x.wav', split: 'Val', Country: 'Venezuela', Age: 31, ...high }),
      '',
      JSON.stringify({ path: 'y.wav', split: 'Train', Country: null, Age: '25' }),
    ];
    writeFileSync(join(root, 'list.jsonl'), lines.join('\n'));
    const corpus = readManifestCorpus(join(root, 'list.jsonl'));
    expect(corpus.tasks).toEqual(['high', 'country', 'age']);
    expect(corpus.clips.map((c) => c.id)).toEqual(['x.wav', 'y.wav']);
    expect(corpus.clips[0]?.labels.country).toBe(3);
    expect(corpus.clips[0]?.labels.age).toBe(31);
    expectFloats(corpus.clips[0]?.labels.high, EMOTIONS.map((_, k) => k / 10));
    expect(corpus.clips[1]?.labels).toEqual({ age: 25 });
    expect(corpus.clips[1]?.source).toEqual({ file: join(root, 'list.jsonl'), row: 3, column: 'path' });
  });

  it('keeps paths inside the corpus folder unless absolute paths are allowed', () => {
    const root = fresh('manifest-paths');
    const outside = fresh('manifest-outside');
    writeClip(join(outside, 'far.wav'), 800);
    mkdirSync(join(root, 'sub'));
    writeCsv(join(root, 'sub', 'escape.csv'), ['path', 'split'], [['../../' + outside.split('/').pop() + '/far.wav', 'Train']]);
    expect(() => readManifestCorpus(join(root, 'sub', 'escape.csv'))).toThrow(DataError);
    expect(() => readManifestCorpus(join(root, 'sub', 'escape.csv'))).toThrow(/row 2, column path: path '.*' resolves outside the corpus folder/);
    // Allowing absolute paths does not allow relative escapes.
    expect(() => readManifestCorpus(join(root, 'sub', 'escape.csv'), { allowAbsolutePaths: true })).toThrow(/resolves outside/);

    writeCsv(join(root, 'absolute.csv'), ['path', 'split'], [[join(outside, 'far.wav'), 'Train']]);
    expect(() => readManifestCorpus(join(root, 'absolute.csv'))).toThrow(/absolute path .* not allowed/);
    const allowed = readManifestCorpus(join(root, 'absolute.csv'), { allowAbsolutePaths: true });
    expect(allowed.clips[0]?.audioPath).toBe(join(outside, 'far.wav'));
  });

  it('rejects File_IDs that would escape the corpus folder in the challenge layouts', () => {
    const root = fresh('avb-escape');
    writeAvbCorpus(root, { count: 2, audio: false });
    writeCsv(join(root, 'data_info.csv'), ['File_ID', 'Split', 'Country'], [['[../../../etc/passwd]', 'Test', '']]);
    expect(() => readAvbCorpus(root, { probeAudio: false, tasks: ['country'] })).toThrow(/row 2, column File_ID: path .* resolves outside/);
  });
});
