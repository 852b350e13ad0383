/**
 * Reading a CSV or JSONL file into rows of named string cells, with the
 * line number of every row, so that every later check can name file, row
 * and column. Columns are always looked up by name.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { BadRowPolicy, DataError } from '../data-error.js';
import { describeFsError } from '../../audio/file-reads.js';

/** One data row. */
export interface TableRow {
  /** 1-based line where the row starts (the CSV header is line 1). */
  readonly line: number;
  /** Cell text by column name; JSON numbers are converted to text, null to ''. */
  readonly cells: ReadonlyMap<string, string>;
}

/** A parsed CSV or JSONL file. */
export interface Table {
  readonly file: string;
  /** Column names in file order (JSONL: keys in order of first appearance). */
  readonly columns: readonly string[];
  readonly rows: readonly TableRow[];
}

/** Read a text file, turning file-system errors into a DataError naming it. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new DataError({ file }, describeFsError(error), { cause: error });
  }
}

/**
 * Read a CSV file with a header row. A row with a different number of
 * cells than the header is a bad row (reported to `policy`); unparseable
 * CSV (an unclosed quote) and duplicate or empty header names throw.
 */
export function readCsvTable(file: string, policy: BadRowPolicy): Table {
  const text = readText(file);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes as { record, info }; the typings do not follow the option.
    const options = { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true } as const;
    records = parse(text, options) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DataError({ file, ...(line === undefined ? {} : { row: line }) }, `cannot parse CSV: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const header = records[0];
  if (header === undefined) throw new DataError({ file }, 'empty CSV file (no header row)');
  const columns = header.record;
  checkHeader(file, columns);
  const rows: TableRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r] as { record: string[]; info: { lines: number } };
    // info.lines is the line where the record ends; quoted newlines push it down.
    const line = info.lines - record.reduce((n, cell) => n + countNewlines(cell), 0);
    if (record.length !== columns.length) {
      policy.report(new DataError({ file, row: line }, `row has ${record.length} cells, the header has ${columns.length}`));
      continue;
    }
    const cells = new Map<string, string>();
    columns.forEach((name, c) => cells.set(name, record[c] as string));
    rows.push({ line, cells });
  }
  return { file, columns, rows };
}

/**
 * Read a JSON Lines file: one JSON object per line, keys as column names.
 * Values may be strings, finite numbers or null (= empty); a line that is
 * not such an object is a bad row.
 */
export function readJsonlTable(file: string, policy: BadRowPolicy): Table {
  const text = readText(file);
  const columns: string[] = [];
  const known = new Set<string>();
  const rows: TableRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const source = (lines[i] as string).trim();
    if (source === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(i === 0 ? source.replace(/^\uFEFF/, '') : source);
    } catch (error) {
      policy.report(new DataError({ file, row: line }, `not valid JSON: ${(error as Error).message}`));
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      policy.report(new DataError({ file, row: line }, 'line is not a JSON object'));
      continue;
    }
    const cells = new Map<string, string>();
    let bad: DataError | undefined;
    for (const [key, cell] of Object.entries(value)) {
      if (cell === null) cells.set(key, '');
      else if (typeof cell === 'string') cells.set(key, cell.trim());
      else if (typeof cell === 'number' && Number.isFinite(cell)) cells.set(key, String(cell));
      else {
        bad = new DataError({ file, row: line, column: key }, `value must be a string, a number or null, got ${JSON.stringify(cell)}`);
        break;
      }
      if (!known.has(key)) {
        known.add(key);
        columns.push(key);
      }
    }
    if (bad !== undefined) {
      policy.report(bad);
      continue;
    }
    rows.push({ line, cells });
  }
  return { file, columns, rows };
}

/**
 * Throw a DataError naming the first of `names` that the table lacks
 * (reported on the header, row 1).
 */
export function requireColumns(table: Table, names: readonly string[]): void {
  const present = new Set(table.columns);
  for (const name of names) {
    if (!present.has(name)) {
      throw new DataError({ file: table.file, row: 1, column: name }, `missing column '${name}'`);
    }
  }
}

/** A cell's text, '' when the row lacks the column (JSONL rows may omit keys). */
export function cell(row: TableRow, column: string): string {
  return row.cells.get(column) ?? '';
}

function checkHeader(file: string, columns: readonly string[]): void {
  const seen = new Set<string>();
  columns.forEach((name, index) => {
    if (name === '') throw new DataError({ file, row: 1 }, `header cell ${index + 1} is empty`);
    if (seen.has(name)) throw new DataError({ file, row: 1, column: name }, `column '${name}' appears twice in the header`);
    seen.add(name);
  });
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}
