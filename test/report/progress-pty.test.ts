/**
 * The terminal progress display as a person sees it: a short training run
 * (progress-script.ts) is written to a real pseudo-terminal (util-linux
 * `script`) at 80 and 130 columns, or to a fake terminal stream in process,
 * and the raw bytes are replayed into a terminal emulator (@xterm/headless)
 * of the same size. The screen must hold every logged line whole (no number
 * cut, no row longer than the width, nothing wrapped by the terminal), one
 * final status line per stage with whole fields, line wrapping on, and no
 * colour codes.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BarProgress, type ProgressStream } from '../../src/report/progress.js';
import { displayWidth } from '../../src/report/terminal-layout.js';
import { LINES_AFTER_MIDWAY, LOGGED_LINES, LOG_EVERY, RESIZE_MARK, STAGES, lossAt, runScript, scriptClock } from './progress-script.js';
import { type Screen, type ScreenRow, flowed, replay, squeeze } from './terminal-screen.js';

const driver = path.join(path.dirname(fileURLToPath(import.meta.url)), 'progress-pty-driver.ts');
const tsx = import.meta.resolve('tsx');
const ROWS = 60;

/** util-linux `script` runs a command in a pseudo-terminal; without it the pty tests are skipped (the in-process ones still run). */
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs the driver in a `cols`-wide pseudo-terminal; returns everything it wrote, as the terminal received it. */
function runInPty(cols: number, env: Record<string, string | undefined>, args: string[] = []): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [`stty cols ${cols} rows ${ROWS}`, [process.execPath, '--import', tsx, driver, ...args].map(quote).join(' ')].join('; ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout.toString('utf8');
}

/** Runs the script into a BarProgress on a fake `cols`-wide terminal; returns the output with the tty's newline translation (LF → CR LF). */
async function runInProcess(cols: number): Promise<string> {
  const chunks: string[] = [];
  const stream: ProgressStream = { isTTY: true, columns: cols, write: (chunk: string) => chunks.push(chunk) };
  const clock = scriptClock();
  await runScript(new BarProgress(stream, { now: clock.now, redrawMs: 0 }), clock);
  return chunks.join('').replace(/\n/g, '\r\n');
}

/** The texts of every status line drawn: `\r` TEXT `ESC [ K` (a log line's erase has no text). */
function statusDraws(output: string): string[] {
  return [...output.matchAll(/\r([^\r\n\u001b]+)\u001b\[K/g)].map((m) => m[1]!);
}

const FIELD = [
  /^step \d+\/(\d+)$/,
  /^epoch \d+(\.\d+)?$/,
  /^loss \d+\.\d{4}$/,
  /^\d+\.\d samples\/s$/,
  /^\d+\.\d audio-s\/s$/,
  /^ETA (\?|(\d+h)?(\d+m)?\d+s)$/,
];
const HEAD = /^(?:(?:heads|finetune)(?: |$))?(?:[█░]{10,28}(?: |$))?(?: *\d+\.\d%)?$/;

/** Checks that a status line is made of whole fields only, fits `cols - 1` columns, and shows the stage's true total. */
function expectWholeStatus(text: string, cols: number): void {
  expect(displayWidth(text), text).toBeLessThanOrEqual(cols - 1);
  const fields = text.split(' | ');
  // The first piece is label, bar and percent (each may be left out), unless all three are.
  if (!FIELD.some((p) => p.test(fields[0]!))) expect(fields.shift(), text).toMatch(HEAD);
  for (const field of fields) {
    const pattern = FIELD.find((p) => p.test(field));
    expect(pattern, `"${field}" in "${text}"`).toBeDefined();
    const total = /^step \d+\/(\d+)$/.exec(field)?.[1];
    if (total !== undefined) expect(STAGES.map((s) => String(s.total))).toContain(total);
  }
}

/** Every line of `lines` in `rows`, in order, with nothing left out or cut (however the lines were broken). */
function expectInOrder(rows: readonly ScreenRow[], lines: readonly string[]): void {
  const text = flowed(rows);
  let from = 0;
  for (const line of lines) {
    const at = text.indexOf(squeeze(line), from);
    expect(at, `missing or cut: ${line}\n--- screen ---\n${rows.map((r) => r.text).join('\n')}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

/** Every logged line, in order, whole, in `rows`: its text (however broken) and each of its fields within one row. */
function expectLinesWhole(rows: readonly ScreenRow[], lines: readonly string[]): void {
  expectInOrder(rows, lines);
  for (const line of lines) {
    for (const field of line.split(/ \| |, /)) {
      expect(
        rows.some((r) => r.text.includes(field)),
        `"${field}" is not whole in one row`,
      ).toBe(true);
    }
  }
}

/** The checks of one run's screen at `cols` columns (rows from `fromRow` on were written at that width). */
function expectGoodScreen(screen: Screen, cols: number, fromRow = 0): void {
  const rows = screen.all.slice(fromRow);
  expect(screen.wrapOn).toBe(true);
  for (const row of rows) {
    expect(row.wrapped, `wrapped by the terminal: ${row.text}`).toBe(false);
    expect(displayWidth(row.text)).toBeLessThanOrEqual(cols);
  }
  // One status line per stage stays on screen, the final one, whole.
  const statusRows = screen.all.filter((r) => /[█░]|\| ETA /.test(r.text));
  expect(statusRows.map((r) => /step (\d+\/\d+)/.exec(r.text)?.[1])).toEqual(STAGES.map((s) => `${s.total}/${s.total}`));
  for (const row of statusRows) expectWholeStatus(row.text, cols);
  const lastLoss = (total: number) => `loss ${lossAt(total - (total % LOG_EVERY)).toFixed(4)}`;
  STAGES.forEach((s, i) => expect(statusRows[i]!.text).toContain(lastLoss(s.total)));
}

const SGR = /\u001b\[[\d;:]*m/;

describe.each([80, 130])('terminal display at %i columns', (cols) => {
  it('in process: every logged line and status field whole on the final screen', async () => {
    const output = await runInProcess(cols);
    const screen = await replay(output, cols, ROWS);
    expectGoodScreen(screen, cols);
    expectLinesWhole(screen.visible, LOGGED_LINES);
    const draws = statusDraws(output);
    expect(draws.length).toBeGreaterThan(STAGES.reduce((n, s) => n + s.total, 0));
    for (const draw of draws) expectWholeStatus(draw, cols);
    expect(output).not.toMatch(SGR);
  });

  it.skipIf(!hasScript)('in a pseudo-terminal: every logged line and status field whole on the final screen', async () => {
    const output = runInPty(cols, { TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined });
    const screen = await replay(output, cols, ROWS);
    expectGoodScreen(screen, cols);
    expectLinesWhole(screen.visible, LOGGED_LINES);
    for (const draw of statusDraws(output)) expectWholeStatus(draw, cols);
    expect(output).not.toMatch(SGR);
    // The validation line of the issue, at this width.
    const issueLine = LOGGED_LINES.find((l) => l.includes('step 392]'))!;
    expect(flowed(screen.visible)).toContain(squeeze(issueLine));
    expect(screen.visible.some((r) => r.text.includes('country UAR 0.470'))).toBe(true);
    expect(screen.visible.some((r) => r.text.includes('score 0.4891 (best of stage)'))).toBe(true);
  });
});

describe.skipIf(!hasScript)('terminal display in a pseudo-terminal, environment', () => {
  it('the 130-column status line shows every field', async () => {
    const output = runInPty(130, { TERM: 'xterm-256color' });
    const screen = await replay(output, 130, ROWS);
    const final = screen.all.filter((r) => r.text.includes('step 400/400'));
    expect(final).toHaveLength(1);
    expect(final[0]!.text).toMatch(/^finetune █{10,28} 100\.0% \| step 400\/400 \| epoch 9 \| loss \d\.\d{4} \| 123\.4 samples\/s \| 456\.7 audio-s\/s \| ETA 0s$/);
  });

  it('NO_COLOR and FORCE_COLOR: no colour codes either way', () => {
    for (const env of [{ NO_COLOR: '1' }, { FORCE_COLOR: '1' }, { FORCE_COLOR: '3', NO_COLOR: '' }]) {
      const output = runInPty(80, { TERM: 'xterm-256color', ...env });
      expect(output).toContain('step 400/400');
      expect(output).not.toMatch(SGR);
    }
  });

  it('TERM=dumb: plain lines, no escape sequences', () => {
    const output = runInPty(80, { TERM: 'dumb' });
    expect(output).not.toContain('\u001b');
    expect(output).not.toMatch(/\r(?!\n)/); // no carriage return but the tty's CR LF
    const lines = output.split('\r\n');
    for (const line of LOGGED_LINES) expect(lines).toContain(line);
    expect(lines).toContain('[heads] starting: 120 steps');
    expect(lines.some((l) => l.startsWith('[finetune] step 400/400 | stage finetune | epoch 9 | loss '))).toBe(true);
  });

  it('a terminal narrowed from 130 to 60 columns mid-stage: what follows keeps to 60', async () => {
    const output = runInPty(130, { TERM: 'xterm-256color' }, ['--resize', '60']);
    expect(output).toContain(RESIZE_MARK);
    const screen = await replay(output, 130, ROWS, { mark: RESIZE_MARK, to: 60 });
    const after = screen.marks[0]!;
    const [before, since] = output.split(RESIZE_MARK) as [string, string];
    for (const draw of statusDraws(before)) expectWholeStatus(draw, 130);
    for (const draw of statusDraws(since)) expectWholeStatus(draw, 60);
    // Rows written after the resize fit 60 columns and were not wrapped by the terminal.
    for (const row of screen.all.slice(after)) {
      expect(row.wrapped, row.text).toBe(false);
      expect(displayWidth(row.text)).toBeLessThanOrEqual(60);
    }
    // Every line is whole: those logged before the resize as the terminal reflowed them, the rest as written.
    expectLinesWhole(screen.all.slice(after), LINES_AFTER_MIDWAY);
    expectInOrder(screen.all, LOGGED_LINES);
    const final = screen.all.slice(after).filter((r) => r.text.includes('step 400/400'));
    expect(final).toHaveLength(1);
    expectWholeStatus(final[0]!.text, 60);
  });
});
