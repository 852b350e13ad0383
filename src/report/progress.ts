/**
 * Progress reporting for training: the trainer talks to a small interface
 * (`start`, `update`, `log`, `stop`) and one of these implementations does
 * the output:
 * - `BarProgress`: on a terminal, a cli-progress bar with loss, throughput
 *   (samples/s and audio-seconds/s) and ETA; `log` lines print above it;
 * - `PlainProgress`: elsewhere (CI, files, pipes), one plain line every N
 *   steps and/or every T seconds, plus the final step;
 * - `SilentProgress`: nothing, for tests;
 * - `RecordingProgress`: keeps every call, a fake for trainer tests.
 * `createProgressReporter` picks by mode ('auto' = bar on a TTY, else plain).
 */
import cliProgress from 'cli-progress';

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
    this.eta.reset();
    this.stream.write(`${this.label}starting: ${total} steps\n`);
  }

  /** Prints a line on the first update, the last step, and when an interval has passed. */
  update(step: number, fields: ProgressFields = {}): void {
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

/** A cli-progress bar for terminals. */
export class BarProgress implements ProgressReporter {
  private multibar: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;
  private readonly eta: EtaEstimator;

  /** See {@link ProgressOptions}. */
  constructor(private readonly stream: ProgressStream, now: () => number = Date.now) {
    this.eta = new EtaEstimator(now);
  }

  /** Begin a bar of `total` steps. */
  start(total: number, label?: string): void {
    this.stop();
    this.total = total;
    this.eta.reset();
    const prefix = label === undefined ? '' : `${label} `;
    const width = 28;
    this.multibar = new cliProgress.MultiBar({
      stream: this.stream as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
      format: (_options, params, payload: { text?: string }) => {
        const ratio = Math.max(0, Math.min(1, params.progress));
        const filled = Math.round(ratio * width);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
        return `${prefix}${bar} ${(ratio * 100).toFixed(1).padStart(5)}% | ${payload.text ?? ''}`;
      },
    });
    this.bar = this.multibar.create(total, 0, { text: formatProgressFields(0, total, {}, Number.NaN) });
  }

  /** Move the bar and refresh the fields. */
  update(step: number, fields: ProgressFields = {}): void {
    if (this.bar === undefined) return;
    const eta = this.eta.update(step, this.total);
    this.bar.update(Math.min(step, this.total), { text: formatProgressFields(step, this.total, fields, eta) });
  }

  /** Print a line above the bar. */
  log(line: string): void {
    if (this.multibar === undefined) this.stream.write(`${line}\n`);
    else this.multibar.log(`${line}\n`);
  }

  /** Remove the bar's timer and leave the final state on screen. */
  stop(): void {
    if (this.multibar === undefined) return;
    // cli-progress flushes logged lines only on a redraw: force one first.
    this.multibar.update();
    this.multibar.stop();
    this.multibar = undefined;
    this.bar = undefined;
  }
}

/** Pick a reporter for the mode and stream; see the module comment. */
export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? 'auto';
  if (mode === 'silent') return new SilentProgress();
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY === true)) return new BarProgress(stream, options.now);
  return new PlainProgress(stream, options);
}
