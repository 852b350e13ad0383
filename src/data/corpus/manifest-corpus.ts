/**
 * Reader for a plain manifest: a CSV file, or a JSONL file (`.jsonl` or
 * `.ndjson`), with one clip per row:
 *
 *   path    audio file, relative to the manifest's folder (required)
 *   split   Train, Val or Test (required)
 *   id      clip id (optional; File_ID is accepted too; default: the path)
 *   labels  any subset of the tasks, with the column names of the
 *           challenge files: Awe ... Surprise (high), the 40 culture
 *           columns, Valence and Arousal (two), Voc_Type (type), Country,
 *           Age.
 *
 * A task is present when any of its columns is; then all of its columns
 * must be. Any row may leave a task's cells empty (no label for that clip).
 */
import { dirname, extname } from 'node:path';
import { TASKS, type Task } from '../../tasks.js';
import { DataError } from '../data-error.js';
import { addClipRows, startCorpus } from './clip-rows.js';
import { resolveCorpusPath } from './corpus-path.js';
import type { Corpus, CorpusReadOptions } from './corpus.js';
import { TASK_COLUMNS, parseClipId } from './label-cells.js';
import { cell, readCsvTable, readJsonlTable, requireColumns, type Table, type TableRow } from './table.js';

/** Options of {@link readManifestCorpus}. */
export interface ManifestReadOptions extends CorpusReadOptions {
  /** Folder that relative paths resolve against. Default: the manifest's folder. */
  readonly root?: string;
}

/**
 * Read a manifest.
 * @throws DataError naming file, row and column for the first problem
 *   (unless `skipBad`, which drops bad rows into `Corpus.dropped`)
 */
export function readManifestCorpus(manifestPath: string, options: ManifestReadOptions = {}): Corpus {
  const root = options.root ?? dirname(manifestPath);
  const { builder, rules } = startCorpus('manifest', root, options);
  const extension = extname(manifestPath).toLowerCase();
  const jsonLines = extension === '.jsonl' || extension === '.ndjson';
  const table = jsonLines ? readJsonlTable(manifestPath, builder.policy) : readCsvTable(manifestPath, builder.policy);
  requireColumns(table, ['path', 'split']);
  const tasks = manifestTasks(table);
  const idColumn = table.columns.includes('id') ? 'id' : table.columns.includes('File_ID') ? 'File_ID' : undefined;
  const allowAbsolute = options.allowAbsolutePaths ?? false;

  const pathOf = (row: TableRow): string => {
    const pathText = cell(row, 'path');
    if (pathText === '') throw new DataError({ file: manifestPath, row: row.line, column: 'path' }, 'empty path');
    return pathText;
  };
  addClipRows(builder, table, {
    idOf: (row) => {
      const pathText = pathOf(row); // checked first: a row without audio is reported as such
      return idColumn === undefined ? pathText : parseClipId(cell(row, idColumn), manifestPath, row.line, idColumn);
    },
    audioPathOf: (row) => resolveCorpusPath(root, pathOf(row), allowAbsolute, { file: manifestPath, row: row.line, column: 'path' }),
    sourceColumn: 'path',
    splitColumn: 'split',
    tasks,
    rules,
  });
  return builder.finish(tasks, options.probeAudio ?? true);
}

/** Tasks with at least one column in the manifest; each must have all of its columns. */
function manifestTasks(table: Table): Task[] {
  const present = new Set(table.columns);
  const tasks = TASKS.filter((task) => TASK_COLUMNS[task].some((column) => present.has(column)));
  for (const task of tasks) requireColumns(table, TASK_COLUMNS[task]);
  return tasks;
}
