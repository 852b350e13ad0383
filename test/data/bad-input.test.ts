import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAvbCorpus } from '../../src/data/corpus/avb-corpus.js';
import { readExvoCorpus } from '../../src/data/corpus/exvo-corpus.js';
import { readManifestCorpus } from '../../src/data/corpus/manifest-corpus.js';
import { DataError } from '../../src/data/data-error.js';
import { buildWav } from '../audio/wav-builders.js';
import { fixtureId, tempDir, writeAvbCorpus, writeClip, writeExvoCorpus } from './corpus-fixtures.js';
import { thrown } from '../fixtures/thrown.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function avbRoot(): string {
  const root = tempDir('bad-avb');
  dirs.push(root);
  writeAvbCorpus(root, { count: 10 });
  return root;
}

function exvoRoot(): string {
  const root = tempDir('bad-exvo');
  dirs.push(root);
  writeExvoCorpus(root, { count: 10 });
  return root;
}

/** Replace one cell of a CSV written by the fixtures (no quoted cells there). */
function editCell(file: string, line: number, column: string, value: string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = (lines[0] as string).split(',');
  const cells = (lines[line - 1] as string).split(',');
  cells[header.indexOf(column)] = value;
  lines[line - 1] = cells.join(',');
  writeFileSync(file, lines.join('\n'));
}

const caught = (read: () => unknown): DataError => thrown(DataError, read);

/** The error names file, row and column, in its fields and in its message. */
function expectLocated(error: DataError, file: string, row: number | undefined, column: string | undefined, reason: RegExp): void {
  expect(error.file).toBe(file);
  expect(error.row).toBe(row);
  expect(error.column).toBe(column);
  expect(error.reason).toMatch(reason);
  expect(error.message).toContain(file);
  if (row !== undefined) expect(error.message).toContain(`row ${row}`);
  if (column !== undefined) expect(error.message).toContain(`column ${column}`);
}

describe('bad audio', () => {
  // Clip i of the fixture sits on data_info.csv line i + 2.
  const cases: [string, (path: string) => void, RegExp][] = [
    ['missing audio file', (p) => rmSync(p), /file not found/],
    ['unreadable audio (a directory in its place)', (p) => { rmSync(p); mkdirSync(p); }, /not a regular file/],
    ['truncated WAV', (p) => writeFileSync(p, readFileSync(p).subarray(0, 100)), /truncated: data chunk/],
    ['wrong header', (p) => { const b = readFileSync(p); b.write('RIFX', 0); writeFileSync(p, b); }, /RIFX/],
    ['garbage instead of a WAV', (p) => writeFileSync(p, 'hello'), /too short for a RIFF header/],
    ['zero-length clip', (p) => writeFileSync(p, buildWav([], 's16')), /zero-length clip/],
  ];
  for (const [name, spoil, reason] of cases) {
    it(`${name}: DataError at the row and File_ID column that named it, with the audio path`, () => {
      const root = avbRoot();
      const audio = join(root, 'audio', 'wav', `${fixtureId(4)}.wav`);
      spoil(audio);
      const error = caught(() => readAvbCorpus(root));
      expectLocated(error, join(root, 'data_info.csv'), 6, 'File_ID', reason);
      expect(error.audioPath).toBe(audio);
      expect(error.message).toContain(audio);
    });
  }
});

describe('bad labels', () => {
  it('NaN label', () => {
    const root = exvoRoot();
    editCell(join(root, 'data_info.csv'), 3, 'Fear', 'NaN');
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), 3, 'Fear', /not a number: 'NaN'/);
  });

  it('text where a number belongs', () => {
    const root = exvoRoot();
    editCell(join(root, 'data_info.csv'), 4, 'Awe', '0x1');
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), 4, 'Awe', /not a number/);
  });

  it('out-of-range emotion and age', () => {
    const root = exvoRoot();
    editCell(join(root, 'data_info.csv'), 2, 'Surprise', '1.5');
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), 2, 'Surprise', /outside \[0, 1\]/);
    const root2 = exvoRoot();
    editCell(join(root2, 'data_info.csv'), 5, 'Age', '80');
    expectLocated(caught(() => readExvoCorpus(root2)), join(root2, 'data_info.csv'), 5, 'Age', /outside \[20, 39\]/);
    expect(readExvoCorpus(root2, { ageRange: { min: 18, max: 90 } }).clips).toHaveLength(10);
  });

  it('unknown country', () => {
    const root = avbRoot();
    editCell(join(root, 'data_info.csv'), 3, 'Country', 'Atlantis');
    expectLocated(caught(() => readAvbCorpus(root)), join(root, 'data_info.csv'), 3, 'Country', /unknown country 'Atlantis'/);
  });

  it('unknown vocalisation type', () => {
    const root = avbRoot();
    editCell(join(root, 'labels', 'type_info.csv'), 4, 'Voc_Type', 'Yodel');
    expectLocated(caught(() => readAvbCorpus(root)), join(root, 'labels', 'type_info.csv'), 4, 'Voc_Type', /unknown vocalisation type 'Yodel'/);
  });

  it('a regression task only partly filled', () => {
    const root = avbRoot();
    editCell(join(root, 'labels', 'two_info.csv'), 2, 'Valence', '');
    expectLocated(caught(() => readAvbCorpus(root)), join(root, 'labels', 'two_info.csv'), 2, 'Valence', /missing value/);
  });

  it('a Train clip without a row in a labels file', () => {
    const root = avbRoot();
    const file = join(root, 'labels', 'type_info.csv');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], ...lines.slice(2)].join('\n'));
    expectLocated(caught(() => readAvbCorpus(root)), file, undefined, 'File_ID', new RegExp(`no labels for File_ID \\[${fixtureId(0)}\\] \\(a Train clip`));
  });

  it('a Train clip with empty label cells (ExVo)', () => {
    const root = exvoRoot();
    editCell(join(root, 'data_info.csv'), 2, 'Country', '');
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), 2, 'Country', /missing 'country' label for a Train clip/);
  });

  it('a split that disagrees with data_info.csv, and a File_ID it does not know', () => {
    const root = avbRoot();
    editCell(join(root, 'labels', 'high_info.csv'), 2, 'Split', 'Val');
    expectLocated(caught(() => readAvbCorpus(root)), join(root, 'labels', 'high_info.csv'), 2, 'Split', /split Val differs from data_info\.csv \(Train/);
    const root2 = avbRoot();
    editCell(join(root2, 'labels', 'high_info.csv'), 3, 'File_ID', '[99999]');
    expectLocated(caught(() => readAvbCorpus(root2)), join(root2, 'labels', 'high_info.csv'), 3, 'File_ID', /\[99999\] is not in data_info\.csv/);
  });

  it('an unknown split name', () => {
    const root = exvoRoot();
    editCell(join(root, 'data_info.csv'), 6, 'Split', 'Dev');
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), 6, 'Split', /unknown split 'Dev'/);
  });
});

describe('bad rows and files', () => {
  it('duplicate id in data_info.csv and in a labels file', () => {
    const root = avbRoot();
    editCell(join(root, 'data_info.csv'), 5, 'File_ID', `[${fixtureId(1)}]`);
    expectLocated(caught(() => readAvbCorpus(root)), join(root, 'data_info.csv'), 5, 'File_ID', new RegExp(`duplicate id '${fixtureId(1)}' \\(first on row 3\\)`));
    const root2 = avbRoot();
    editCell(join(root2, 'labels', 'culture_info.csv'), 4, 'File_ID', `[${fixtureId(0)}]`);
    expectLocated(caught(() => readAvbCorpus(root2)), join(root2, 'labels', 'culture_info.csv'), 4, 'File_ID', /duplicate id/);
  });

  it('CSV with a missing column: an error on the header, even with skipBad', () => {
    const root = avbRoot();
    const file = join(root, 'labels', 'high_info.csv');
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.split(','));
    const fear = (lines[0] as string[]).indexOf('Fear');
    writeFileSync(file, lines.map((cells) => cells.filter((_, c) => c !== fear).join(',')).join('\n'));
    expectLocated(caught(() => readAvbCorpus(root)), file, 1, 'Fear', /missing column 'Fear'/);
    expect(() => readAvbCorpus(root, { skipBad: true })).toThrow(/missing column 'Fear'/);
    const exvo = exvoRoot();
    const info = join(exvo, 'data_info.csv');
    writeFileSync(info, readFileSync(info, 'utf8').replace('Age,', 'Years,'));
    expectLocated(caught(() => readExvoCorpus(exvo)), info, 1, 'Age', /missing column 'Age'/);
  });

  it('a row with the wrong number of cells, and unparseable CSV', () => {
    const root = exvoRoot();
    const info = join(root, 'data_info.csv');
    const lines = readFileSync(info, 'utf8').split('\n');
    lines[3] += ',extra';
    writeFileSync(info, lines.join('\n'));
    expectLocated(caught(() => readExvoCorpus(root)), info, 4, undefined, /row has \d+ cells, the header has \d+/);
    writeFileSync(info, lines.join('\n') + '"unclosed,quote\n');
    expect(caught(() => readExvoCorpus(root)).reason).toMatch(/cannot parse CSV/);
  });

  it('a JSONL line that is not an object, or holds a nested value', () => {
    const root = tempDir('bad-jsonl');
    dirs.push(root);
    writeClip(join(root, 'a.wav'), 800);
    const file = join(root, 'm.jsonl');
    writeFileSync(file, `{"path":"a.wav","split":"Train"}\n[1,2]\n`);
    expectLocated(caught(() => readManifestCorpus(file)), file, 2, undefined, /not a JSON object/);
    writeFileSync(file, `{"path":"a.wav","split":"Train","Age":[30]}\n`);
    expectLocated(caught(() => readManifestCorpus(file)), file, 1, 'Age', /must be a string, a number or null/);
    writeFileSync(file, `{"path":"a.wav",\n`);
    expectLocated(caught(() => readManifestCorpus(file)), file, 1, undefined, /not valid JSON/);
  });

  it('a missing corpus file', () => {
    const root = tempDir('bad-empty');
    dirs.push(root);
    expectLocated(caught(() => readExvoCorpus(root)), join(root, 'data_info.csv'), undefined, undefined, /file not found/);
  });
});

describe('skipBad', () => {
  it('drops each bad row, keeps the rest, and reports what was dropped and why', () => {
    const root = avbRoot();
    const info = join(root, 'data_info.csv');
    rmSync(join(root, 'audio', 'wav', `${fixtureId(2)}.wav`)); // clip 2: missing audio
    editCell(info, 5, 'Country', 'Atlantis'); // clip 3: unknown country
    editCell(join(root, 'labels', 'type_info.csv'), 6, 'Voc_Type', 'Yodel'); // clip 4: bad type
    editCell(join(root, 'labels', 'high_info.csv'), 7, 'Awe', 'NaN'); // clip 5: NaN
    const infoLines = readFileSync(info, 'utf8').trimEnd().split('\n');
    writeFileSync(info, [...infoLines, (infoLines[2] as string).replace(fixtureId(1), fixtureId(0))].join('\n')); // a duplicate of clip 0
    const corpus = readAvbCorpus(root, { skipBad: true });
    expect(corpus.clips.map((c) => c.id)).toEqual([0, 1, 6, 7, 8, 9].map(fixtureId));
    const reasons = corpus.dropped.map((d) => [d.id, d.reason]);
    expect(reasons).toEqual([
      [fixtureId(3), expect.stringMatching(/unknown country/)],
      [fixtureId(0), expect.stringMatching(/duplicate id/)],
      [fixtureId(5), expect.stringMatching(/not a number/)],
      [fixtureId(4), expect.stringMatching(/unknown vocalisation type/)],
      [fixtureId(2), expect.stringMatching(/file not found/)],
    ]);
    for (const dropped of corpus.dropped) {
      expect(dropped.message).toContain(dropped.file);
      expect(dropped.row).toBeGreaterThan(1);
    }
    // The duplicate row is dropped, not the clip it duplicated.
    expect(corpus.clips[0]?.labels.high).toBeDefined();
  });
});
