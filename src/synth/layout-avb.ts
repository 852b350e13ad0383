/**
 * The A-VB 2022 layout (see the project's FACTS, §2): `audio/wav/<id>.wav`,
 * `data_info.csv` and four label tables under `labels/`.
 *
 * Test rows: as in the challenge's label files, every table lists every clip
 * with its `File_ID` and `Split`, and Test rows leave the label cells empty.
 * `data_info.csv` keeps `Subject_ID` and `Country` for all rows (they are
 * metadata in A-VB, not a challenge task).
 */
import { BURST_TYPES, COUNTRIES, CULTURE_COLUMNS, EMOTIONS, TWO_DIMENSIONS } from '../tasks.js';
import type { SynthCorpusLatents, SynthClip } from './corpus-latents.js';
import { csvDocument, type CsvCell } from './csv-format.js';
import type { LayoutTable, LayoutWriter } from './layout.js';

function labelCells(clip: SynthClip, values: readonly CsvCell[]): CsvCell[] {
  return clip.split === 'Test' ? values.map(() => undefined) : [...values];
}

/** Writer of the A-VB layout. */
export const AVB_LAYOUT: LayoutWriter = {
  name: 'avb',
  audioPath: (clip) => `audio/wav/${clip.id}.wav`,
  tables(corpus: SynthCorpusLatents): LayoutTable[] {
    const { clips, speakers } = corpus;
    const lead = (c: SynthClip): CsvCell[] => [c.fileId, c.split];
    const dataInfo = csvDocument(
      ['File_ID', 'Split', 'Subject_ID', 'Country'],
      clips.map((c) => {
        const speaker = speakers[c.speaker];
        if (speaker === undefined) throw new Error(`A-VB layout: clip ${c.id} has no speaker ${c.speaker}`);
        return [...lead(c), speaker.subjectId, COUNTRIES[speaker.country]];
      }),
    );
    const high = csvDocument(
      ['File_ID', 'Split', ...EMOTIONS],
      clips.map((c) => [...lead(c), ...labelCells(c, c.labels.high)]),
    );
    const two = csvDocument(
      ['File_ID', 'Split', ...TWO_DIMENSIONS],
      clips.map((c) => [...lead(c), ...labelCells(c, c.labels.two)]),
    );
    const culture = csvDocument(
      ['File_ID', 'Split', ...CULTURE_COLUMNS],
      clips.map((c) => [...lead(c), ...labelCells(c, c.labels.culture)]),
    );
    const type = csvDocument(
      ['File_ID', 'Split', 'Voc_Type'],
      clips.map((c) => [...lead(c), ...labelCells(c, [BURST_TYPES[c.labels.type]])]),
    );
    return [
      { path: 'data_info.csv', text: dataInfo },
      { path: 'labels/high_info.csv', text: high },
      { path: 'labels/two_info.csv', text: two },
      { path: 'labels/culture_info.csv', text: culture },
      { path: 'labels/type_info.csv', text: type },
    ];
  },
};
