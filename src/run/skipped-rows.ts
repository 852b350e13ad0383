/**
 * The rows `--skip-bad` left out of a corpus: skipped.csv in the run folder
 * (file, row, column, clip id, audio file, reason), one line per row, so a
 * user can see and fix each of them.
 */
import type { DroppedRow } from '../data/data-error.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const SKIPPED_ROWS_FILE = 'skipped.csv';

function field(text: string | number | undefined): string {
  const s = text === undefined ? '' : String(text);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** skipped.csv's text. */
export function formatSkippedRows(rows: readonly DroppedRow[]): string {
  const lines = ['file,row,column,id,audio_file,reason'];
  for (const r of rows) lines.push([r.file, r.row, r.column, r.id, r.audioPath, r.reason].map(field).join(','));
  return `${lines.join('\n')}\n`;
}

export function writeSkippedRows(file: string, rows: readonly DroppedRow[]): void {
  writeFileAtomic(file, formatSkippedRows(rows));
}

/** One line for the log: how many rows were left out and where the list is (or the first few, without a file). */
export function skippedRowsNote(rows: readonly DroppedRow[], file?: string): string {
  const count = `skipped ${rows.length} bad row${rows.length === 1 ? '' : 's'} (--skip-bad)`;
  if (file) return `${count}: each with its reason in ${file}`;
  const shown = rows.slice(0, 3).map((r) => r.message);
  return `${count}: ${shown.join('; ')}${rows.length > shown.length ? `; and ${rows.length - shown.length} more` : ''}`;
}
