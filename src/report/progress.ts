/**
 * Progress reporting for training: the trainer talks to a small interface
 * (`start`, `update`, `log`, `stop`) and one of these implementations does
 * the output:
 * - `BarProgress`: on a terminal, one status line (stage, bar, percent, step,
 *   epoch, loss, throughput in samples/s and audio-seconds/s, ETA) redrawn in
 *   place, with `log` lines printed above it. Both keep to the terminal's
 *   width, read at each draw (and redrawn on 'resize'): the status line
 *   shrinks its bar, then leaves out whole fields, least important first; a
 *   log line longer than the width is broken at its ` | ` separators (then
 *   `, `, then spaces) into indented continuation lines.
 *   No text is cut, so no number is (layout: terminal-layout.ts).
 *   The display writes only a carriage return, erase to end of line (ESC [ K)
 *   and, once, line wrapping on (ESC [ ? 7 h, in case an earlier program left
 *   it off). It never turns wrapping off nor hides the cursor, so a crash or
 *   Ctrl-C leaves no terminal mode to restore; at exit it ends a status line
 *   still shown with a newline, so that the shell's prompt starts on its own
 *   line. Known limit: when the terminal is made narrower than the status
 *   line on screen, a terminal that reflows its lines may leave the start of
 *   that old line above the redrawn one (erasing upwards instead would wipe
 *   log lines on terminals that do not reflow); so may a draw made before
 *   the process has handled the resize (Node updates `columns` on SIGWINCH,
 *   which waits for the running training step);
 * - `PlainProgress`: elsewhere (CI, files, pipes, TERM=dumb), one plain line
 *   every N steps and/or every T seconds, plus the final step;
 * - `SilentProgress`: nothing, for tests;
 * - `RecordingProgress`: keeps every call, a fake for trainer tests.
 * `createProgressReporter` picks by mode: 'auto' is the status line on a
 * terminal whose TERM is not `dumb`, plain lines otherwise.
 * Fields not given to an `update` keep their last value until the next
 * `start` (the trainer passes the loss only on its logging steps).
 *
 * No reporter uses colour, so none ever writes a colour code (SGR): NO_COLOR
 * is honoured by construction, and FORCE_COLOR has nothing to force (nor does
 * it turn the status line on where 'auto' picks plain lines).
 */
import { type StatusSegment, fitStatusLine, wrapLine } from './terminal-layout.js';

/** Values shown next to the progress. All optional. */
export interface ProgressFields {
  /** Current (smoothed) training loss. */
  loss?: number;
  /** Training samples per second. */
  samplesPerSec?: number;
  /** Seconds of audio processed per second. */
  audioSecondsPerSec?: number;
  /** Epoch within the stage. */
  epoch?: number;
  /** Stage name. */
  stage?: string;
}

/** What the trainer calls. */
export interface ProgressReporter {
  /** Begin a run of `total` steps (e.g. a stage's optimizer steps). */
  start(total: number, label?: string): void;
  /** Report that `step` steps are done (absolute, not an increment). */
  update(step: number, fields?: ProgressFields): void;
  /** Print a line (validation results, warnings) without breaking the display. */
  log(line: string): void;
  /** Finish; idempotent. */
  stop(): void;
}

/** Output choice; 'auto' picks a bar on a TTY and plain lines otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'plain' | 'silent';

/** A writable text stream (process.stderr by default). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width (a tty.WriteStream's); 80 when unknown. */
  columns?: number;
  /** 'resize': the terminal's size changed (a tty.WriteStream's event). */
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Default 'auto'. */
  mode?: ProgressMode;
  /** Where to write; default process.stderr (stdout stays free for results). */
  stream?: ProgressStream;
  /** Plain mode: print at least every this many steps. */
  everySteps?: number;
  /** Plain mode: print at least every this many seconds; default 10 (when everySteps is unset). */
  everySeconds?: number;
  /** Clock in milliseconds; default Date.now (tests inject a fake). */
  now?: () => number;
  /** Environment read for TERM; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Terminal mode: at most one redraw per this many milliseconds (the last step and `stop` always draw); default 100. */
  redrawMs?: number;
}

/** "1h02m03s", "4m05s", "7s"; "?" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return String(loss);
  return Math.abs(loss) >= 1e4 || (loss !== 0 && Math.abs(loss) < 1e-3) ? loss.toExponential(3) : loss.toFixed(4);
}

/**
 * Estimates the time left from the step rate since the first update (so a
 * resumed run does not count the steps it skipped).
 */
export class EtaEstimator {
  private firstStep: number | undefined;
  private firstTime = 0;

  constructor(private readonly now: () => number) {}

  /** Forget the reference point (a new stage). */
  reset(): void {
    this.firstStep = undefined;
  }

  /** Seconds left to reach `total`, or NaN while unknown. */
  update(step: number, total: number): number {
    const t = this.now();
    if (this.firstStep === undefined || step < this.firstStep) {
      this.firstStep = step;
      this.firstTime = t;
      return step >= total ? 0 : Number.NaN;
    }
    if (step >= total) return 0;
    const done = step - this.firstStep;
    const elapsed = (t - this.firstTime) / 1000;
    if (done <= 0 || elapsed <= 0) return Number.NaN;
    return ((total - step) * elapsed) / done;
  }
}

/** The text after the bar: step, loss, throughput, ETA. */
export function formatProgressFields(step: number, total: number, fields: ProgressFields, etaSeconds: number): string {
  const parts = [`step ${step}/${total}`];
  if (fields.stage !== undefined) parts.push(`stage ${fields.stage}`);
  if (fields.epoch !== undefined) parts.push(`epoch ${Number.isInteger(fields.epoch) ? fields.epoch : fields.epoch.toFixed(2)}`);
  if (fields.loss !== undefined) parts.push(`loss ${formatLoss(fields.loss)}`);
  if (fields.samplesPerSec !== undefined) parts.push(`${fields.samplesPerSec.toFixed(1)} samples/s`);
  if (fields.audioSecondsPerSec !== undefined) parts.push(`${fields.audioSecondsPerSec.toFixed(1)} audio-s/s`);
  parts.push(`ETA ${formatDuration(etaSeconds)}`);
  return parts.join(' | ');
}

/**
 * `fields` laid over `previous`, leaving out undefined values: the trainer
 * passes the loss and throughput only on its logging steps, and the display
 * keeps showing the last ones in between.
 */
function mergeFields(previous: ProgressFields, fields: ProgressFields): ProgressFields {
  const merged: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) merged[key] = value;
  return merged as ProgressFields;
}

/** Reporter that prints nothing. */
export class SilentProgress implements ProgressReporter {
  /** Does nothing. */
  start(): void {}
  /** Does nothing. */
  update(): void {}
  /** Does nothing. */
  log(): void {}
  /** Does nothing. */
  stop(): void {}
}

/** One recorded call of {@link RecordingProgress}. */
export type ProgressCall =
  | { method: 'start'; total: number; label?: string }
  | { method: 'update'; step: number; fields?: ProgressFields }
  | { method: 'log'; line: string }
  | { method: 'stop' };

/** Reporter that records every call, for tests of code that reports progress. */
export class RecordingProgress implements ProgressReporter {
  /** Calls in order. */
  readonly calls: ProgressCall[] = [];
  /** Records the call. */
  start(total: number, label?: string): void {
    this.calls.push(label === undefined ? { method: 'start', total } : { method: 'start', total, label });
  }
  /** Records the call (fields copied). */
  update(step: number, fields?: ProgressFields): void {
    this.calls.push(fields === undefined ? { method: 'update', step } : { method: 'update', step, fields: { ...fields } });
  }
  /** Records the call. */
  log(line: string): void {
    this.calls.push({ method: 'log', line });
  }
  /** Records the call. */
  stop(): void {
    this.calls.push({ method: 'stop' });
  }
}

/** Plain log lines at a step and/or time interval; for non-TTY output. */
export class PlainProgress implements ProgressReporter {
  private total = 0;
  private label = '';
  private lastStep: number | undefined;
  private lastTime = 0;
  private pending: { step: number; fields: ProgressFields; eta: number } | undefined;
  private fields: ProgressFields = {};
  private readonly eta: EtaEstimator;
  private readonly everySteps: number | undefined;
  private readonly everyMs: number | undefined;
  private readonly now: () => number;

  /** See {@link ProgressOptions}. */
  constructor(private readonly stream: ProgressStream, options: Pick<ProgressOptions, 'everySteps' | 'everySeconds' | 'now'> = {}) {
    this.now = options.now ?? Date.now;
    this.eta = new EtaEstimator(this.now);
    this.everySteps = options.everySteps;
    const seconds = options.everySeconds ?? (options.everySteps === undefined ? 10 : undefined);
    this.everyMs = seconds === undefined ? undefined : seconds * 1000;
  }

  /** Begin; prints a header line. */
  start(total: number, label?: string): void {
    this.total = total;
    this.label = label === undefined ? '' : `[${label}] `;
    this.lastStep = undefined;
    this.pending = undefined;
    this.fields = {};
    this.eta.reset();
    this.stream.write(`${this.label}starting: ${total} steps\n`);
  }

  /**
   * Prints a line on the first update, the last step, and when an interval
   * has passed; fields not given keep their last value (within a start).
   */
  update(step: number, given: ProgressFields = {}): void {
    const fields = (this.fields = mergeFields(this.fields, given));
    const eta = this.eta.update(step, this.total);
    const t = this.now();
    const due =
      this.lastStep === undefined ||
      step >= this.total ||
      (this.everySteps !== undefined && step - this.lastStep >= this.everySteps) ||
      (this.everyMs !== undefined && t - this.lastTime >= this.everyMs);
    if (!due) {
      this.pending = { step, fields, eta };
      return;
    }
    this.print(step, fields, eta);
    this.lastTime = t;
  }

  private print(step: number, fields: ProgressFields, eta: number): void {
    this.stream.write(`${this.label}${formatProgressFields(step, this.total, fields, eta)}\n`);
    this.lastStep = step;
    this.pending = undefined;
  }

  /** Prints the line as is. */
  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  /** Prints the last unprinted update, if any. */
  stop(): void {
    if (this.pending !== undefined) this.print(this.pending.step, this.pending.fields, this.pending.eta);
  }
}

/** Erase from the cursor to the end of the line. */
const ERASE_LINE = '\u001b[K';
/** Line wrapping (DECAWM) on. */
const WRAP_ON = '\u001b[?7h';
/** Bar width in columns when there is room, and the narrowest bar shown. */
const BAR_MAX = 28;
const BAR_MIN = 10;

/** The bar: `columns` cells, filled for `ratio` (0..1). */
function drawBar(ratio: number, columns: number): string {
  const filled = Math.round(ratio * columns);
  return `${'█'.repeat(filled)}${'░'.repeat(columns - filled)}`;
}

/**
 * The status line's segments (laid out by `fitStatusLine`). When the width is
 * short, the bar shrinks first, then these are left out, least important
 * first: a stage field unlike the label, audio-s/s, samples/s, the bar, the
 * epoch, the label, the ETA, the loss, the percent, the step count.
 */
export function statusSegments(step: number, total: number, fields: ProgressFields, etaSeconds: number, label?: string): StatusSegment[] {
  const ratio = total > 0 ? Math.max(0, Math.min(1, step / total)) : 0;
  const segments: StatusSegment[] = [];
  if (label !== undefined && label !== '') segments.push({ text: label, drop: 6 });
  segments.push({ text: '', drop: 4, joiner: ' ', flex: { min: BAR_MIN, max: BAR_MAX, render: (columns) => drawBar(ratio, columns) } });
  segments.push({ text: `${(ratio * 100).toFixed(1).padStart(5)}%`, drop: 9, joiner: ' ' });
  segments.push({ text: `step ${step}/${total}`, drop: 10 });
  if (fields.stage !== undefined && fields.stage !== label) segments.push({ text: `stage ${fields.stage}`, drop: 1 });
  if (fields.epoch !== undefined) {
    segments.push({ text: `epoch ${Number.isInteger(fields.epoch) ? fields.epoch : fields.epoch.toFixed(2)}`, drop: 5 });
  }
  if (fields.loss !== undefined) segments.push({ text: `loss ${formatLoss(fields.loss)}`, drop: 8 });
  if (fields.samplesPerSec !== undefined) segments.push({ text: `${fields.samplesPerSec.toFixed(1)} samples/s`, drop: 3 });
  if (fields.audioSecondsPerSec !== undefined) segments.push({ text: `${fields.audioSecondsPerSec.toFixed(1)} audio-s/s`, drop: 2 });
  segments.push({ text: `ETA ${formatDuration(etaSeconds)}`, drop: 7 });
  return segments;
}

/** Options of {@link BarProgress}. */
export interface BarProgressOptions {
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** At most one redraw per this many milliseconds; default 100. */
  redrawMs?: number;
}

/**
 * The terminal display: a status line redrawn in place (carriage return,
 * text, erase to the end of the line) and log lines above it, all fitted to
 * the terminal's width; see the module comment.
 */
export class BarProgress implements ProgressReporter {
  private total = 0;
  private label: string | undefined;
  private step = 0;
  private fields: ProgressFields = {};
  private etaSeconds = Number.NaN;
  /** Between start and stop. */
  private running = false;
  /** A status line is on screen with the cursor at its end (no newline after it). */
  private drawn = false;
  private wrapSwitchedOn = false;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly eta: EtaEstimator;
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly onResize = (): void => {
    if (this.drawn) this.draw();
  };
  private readonly onExit = (): void => {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  };

  /** See {@link BarProgressOptions}. */
  constructor(
    private readonly stream: ProgressStream,
    options: BarProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.redrawMs = options.redrawMs ?? 100;
    this.eta = new EtaEstimator(this.now);
  }

  /** The terminal's width now. */
  private columns(): number {
    const c = this.stream.columns;
    return c !== undefined && Number.isFinite(c) && c > 0 ? Math.floor(c) : 80;
  }

  /** Begin a status line for `total` steps (a running one is finished first). */
  start(total: number, label?: string): void {
    this.stop();
    this.total = total;
    this.label = label;
    this.step = 0;
    this.fields = {};
    this.etaSeconds = Number.NaN;
    this.eta.reset();
    this.running = true;
    this.stream.on?.('resize', this.onResize);
    process.on('exit', this.onExit);
    if (!this.wrapSwitchedOn) {
      this.stream.write(WRAP_ON);
      this.wrapSwitchedOn = true;
    }
    this.draw();
  }

  /** Record the step and fields; redraws at most every `redrawMs` (always at the last step). */
  update(step: number, fields: ProgressFields = {}): void {
    if (!this.running) return;
    this.step = step;
    this.fields = mergeFields(this.fields, fields);
    this.etaSeconds = this.eta.update(step, this.total);
    const wait = this.lastDraw + this.redrawMs - this.now();
    if (step >= this.total || wait <= 0) this.draw();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.running) this.draw();
      }, wait);
      this.timer.unref?.();
    }
  }

  /** The status line as it fits the terminal now (its last column is left free). */
  private statusLine(): string {
    return fitStatusLine(statusSegments(this.step, this.total, this.fields, this.etaSeconds, this.label), this.columns() - 1);
  }

  private draw(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.stream.write(`\r${this.statusLine()}${ERASE_LINE}`);
    this.drawn = true;
    this.lastDraw = this.now();
  }

  /** Print a line above the status line, broken to the terminal's width. */
  log(line: string): void {
    const text = `${wrapLine(line, this.columns()).join('\n')}\n`;
    if (!this.drawn) {
      this.stream.write(text);
      return;
    }
    this.stream.write(`\r${ERASE_LINE}${text}`);
    this.drawn = false;
    this.draw();
  }

  /** Draw the final state and end the status line; idempotent. */
  stop(): void {
    if (!this.running) return;
    // Only a throttled update is not on screen yet.
    if (!this.drawn || this.timer !== undefined) this.draw();
    this.stream.write('\n');
    this.drawn = false;
    this.running = false;
    this.stream.off?.('resize', this.onResize);
    process.off('exit', this.onExit);
  }
}

/** Pick a reporter for the mode and stream; see the module comment. */
export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? 'auto';
  if (mode === 'silent') return new SilentProgress();
  const env = options.env ?? process.env;
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY === true && env.TERM !== 'dumb')) {
    return new BarProgress(stream, {
      ...(options.now ? { now: options.now } : {}),
      ...(options.redrawMs !== undefined ? { redrawMs: options.redrawMs } : {}),
    });
  }
  return new PlainProgress(stream, options);
}
