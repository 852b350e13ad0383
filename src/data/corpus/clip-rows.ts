/**
 * The step every corpus reader shares: one clip per row of the table that
 * declares the clips (A-VB's and ExVo's data_info.csv, a manifest), with its
 * id, audio file, split, the labels held in that row and the speaker.
 */
import type { Task } from '../../tasks.js';
import { BadRowPolicy, DataError } from '../data-error.js';
import { CorpusBuilder } from './corpus-builder.js';
import type { CorpusLayout, CorpusReadOptions } from './corpus.js';
import { DEFAULT_LABEL_RULES, type LabelRules, parseSplit, parseTaskLabel, setTaskLabel } from './label-cells.js';
import { cell, type Table, type TableRow } from './table.js';

/** The builder and label rules of a corpus read with `options`. */
export function startCorpus(layout: CorpusLayout, root: string, options: CorpusReadOptions): { builder: CorpusBuilder; rules: LabelRules } {
  return {
    builder: new CorpusBuilder(layout, root, new BadRowPolicy(options.skipBad ?? false)),
    rules: { ageRange: options.ageRange ?? DEFAULT_LABEL_RULES.ageRange },
  };
}

/** How a reader finds a clip in a row of its table. */
export interface ClipRowSpec {
  /** The clip's id (throws DataError when unreadable). */
  idOf(row: TableRow): string;
  /** The clip's audio file, inside the corpus (throws DataError when it is not). */
  audioPathOf(row: TableRow, id: string): string;
  /** The column that names the audio, where a clip's later errors point. */
  readonly sourceColumn: string;
  /** The column holding the split. */
  readonly splitColumn: string;
  /** Tasks whose labels stand in this table. */
  readonly tasks: readonly Task[];
  readonly rules: LabelRules;
}

/**
 * Add a clip for each row of `table`. A row that cannot be read never becomes
 * a clip: it is reported through the builder's bad-row policy.
 */
export function addClipRows(builder: CorpusBuilder, table: Table, spec: ClipRowSpec): void {
  const file = table.file;
  for (const row of table.rows) {
    let id: string | undefined;
    try {
      id = spec.idOf(row);
      const audioPath = spec.audioPathOf(row, id);
      const split = parseSplit(cell(row, spec.splitColumn), file, row.line, spec.splitColumn);
      const labels = {};
      for (const task of spec.tasks) {
        const value = parseTaskLabel(row, task, file, spec.rules);
        if (value !== undefined) setTaskLabel(labels, task, value);
      }
      const subject = cell(row, 'Subject_ID');
      builder.add({
        id,
        split,
        audioPath,
        labels,
        ...(subject === '' ? {} : { subjectId: subject }),
        source: { file, row: row.line, column: spec.sourceColumn },
      });
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      builder.rejectDeclaration(error, id);
    }
  }
}
