/**
 * Errors in corpus files and the clips they reference, located precisely
 * enough to fix: which file, which row, which column (and, for audio
 * problems, which audio file).
 */

/** Where a problem is. */
export interface DataErrorLocation {
  /** The CSV, JSONL or audio file at fault. */
  readonly file: string;
  /** 1-based line number in `file` (the header is line 1); absent for whole-file problems. */
  readonly row?: number;
  /** The column (or JSON key) at fault; absent when no single column is. */
  readonly column?: string;
  /** The audio file concerned, when the problem is with a clip's audio. */
  readonly audioPath?: string;
}

/** A problem with corpus data. `message` names file, row and column. */
export class DataError extends Error {
  /** The CSV, JSONL or audio file at fault. */
  readonly file: string;
  /** 1-based line number in `file` (header = 1), when the problem is on one row. */
  readonly row: number | undefined;
  /** The column or JSON key at fault, when there is one. */
  readonly column: string | undefined;
  /** The audio file concerned, for audio problems. */
  readonly audioPath: string | undefined;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(location: DataErrorLocation, reason: string, options?: { cause?: unknown }) {
    super(formatDataErrorMessage(location, reason), options);
    this.name = 'DataError';
    this.file = location.file;
    this.row = location.row;
    this.column = location.column;
    this.audioPath = location.audioPath;
    this.reason = reason;
  }
}

/** `<file>, row <n>, column <c>: [audio file <path>: ]<reason>`; absent parts are left out. */
export function formatDataErrorMessage(location: DataErrorLocation, reason: string): string {
  let where = location.file;
  if (location.row !== undefined) where += `, row ${location.row}`;
  if (location.column !== undefined) where += `, column ${location.column}`;
  const audio = location.audioPath !== undefined && location.audioPath !== location.file ? `audio file ${location.audioPath}: ` : '';
  return `${where}: ${audio}${reason}`;
}

/** One row left out of a corpus because of a problem (see `skipBad`). */
export interface DroppedRow {
  readonly file: string;
  readonly row: number | undefined;
  readonly column: string | undefined;
  /** The clip id, when it could be read. */
  readonly id: string | undefined;
  readonly audioPath: string | undefined;
  /** What was wrong. */
  readonly reason: string;
  /** The full error message. */
  readonly message: string;
}

/**
 * Decides what happens to a bad row: throw (the default), or, with
 * `skipBad`, record it and let the caller drop the row.
 */
export class BadRowPolicy {
  /** Rows dropped so far, in the order found. */
  readonly dropped: DroppedRow[] = [];

  constructor(readonly skipBad: boolean) {}

  /**
   * Report a bad row: throws `error` unless skipping, else records it.
   * @param id the clip id, when known, for the report
   */
  report(error: DataError, id?: string): void {
    if (!this.skipBad) throw error;
    this.dropped.push({
      file: error.file,
      row: error.row,
      column: error.column,
      id,
      audioPath: error.audioPath,
      reason: error.reason,
      message: error.message,
    });
  }
}
