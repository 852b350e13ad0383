/**
 * The ExVo 2022 layout (see the project's FACTS, §2): `wav/<id>.wav` and one
 * `data_info.csv` with `File_ID`, `Split`, `Subject_ID`, `Country`, `Age`
 * and the ten emotions.
 *
 * Test rows: Country, Age and the emotions are ExVo's targets, so Test rows
 * leave those cells empty; `Subject_ID` is kept.
 */
import { COUNTRIES, EMOTIONS } from '../tasks.js';
import type { SynthCorpusLatents } from './corpus-latents.js';
import { csvDocument, type CsvCell } from './csv-format.js';
import type { LayoutTable, LayoutWriter } from './layout.js';

/** Writer of the ExVo layout. */
export const EXVO_LAYOUT: LayoutWriter = {
  name: 'exvo',
  audioPath: (clip) => `wav/${clip.id}.wav`,
  tables(corpus: SynthCorpusLatents): LayoutTable[] {
    const rows = corpus.clips.map((c) => {
      const speaker = corpus.speakers[c.speaker];
      if (speaker === undefined) throw new Error(`ExVo layout: clip ${c.id} has no speaker ${c.speaker}`);
      const labels: CsvCell[] = [COUNTRIES[speaker.country], c.labels.age, ...c.labels.high];
      return [c.fileId, c.split, speaker.subjectId, ...(c.split === 'Test' ? labels.map(() => undefined) : labels)];
    });
    return [{ path: 'data_info.csv', text: csvDocument(['File_ID', 'Split', 'Subject_ID', 'Country', 'Age', ...EMOTIONS], rows) }];
  },
};
