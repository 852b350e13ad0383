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
import { TASKS, type Task } from '../schema.js';
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
import { cell, readCsvTable, readJsonlTable, requireColumns, type Table } from './table.js';

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
  const policy = new BadRowPolicy(options.skipBad ?? false);
  const rules: LabelRules = { ageRange: options.ageRange ?? DEFAULT_LABEL_RULES.ageRange };
  const builder = new CorpusBuilder('manifest', root, policy);
  const extension = extname(manifestPath).toLowerCase();
  const jsonLines = extension === '.jsonl' || extension === '.ndjson';
  const table = jsonLines ? readJsonlTable(manifestPath, policy) : readCsvTable(manifestPath, policy);
  requireColumns(table, ['path', 'split']);
  const tasks = manifestTasks(table);
  const idColumn = table.columns.includes('id') ? 'id' : table.columns.includes('File_ID') ? 'File_ID' : undefined;
  const allowAbsolute = options.allowAbsolutePaths ?? false;

  for (const row of table.rows) {
    let id: string | undefined;
    try {
      const pathText = cell(row, 'path');
      if (pathText === '') throw new DataError({ file: manifestPath, row: row.line, column: 'path' }, 'empty path');
      id = idColumn === undefined ? pathText : parseClipId(cell(row, idColumn), manifestPath, row.line, idColumn);
      const location = { file: manifestPath, row: row.line, column: 'path' };
      const audioPath = resolveCorpusPath(root, pathText, allowAbsolute, location);
      const split = parseSplit(cell(row, 'split'), manifestPath, row.line, 'split');
      const labels = {};
      for (const task of tasks) {
        const value = parseTaskLabel(row, task, manifestPath, rules);
        if (value !== undefined) setTaskLabel(labels, task, value);
      }
      const subject = cell(row, 'Subject_ID');
      builder.add({
        id,
        split,
        audioPath,
        labels,
        ...(subject === '' ? {} : { subjectId: subject }),
        source: location,
      });
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      builder.rejectDeclaration(error, id);
    }
  }
  return builder.finish(tasks, options.probeAudio ?? true);
}

/** Tasks with at least one column in the manifest; each must have all of its columns. */
function manifestTasks(table: Table): Task[] {
  const present = new Set(table.columns);
  const tasks = TASKS.filter((task) => TASK_COLUMNS[task].some((column) => present.has(column)));
  for (const task of tasks) requireColumns(table, TASK_COLUMNS[task]);
  return tasks;
}
