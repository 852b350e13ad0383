/**
 * Reader for the A-VB 2022 (HUME-VB) layout:
 *
 *   <root>/data_info.csv            File_ID, Split, Subject_ID, Country, ...
 *   <root>/labels/high_info.csv     File_ID, Split, the 10 emotions
 *   <root>/labels/culture_info.csv  File_ID, Split, the 40 culture columns
 *   <root>/labels/two_info.csv      File_ID, Split, Valence, Arousal
 *   <root>/labels/type_info.csv     File_ID, Split, Voc_Type
 *   <root>/audio/wav/<id>.wav       File_ID "[10119]" → 10119.wav (or .flac,
 *                                   .mp3, ...: any supported format)
 *
 * Columns are found by name; extra columns are ignored. Test rows may have
 * empty labels or no row in a labels file; Train and Val rows must have all.
 */
import { join } from 'node:path';
import type { Task } from '../../tasks.js';
import { DataError } from '../data-error.js';
import { ClipAudioFolder } from './clip-audio-folder.js';
import { addClipRows, startCorpus } from './clip-rows.js';
import type { CorpusBuilder } from './corpus-builder.js';
import { resolveCorpusPath } from './corpus-path.js';
import type { Corpus, CorpusReadOptions } from './corpus.js';
import { TASK_COLUMNS, parseClipId, parseSplit, parseTaskLabel, setTaskLabel, type LabelRules } from './label-cells.js';
import { cell, readCsvTable, requireColumns } from './table.js';

/** The tasks an A-VB corpus can provide. */
export const AVB_TASKS = ['high', 'culture', 'two', 'type', 'country'] as const satisfies readonly Task[];
/** One of AVB_TASKS. */
export type AvbTask = (typeof AVB_TASKS)[number];

/** The labels file of each A-VB task read from `labels/` (country comes from data_info.csv). */
export const AVB_LABEL_FILES: { readonly [T in Exclude<AvbTask, 'country'>]: string } = {
  high: 'labels/high_info.csv',
  culture: 'labels/culture_info.csv',
  two: 'labels/two_info.csv',
  type: 'labels/type_info.csv',
};

/** Options of {@link readAvbCorpus}. */
export interface AvbReadOptions extends CorpusReadOptions {
  /** Tasks to read (their files must exist). Default: all of AVB_TASKS. */
  readonly tasks?: readonly AvbTask[];
}

/**
 * Read an A-VB corpus folder.
 * @throws DataError naming file, row and column for the first problem
 *   (unless `skipBad`, which drops bad rows into `Corpus.dropped`)
 */
export function readAvbCorpus(root: string, options: AvbReadOptions = {}): Corpus {
  const tasks: readonly AvbTask[] = options.tasks ?? AVB_TASKS;
  const { builder, rules } = startCorpus('avb', root, options);

  const infoFile = join(root, 'data_info.csv');
  const info = readCsvTable(infoFile, builder.policy);
  requireColumns(info, ['File_ID', 'Split', ...(tasks.includes('country') ? ['Country'] : [])]);
  const audio = new ClipAudioFolder(root, join('audio', 'wav'));
  addClipRows(builder, info, {
    idOf: (row) => parseClipId(cell(row, 'File_ID'), infoFile, row.line, 'File_ID'),
    audioPathOf: (row, id) =>
      resolveCorpusPath(root, audio.relativePath(id), false, { file: infoFile, row: row.line, column: 'File_ID' }),
    sourceColumn: 'File_ID',
    splitColumn: 'Split',
    tasks: tasks.filter((t) => t === 'country'),
    rules,
  });

  for (const task of tasks) {
    if (task === 'country') continue;
    readLabelsFile(root, AVB_LABEL_FILES[task], task, builder, rules);
  }

  builder.requireLabels(tasks, (draft, task) =>
    task === 'country'
      ? new DataError({ file: infoFile, row: draft.source.row, column: 'Country' }, `missing label for a ${draft.split} clip`)
      : new DataError(
          { file: join(root, AVB_LABEL_FILES[task as keyof typeof AVB_LABEL_FILES]), column: 'File_ID' },
          `no labels for File_ID [${draft.id}] (a ${draft.split} clip, data_info.csv row ${draft.source.row})`,
        ),
  );
  return builder.finish(tasks, options.probeAudio ?? true);
}

/** Join one labels file onto the clips of data_info.csv by File_ID. */
function readLabelsFile(root: string, relativeFile: string, task: Task, builder: CorpusBuilder, rules: LabelRules): void {
  const file = join(root, relativeFile);
  const table = readCsvTable(file, builder.policy);
  requireColumns(table, ['File_ID', ...TASK_COLUMNS[task]]);
  const hasSplit = table.columns.includes('Split');
  const seen = new Map<string, number>();
  for (const row of table.rows) {
    let id: string | undefined;
    try {
      id = parseClipId(cell(row, 'File_ID'), file, row.line, 'File_ID');
      const firstRow = seen.get(id);
      if (firstRow !== undefined) {
        throw new DataError({ file, row: row.line, column: 'File_ID' }, `duplicate id '${id}' (first on row ${firstRow})`);
      }
      seen.set(id, row.line);
      const draft = builder.get(id);
      if (draft === undefined) {
        if (builder.has(id)) continue; // already dropped for another problem
        throw new DataError({ file, row: row.line, column: 'File_ID' }, `File_ID [${id}] is not in data_info.csv`);
      }
      if (hasSplit) {
        const split = parseSplit(cell(row, 'Split'), file, row.line, 'Split');
        if (split !== draft.split) {
          throw new DataError(
            { file, row: row.line, column: 'Split' },
            `split ${split} differs from data_info.csv (${draft.split}, row ${draft.source.row})`,
          );
        }
      }
      const value = parseTaskLabel(row, task, file, rules);
      if (value !== undefined) setTaskLabel(draft.labels, task, value);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      // A bad value drops its clip; a duplicate or unknown id only drops this row.
      const dropsClip = id !== undefined && seen.get(id) === row.line && builder.has(id);
      if (dropsClip) builder.reject(error, id);
      else builder.policy.report(error, id);
    }
  }
}
