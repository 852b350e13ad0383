/**
 * Fitting text to a terminal's width, for the progress display on a terminal
 * (`BarProgress` in progress.ts). Pure functions, no output:
 * - `displayWidth`: the columns a string takes (escape sequences take none,
 *   East Asian wide characters two);
 * - `wrapLine`: a log line broken into lines no wider than the terminal, at
 *   ` | ` separators first, then at `, `, then at spaces, with the
 *   continuation lines indented; text is never dropped, so no number is cut;
 * - `fitStatusLine`: a one-line status that keeps to the width by shrinking
 *   its flexible part (the bar) and then leaving out whole segments, least
 *   important first; a segment is shown whole or not at all.
 */

/** CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`) and two-character escape sequences. */
const ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/y;

/** Zero-width code points: combining marks, format characters (ZWJ, …). */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Code point ranges that terminals draw two columns wide (East Asian Wide/Fullwidth, emoji). */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Columns one code point takes. */
function codePointWidth(cp: number, char: string): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH.test(char)) return 0;
  for (const [lo, hi] of WIDE_RANGES) if (cp >= lo && cp <= hi) return 2;
  return 1;
}

/** Length (UTF-16 units) of the escape sequence at `index`, or 0. */
function escapeAt(text: string, index: number): number {
  if (text.charCodeAt(index) !== 0x1b) return 0;
  ESCAPE.lastIndex = index;
  const m = ESCAPE.exec(text);
  return m ? m[0].length : 1;
}

/**
 * Walks `text` and returns the end index (UTF-16 units) of the longest prefix
 * no wider than `maxWidth`, with its width. Escape sequences and surrogate
 * pairs are never split; zero-width marks stay with the character before them.
 */
function measure(text: string, maxWidth: number): { end: number; width: number } {
  let width = 0;
  let i = 0;
  while (i < text.length) {
    const esc = escapeAt(text, i);
    if (esc > 0) {
      i += esc;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const char = String.fromCodePoint(cp);
    const w = codePointWidth(cp, char);
    if (width + w > maxWidth) break;
    width += w;
    i += char.length;
  }
  return { end: i, width };
}

/** The number of terminal columns `text` takes (one line; escape sequences take none). */
export function displayWidth(text: string): number {
  return measure(text, Number.POSITIVE_INFINITY).width;
}

/** Break points, strongest first: `keep` is what stays at the end of the broken line. */
const BREAKS: readonly { sep: string; keep: string }[] = [
  { sep: ' | ', keep: ' |' },
  { sep: ', ', keep: ',' },
  { sep: ' ', keep: '' },
];

/**
 * Continuation indent: under the text after a leading `[tag] ` when that tag
 * takes at most 40% of the width, else 4 columns (none below 20 columns).
 */
function continuationIndent(text: string, width: number): number {
  const tag = /^\[[^\]]*\] /.exec(text);
  const tagWidth = tag ? displayWidth(tag[0]) : 0;
  if (tagWidth > 0 && tagWidth <= width * 0.4) return tagWidth;
  return width >= 20 ? 4 : 0;
}

/** Where to break `text` to fit `avail` columns: end of this line, start of the next. */
function findBreak(text: string, avail: number): { end: number; next: number } {
  for (const { sep, keep } of BREAKS) {
    let found: { end: number; next: number } | undefined;
    for (let i = text.indexOf(sep, 1); i > 0; i = text.indexOf(sep, i + 1)) {
      const end = i + keep.length;
      // Widths grow with the index: the first break past the width ends the search.
      if (displayWidth(text.slice(0, end)) > avail) break;
      // A ` | ` separator's `|` stays at the end of a line, never starts one.
      if (sep === ' ' && text.startsWith('| ', i + 1)) continue;
      found = { end, next: i + sep.length };
    }
    if (found) return found;
  }
  // One word wider than the line: split it (its characters all stay on screen).
  const { end } = measure(text, avail);
  const atLeastOne = end > 0 ? end : text.length > 0 ? String.fromCodePoint(text.codePointAt(0)!).length : 0;
  return { end: atLeastOne, next: atLeastOne };
}

/**
 * Breaks `line` (newlines included) into lines at most `width` columns wide:
 * at the last ` | ` that fits (the `|` stays at the end of the line), else
 * the last `, `, else the last space, else inside a word longer than the line.
 * Continuation lines are indented (see `continuationIndent`). Nothing is
 * dropped but the separators' spaces at the breaks. A width below 1 returns
 * the line unbroken.
 */
export function wrapLine(line: string, width: number): string[] {
  const out: string[] = [];
  for (const text of line.split('\n')) {
    if (!(width >= 1) || displayWidth(text) <= width) {
      out.push(text);
      continue;
    }
    const indent = continuationIndent(text, width);
    const pad = ' '.repeat(indent);
    let rest = text;
    let prefix = '';
    let avail = width;
    while (displayWidth(rest) > avail) {
      const { end, next } = findBreak(rest, avail);
      out.push(prefix + rest.slice(0, end));
      rest = rest.slice(next);
      prefix = pad;
      avail = width - indent;
    }
    if (rest.length > 0) out.push(prefix + rest);
  }
  return out;
}

/** One piece of a status line. */
export interface StatusSegment {
  /** The text shown; ignored for a flexible segment (see `flex`). */
  text: string;
  /**
   * Importance when the line is too wide: the lowest is left out first. A
   * segment is shown whole or not at all.
   */
  drop: number;
  /** What joins it to the segment before it; default ' | '. */
  joiner?: string;
  /**
   * A flexible segment (e.g. a bar): drawn `max` columns wide when there is
   * room, shrunk down to `min` before anything is dropped; `render(columns)`
   * gives its text, exactly that many columns wide.
   */
  flex?: { min: number; max: number; render(columns: number): string };
}

/** The segments joined, the flexible one `flexColumns` wide. */
function joinSegments(segments: readonly StatusSegment[], flexColumns: number): string {
  return segments
    .map((s, i) => (i === 0 ? '' : (s.joiner ?? ' | ')) + (s.flex ? s.flex.render(flexColumns) : s.text))
    .join('');
}

/**
 * The status line for `width` columns. Segments are taken most important
 * first (highest `drop` first), each only if the line with it still fits
 * (the flexible segment counted at its `min`); then the flexible segment
 * grows into the room left, up to its `max`. So when everything fits, only
 * the flexible segment shrinks; when not, the least important segments are
 * left out, and a short one may stay where a longer, more important one did
 * not fit. Returns '' when no segment fits at all. At most one segment may be
 * flexible.
 */
export function fitStatusLine(segments: readonly StatusSegment[], width: number): string {
  const minFlex = segments.find((s) => s.flex !== undefined)?.flex?.min ?? 0;
  const byImportance = segments.map((_, i) => i).sort((a, b) => segments[b]!.drop - segments[a]!.drop);
  let keep = new Set<number>();
  for (const index of byImportance) {
    const trial = new Set(keep).add(index);
    if (displayWidth(joinSegments(segments.filter((_, i) => trial.has(i)), minFlex)) <= width) keep = trial;
  }
  const kept = segments.filter((_, i) => keep.has(i));
  const flex = kept.find((s) => s.flex !== undefined)?.flex;
  if (flex === undefined) return joinSegments(kept, 0);
  const spare = width - displayWidth(joinSegments(kept, flex.min));
  return joinSegments(kept, Math.min(flex.max, flex.min + spare));
}
