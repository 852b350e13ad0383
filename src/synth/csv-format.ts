/**
 * Writing CSV text the way the challenge files look: comma-separated, `\n`
 * line ends, a header row, fields quoted only when they must be (RFC 4180:
 * a comma, a double quote or a line break inside), quotes doubled.
 */

/** A cell: text, a number, or undefined for an empty cell (a missing label). */
export type CsvCell = string | number | undefined;

/** Digits after the point for label values: far below the label noise, short files. */
const LABEL_DIGITS = 6;

/** Format one cell, quoting when needed. */
export function csvField(cell: CsvCell): string {
  if (cell === undefined) return '';
  const text = typeof cell === 'number' ? formatNumber(cell) : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: header, rows, a trailing line end. */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) {
    if (row.length !== header.length) throw new RangeError(`csvDocument: row of ${row.length} cells under ${header.length} columns`);
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Integers as written; other numbers with LABEL_DIGITS decimals. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`csvField: non-finite number ${x}`);
  return Number.isInteger(x) ? String(x) : x.toFixed(LABEL_DIGITS);
}
