/**
 * Replays raw terminal output into a headless terminal emulator
 * (@xterm/headless) and reads the screen back, for the progress display
 * tests: what a person would see, not what was written.
 */
import xterm, { type Terminal } from '@xterm/headless';

/** One row of the emulator's buffer. */
export interface ScreenRow {
  /** The row's text, trailing blanks removed. */
  text: string;
  /** The row continues the one above because the terminal wrapped it (autowrap), not because a newline was written. */
  wrapped: boolean;
}

/** The emulator's state after a replay. */
export interface Screen {
  cols: number;
  rows: number;
  /** Every row: scrollback, then the visible screen. */
  all: ScreenRow[];
  /** The visible screen's rows. */
  visible: ScreenRow[];
  /** Index in `all` of the cursor's row when each mark was met (see `replay`). */
  marks: number[];
  /** Line wrapping (DECAWM) is on at the end. */
  wrapOn: boolean;
}

/** `term.write` as a promise (the emulator parses asynchronously). */
function write(term: Terminal, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/**
 * Replays `output` into a `cols`×`rows` emulator. Where the text `mark`
 * (given with `resizeTo`) occurs, the emulator is resized to `resizeTo`
 * columns, as the real terminal was, and the cursor row after that is kept in
 * `marks`.
 */
export async function replay(output: string, cols: number, rows: number, resize?: { mark: string; to: number }): Promise<Screen> {
  const term = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
  const marks: number[] = [];
  const parts = resize ? output.split(resize.mark) : [output];
  for (const [i, part] of parts.entries()) {
    if (i > 0) {
      term.resize(resize!.to, rows);
      const buf = term.buffer.active;
      marks.push(buf.baseY + buf.cursorY);
    }
    await write(term, part);
  }
  const buf = term.buffer.active;
  const all: ScreenRow[] = [];
  for (let y = 0; y < buf.length; y++) {
    const line = buf.getLine(y);
    all.push({ text: line?.translateToString(true) ?? '', wrapped: line?.isWrapped ?? false });
  }
  const screen: Screen = {
    cols: term.cols,
    rows,
    all,
    visible: all.slice(buf.baseY, buf.baseY + rows),
    marks,
    wrapOn: term.modes.wraparoundMode,
  };
  term.dispose();
  return screen;
}

/** Rows joined back where the terminal wrapped them: the lines as a person reads them. */
export function logicalLines(rows: readonly ScreenRow[]): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    if (row.wrapped && lines.length > 0) lines[lines.length - 1] += row.text;
    else lines.push(row.text);
  }
  return lines;
}

/** All text of `rows` with runs of blanks and line ends as single spaces (what was written, however it was broken). */
export function flowed(rows: readonly ScreenRow[]): string {
  return logicalLines(rows)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** `text` with runs of blanks as single spaces. */
export function squeeze(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
