/**
 * Parsing and validating the cells of corpus rows: ids, splits and the
 * labels of each task, every failure a DataError naming file, row and
 * column.
 */
import {
  AGE_RANGE,
  BURST_TYPES,
  COUNTRIES,
  CULTURE_COLUMNS,
  EMOTIONS,
  SPLITS,
  TWO_DIMENSIONS,
  burstTypeIndex,
  countryIndex,
  type Labels,
  type Split,
  type Task,
} from '../../tasks.js';
import { DataError } from '../data-error.js';
import { cell, type TableRow } from './table.js';

/** The CSV columns holding each task's labels, by name (shared by every layout). */
export const TASK_COLUMNS: { readonly [T in Task]: readonly string[] } = {
  high: EMOTIONS,
  culture: CULTURE_COLUMNS,
  two: TWO_DIMENSIONS,
  type: ['Voc_Type'],
  country: ['Country'],
  age: ['Age'],
};

/** Checks applied while parsing labels. */
export interface LabelRules {
  /** Accepted age range in years. */
  readonly ageRange: { readonly min: number; readonly max: number };
}

/** Default rules: ages within AGE_RANGE. */
export const DEFAULT_LABEL_RULES: LabelRules = { ageRange: AGE_RANGE };

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A clip id as written in the challenge CSVs: `[10119]` → `10119`. Plain
 * ids are accepted too.
 */
export function parseClipId(text: string, file: string, row: number, column: string): string {
  const bracketed = /^\[(.*)\]$/.exec(text);
  const id = (bracketed ? (bracketed[1] as string) : text).trim();
  if (id === '') throw new DataError({ file, row, column }, 'empty id');
  return id;
}

/** A split name, case-insensitive: Train, Val or Test. */
export function parseSplit(text: string, file: string, row: number, column: string): Split {
  const split = SPLITS.find((s) => s.toLowerCase() === text.toLowerCase());
  if (split === undefined) {
    throw new DataError({ file, row, column }, `unknown split '${text}' (expected ${SPLITS.join(', ')})`);
  }
  return split;
}

/** A decimal number within [min, max]; rejects NaN, infinities, hex and other text. */
export function parseNumberInRange(text: string, min: number, max: number, file: string, row: number, column: string): number {
  if (!DECIMAL.test(text)) throw new DataError({ file, row, column }, `not a number: '${text}'`);
  const value = Number(text);
  if (!Number.isFinite(value)) throw new DataError({ file, row, column }, `not a finite number: '${text}'`);
  if (value < min || value > max) throw new DataError({ file, row, column }, `value ${text} is outside [${min}, ${max}]`);
  return value;
}

/**
 * Read one task's label from a row. All of the task's cells empty means no
 * label (undefined); some empty and some not is an error, as is any
 * invalid value.
 */
export function parseTaskLabel(
  row: TableRow,
  task: Task,
  file: string,
  rules: LabelRules = DEFAULT_LABEL_RULES,
): Labels[Task] | undefined {
  const columns = TASK_COLUMNS[task];
  const texts = columns.map((column) => cell(row, column));
  const filled = texts.filter((t) => t !== '').length;
  if (filled === 0) return undefined;
  if (filled < texts.length) {
    const missing = columns[texts.indexOf('')] as string;
    throw new DataError({ file, row: row.line, column: missing }, `missing value (the other '${task}' columns are set)`);
  }
  switch (task) {
    case 'high':
    case 'culture':
    case 'two': {
      const values = new Float32Array(columns.length);
      columns.forEach((column, i) => {
        values[i] = parseNumberInRange(texts[i] as string, 0, 1, file, row.line, column);
      });
      return values;
    }
    case 'age':
      return parseNumberInRange(texts[0] as string, rules.ageRange.min, rules.ageRange.max, file, row.line, 'Age');
    case 'country': {
      const index = countryIndex(texts[0] as string);
      if (index === undefined) {
        throw new DataError(
          { file, row: row.line, column: 'Country' },
          `unknown country '${texts[0]}' (expected one of ${COUNTRIES.join(', ')})`,
        );
      }
      return index;
    }
    case 'type': {
      const index = burstTypeIndex(texts[0] as string);
      if (index === undefined) {
        throw new DataError(
          { file, row: row.line, column: 'Voc_Type' },
          `unknown vocalisation type '${texts[0]}' (expected one of ${BURST_TYPES.join(', ')})`,
        );
      }
      return index;
    }
  }
}

/** Set one task's label on a Labels object. */
export function setTaskLabel(labels: Labels, task: Task, value: Labels[Task]): void {
  (labels as Record<Task, Labels[Task]>)[task] = value;
}
