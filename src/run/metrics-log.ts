/**
 * The run's metrics log, `runs/<name>/metrics.jsonl`: one JSON object per
 * line, appended as training goes (a `train` record per log step, a `val`
 * record per validation), never rewritten, so a killed run keeps everything
 * up to its last line and `--resume` just appends.
 *
 * Non-finite numbers (a diverged loss) have no JSON form; they are written
 * as the strings "NaN", "Infinity" and "-Infinity" and read back as numbers,
 * so a NaN loss stays visible instead of turning into null.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Task } from '../tasks.js';
import type { MetricsReport } from '../metrics/evaluation.js';

/** Fields common to both record kinds. */
export interface RecordBase {
  /** Optimizer steps taken so far (global, across stages). */
  step: number;
  /** Epoch within the current stage, counted from 0; fractional values are allowed. */
  epoch: number;
  /** Training stage name (e.g. "heads" for a frozen backbone, "finetune"). */
  stage: string;
  /** Wall-clock time the record was made, ISO 8601. */
  time?: string;
}

/** Throughput over the last logging interval. */
export interface Throughput {
  /** Training samples (clips) per second. */
  samplesPerSec: number;
  /** Seconds of audio processed per second. */
  audioSecondsPerSec: number;
}

/** One training log step. */
export interface TrainRecord extends RecordBase {
  kind: 'train';
  /** Total (weighted) loss, averaged over the logging interval. */
  loss: number;
  /** Unweighted loss of each task trained in the interval. */
  taskLosses: Partial<Record<Task, number>>;
  /** Effective weight of each task's loss (e.g. 1/σ² of uncertainty weighting). */
  taskWeights: Partial<Record<Task, number>>;
  /** Learning rate of each optimizer parameter group, by group name. */
  lr: Record<string, number>;
  /** Throughput over the interval. */
  throughput: Throughput;
  /** Further scalars a recipe logs (adversarial losses, gradient norm...). */
  extra?: Record<string, number>;
}

/** What early stopping and checkpoint selection watch. */
export interface MonitorValue {
  /** Metric name (e.g. "val/loss", "high/ccc", "exvo/smtl"). */
  name: string;
  /** Its value at this validation. */
  value: number;
  /** Whether smaller or larger is better. */
  mode: 'min' | 'max';
  /** True when this validation is the best so far. */
  best?: boolean;
}

/** One validation. */
export interface ValRecord extends RecordBase {
  kind: 'val';
  /** Validation loss (total), when computed. */
  loss?: number;
  /** Validation loss per task, when computed. */
  taskLosses?: Partial<Record<Task, number>>;
  /** The metrics of this validation. */
  metrics: MetricsReport;
  /** The monitored value. */
  monitor: MonitorValue;
}

/** A line of metrics.jsonl. */
export type MetricsRecord = TrainRecord | ValRecord;

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };

function encodeNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

function decodeNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && Object.hasOwn(NON_FINITE, value)) return NON_FINITE[value];
  return value;
}

/** One record as its JSON line (without the newline). */
export function serializeRecord(record: MetricsRecord): string {
  return JSON.stringify(record, encodeNumber);
}

/**
 * Parse metrics.jsonl text. Blank lines are skipped. A last line that does
 * not parse and has no newline after it is a write cut short by a kill and
 * is dropped; any other bad line is an error naming its line number.
 */
export function parseMetricsLog(text: string): MetricsRecord[] {
  const lines = text.split('\n');
  const records: MetricsRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line, decodeNumber);
    } catch (err) {
      const unterminatedLast = i === lines.length - 1;
      if (unterminatedLast) return;
      throw new SyntaxError(`metrics log line ${i + 1}: ${(err as Error).message}`);
    }
    if (!isRecord(value)) throw new SyntaxError(`metrics log line ${i + 1}: not a train or val record`);
    records.push(value);
  });
  return records;
}

function isRecord(value: unknown): value is MetricsRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (r.kind === 'train' || r.kind === 'val') && typeof r.step === 'number';
}

/** Read a metrics.jsonl file; see {@link parseMetricsLog}. */
export function readMetricsLog(path: string): MetricsRecord[] {
  return parseMetricsLog(readFileSync(path, 'utf8'));
}

/**
 * Appends records to metrics.jsonl, one synchronous write per line so that
 * each line lands whole (small writes to a file opened for append are not
 * interleaved) and a crash loses at most the line being written.
 */
export class MetricsLogWriter {
  private fd: number | undefined;

  /** Open `path` for appending, creating it if needed. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Append one record. */
  write(record: MetricsRecord): void {
    if (this.fd === undefined) throw new Error(`metrics log ${this.path} is closed`);
    writeSync(this.fd, `${serializeRecord(record)}\n`);
  }

  /** Close the file; further writes throw. Idempotent. */
  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** `using log = new MetricsLogWriter(path)` closes it at scope end. */
  [Symbol.dispose](): void {
    this.close();
  }
}
