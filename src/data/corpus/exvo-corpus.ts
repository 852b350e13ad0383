/**
 * Reader for the ExVo 2022 layout:
 *
 *   <root>/data_info.csv   File_ID, Split, Subject_ID, Country, Age, and the
 *                          10 emotion columns (Awe ... Surprise), by name
 *   <root>/wav/<id>.wav    File_ID "[10119]" → 10119.wav (or .flac, .mp3,
 *                          ...: any supported format)
 *
 * ExVo's emotion task is the `high` task of the shared schema (same ten
 * emotions, same order). Test rows may leave labels empty; Train and Val
 * rows must have all of them.
 */
import { join } from 'node:path';
import type { Task } from '../../tasks.js';
import { DataError } from '../data-error.js';
import { ClipAudioFolder } from './clip-audio-folder.js';
import { addClipRows, startCorpus } from './clip-rows.js';
import { resolveCorpusPath } from './corpus-path.js';
import type { Corpus, CorpusReadOptions } from './corpus.js';
import { TASK_COLUMNS, parseClipId } from './label-cells.js';
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
  const { builder, rules } = startCorpus('exvo', root, options);

  const file = join(root, 'data_info.csv');
  const table = readCsvTable(file, builder.policy);
  requireColumns(table, ['File_ID', 'Split', ...tasks.flatMap((t) => TASK_COLUMNS[t])]);
  const audio = new ClipAudioFolder(root, 'wav');
  addClipRows(builder, table, {
    idOf: (row) => parseClipId(cell(row, 'File_ID'), file, row.line, 'File_ID'),
    audioPathOf: (row, id) => resolveCorpusPath(root, audio.relativePath(id), false, { file, row: row.line, column: 'File_ID' }),
    sourceColumn: 'File_ID',
    splitColumn: 'Split',
    tasks,
    rules,
  });

  builder.requireLabels(tasks, (draft, task) => {
    const column = TASK_COLUMNS[task][0] as string;
    return new DataError({ file, row: draft.source.row, column }, `missing '${task}' label for a ${draft.split} clip`);
  });
  return builder.finish(tasks, options.probeAudio ?? true);
}
