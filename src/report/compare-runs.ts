/**
 * Reading run folders for `vbt compare`: config.json, metrics.jsonl,
 * final-metrics.json and run-info.json, each validated, so that a damaged
 * or foreign file is an error naming the file (and the line) and the field
 * instead of a page with holes. final-metrics.json and run-info.json may be
 * missing (a run still going on, one interrupted, one older than run-info).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import type { RunConfig } from '../config/schema.js';
import { TASKS } from '../tasks.js';
import { parseMetricsLog } from '../run/metrics-log.js';
import { RunDir, readValidatedJson } from '../run/run-dir.js';
import { RUN_INFO_FILE, type RunInfo, readRunInfo } from './run-info.js';

/** A number, NaN and infinities included (metrics.jsonl writes a diverged loss as "NaN" and reads it back as NaN). */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const count = z.number().int().nonnegative();
const metricOrNull = z.number().nullable();

/** The parts of a task's metrics report that the comparison reads. */
const TaskReportSchema = z.looseObject({
  task: z.enum(TASKS),
  metric: z.enum(['ccc', 'uar', 'mae']),
  value: z.number(),
  n: count,
});

/** The parts of a metrics report (src/metrics/evaluation.ts) that the comparison reads. */
export const MetricsReportSchema = z.looseObject({
  cccVariant: z.string(),
  tasks: z.partialRecord(z.enum(TASKS), TaskReportSchema),
  exvo: z.looseObject({ emotionCcc: metricOrNull, countryUar: metricOrNull, ageMae: metricOrNull, smtl: metricOrNull }),
  avb: z.looseObject({ high: metricOrNull, culture: metricOrNull, two: metricOrNull, type: metricOrNull, country: metricOrNull }),
});
export type ComparedMetrics = z.infer<typeof MetricsReportSchema>;

/** final-metrics.json, as the trainer writes it after training. */
export const FinalMetricsFileSchema = z.looseObject({
  checkpoint: z.string(),
  split: z.string(),
  best: z.object({ value: anyNumber, stage: count, epoch: z.number().nonnegative(), step: count }).nullable(),
  metrics: MetricsReportSchema,
});
export type FinalMetricsFile = z.infer<typeof FinalMetricsFileSchema>;

const TrainLineSchema = z.looseObject({ kind: z.literal('train'), step: count, stage: z.string(), loss: anyNumber });
const ValLineSchema = z.looseObject({
  kind: z.literal('val'),
  step: count,
  epoch: z.number(),
  stage: z.string(),
  loss: anyNumber.optional(),
  metrics: MetricsReportSchema,
  monitor: z.looseObject({ name: z.string(), value: anyNumber, mode: z.enum(['min', 'max']), best: z.boolean().optional() }),
});
export type ComparedTrainRecord = z.infer<typeof TrainLineSchema>;
export type ComparedValRecord = z.infer<typeof ValLineSchema>;

/** A run folder as the comparison reads it. */
export interface LoadedRun {
  /** Absolute path of the run folder. */
  dir: string;
  config: RunConfig;
  train: ComparedTrainRecord[];
  val: ComparedValRecord[];
  /** final-metrics.json; null when the run has none (yet). */
  final: FinalMetricsFile | null;
  /** run-info.json; null when the run has none. */
  runInfo: RunInfo | null;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
}

/**
 * The train and val records of a metrics.jsonl, each validated; errors name
 * the file, the line and the field. A last line cut short by a kill is left
 * out, as the trainer does.
 */
export function readMetricsForComparison(file: string): { train: ComparedTrainRecord[]; val: ComparedValRecord[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = text.split('\n');
  const train: ComparedTrainRecord[] = [];
  const val: ComparedValRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      // Parsed (non-finite numbers decoded) as the trainer reads the file: an
      // unterminated last line that does not parse is a write cut short by a kill, left out.
      const unterminated = i === lines.length - 1;
      record = parseMetricsLog(unterminated ? line : `${line}\n`)[0];
    } catch (err) {
      throw new ConfigError(`${file} line ${i + 1}: ${(err as Error).message.replace(/^metrics log line \d+: /, '')}`);
    }
    if (record === undefined) return;
    const kind = (record as { kind?: unknown }).kind;
    const result = kind === 'train' ? TrainLineSchema.safeParse(record) : ValLineSchema.safeParse(record);
    if (!result.success) throw new ConfigError(`invalid file (${file}) line ${i + 1}: ${issues(result.error)}`);
    if (result.data.kind === 'train') train.push(result.data);
    else val.push(result.data);
  });
  // A step logged again (a resume from an earlier checkpoint) replaces the earlier record.
  const latest = <R extends { step: number }>(records: R[]): R[] => [...new Map(records.map((r) => [r.step, r])).values()].sort((a, b) => a.step - b.step);
  return { train: latest(train), val: latest(val) };
}

/** Read a run folder for the comparison; see the module comment. */
export function readRunForComparison(dir: string): LoadedRun {
  const run = RunDir.open(dir);
  const config = run.readConfig();
  const { train, val } = readMetricsForComparison(run.file('metrics.jsonl'));
  const finalFile = run.file('final-metrics.json');
  const final = existsSync(finalFile) ? readValidatedJson(finalFile, FinalMetricsFileSchema) : null;
  const infoFile = run.file(RUN_INFO_FILE);
  const runInfo = existsSync(infoFile) ? readRunInfo(infoFile) : null;
  return { dir: path.resolve(dir), config, train, val, final, runInfo };
}

/**
 * The validation that chose the run's best checkpoint: the one at
 * final-metrics.json's best step, else the last marked best, else the best
 * by the run's monitor.
 */
export function bestValidationOf(run: LoadedRun): ComparedValRecord | undefined {
  const step = run.final?.best?.step;
  const at = step === undefined ? undefined : run.val.filter((v) => v.step === step).pop();
  if (at !== undefined) return at;
  const marked = run.val.filter((v) => v.monitor.best === true).pop();
  if (marked !== undefined) return marked;
  let best: ComparedValRecord | undefined;
  for (const v of run.val) {
    if (!Number.isFinite(v.monitor.value)) continue;
    if (best === undefined || (v.monitor.mode === 'min' ? v.monitor.value < best.monitor.value : v.monitor.value > best.monitor.value)) best = v;
  }
  return best;
}
