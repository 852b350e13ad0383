/**
 * Reader for the ExVo 2022 layout:
 *
 *   <root>/data_info.csv   File_ID, Split, Subject_ID, Country, Age, and the
 *                          10 emotion columns (Awe ... Surprise), by name
 *   <root>/wav/<id>.wav    File_ID "[10119]" → 10119.wav
 *
 * ExVo's emotion task is the `high` task of the shared schema (same ten
 * emotions, same order). Test rows may leave labels empty; Train and Val
 * rows must have all of them.
 */
import { join } from 'node:path';
import type { Task } from '../schema.js';
import { BadRowPolicy, DataError } from '../data-error.js';
import { CorpusBuilder } from './corpus-builder.js';
import { resolveCorpusPath } from './corpus-path.js';
import type { Corpus, CorpusReadOptions } from './corpus.js';
import {
  DEFAULT_LABEL_RULES,
  TASK_COLUMNS,
  parseClipId,
  parseSplit,
  parseTaskLabel,
  setTaskLabel,
  type LabelRules,
} from './label-cells.js';
import { cell, readCsvTable, requireColumns } from './table.js';

/** The tasks an ExVo corpus can provide (emotion = `high`). */
export const EXVO_TASKS = ['high', 'country', 'age'] as const satisfies readonly Task[];
/** One of EXVO_TASKS. */
export type ExvoTask = (typeof EXVO_TASKS)[number];

/** Options of {@link readExvoCorpus}. */
export interface ExvoReadOptions extends CorpusReadOptions {
  /** Tasks to read (their columns must exist). Default: all of EXVO_TASKS. */
  readonly tasks?: readonly ExvoTask[];
}

/**
 * Read an ExVo corpus folder.
 * @throws DataError naming file, row and column for the first problem
 *   (unless `skipBad`, which drops bad rows into `Corpus.dropped`)
 */
export function readExvoCorpus(root: string, options: ExvoReadOptions = {}): Corpus {
  const tasks: readonly ExvoTask[] = options.tasks ?? EXVO_TASKS;
  const policy = new BadRowPolicy(options.skipBad ?? false);
  const rules: LabelRules = { ageRange: options.ageRange ?? DEFAULT_LABEL_RULES.ageRange };
  const builder = new CorpusBuilder('exvo', root, policy);

  const file = join(root, 'data_info.csv');
  const table = readCsvTable(file, policy);
  requireColumns(table, ['File_ID', 'Split', ...tasks.flatMap((t) => TASK_COLUMNS[t])]);
  const hasSubject = table.columns.includes('Subject_ID');
  for (const row of table.rows) {
    let id: string | undefined;
    try {
      id = parseClipId(cell(row, 'File_ID'), file, row.line, 'File_ID');
      const location = { file, row: row.line, column: 'File_ID' };
      const audioPath = resolveCorpusPath(root, join('wav', `${id}.wav`), false, location);
      const split = parseSplit(cell(row, 'Split'), file, row.line, 'Split');
      const labels = {};
      for (const task of tasks) {
        const value = parseTaskLabel(row, task, file, rules);
        if (value !== undefined) setTaskLabel(labels, task, value);
      }
      const subject = hasSubject ? cell(row, 'Subject_ID') : '';
      builder.add({
        id,
        split,
        audioPath,
        labels,
        ...(subject === '' ? {} : { subjectId: subject }),
        source: { file, row: row.line, column: 'File_ID' },
      });
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      builder.rejectDeclaration(error, id);
    }
  }

  builder.requireLabels(tasks, (draft, task) => {
    const column = TASK_COLUMNS[task][0] as string;
    return new DataError({ file, row: draft.source.row, column }, `missing '${task}' label for a ${draft.split} clip`);
  });
  return builder.finish(tasks, options.probeAudio ?? true);
}
