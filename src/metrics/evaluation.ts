/**
 * Whole-validation evaluation: accumulate predictions of any subset of tasks
 * batch by batch, then build the metrics report. For a validation split
 * over several processes, each shard sends `accumulator.stats()` (plain
 * JSON) to one place, which calls `mergeStats` then `fromStats`: the result
 * equals a single pass over all samples (up to float64 rounding), which an
 * average of per-shard CCCs would not.
 *
 * The CCC variant is chosen here (`cccVariant`, default 'population'; see
 * src/metrics/ccc.ts for why) and recorded in the report.
 */
import { TASKS, type Task } from '../tasks.js';
import { type CccVariant, DEFAULT_CCC_VARIANT } from './ccc.js';
import { type AvbSummary, type ExVoSummary, avbSummary, exvoSummary } from './challenge-summary.js';
import {
  type TaskPredictions,
  type TaskStats,
  accumulateTask,
  emptyTaskStats,
  mergeTaskStats,
} from './task-stats.js';
import { type ReportOptions, type TaskReport, taskReportFromStats } from './task-report.js';

/** Mergeable statistics of a whole evaluation (plain JSON data). */
export interface EvaluationStats {
  /** Format version, for stats sent between processes of different builds. */
  version: 1;
  /** Statistics of every task that received at least one batch. */
  tasks: Partial<Record<Task, TaskStats>>;
}

/** The metrics of one evaluation, as logged and shown in the report. */
export interface MetricsReport {
  /** CCC normalisers used for every CCC in this report. */
  cccVariant: CccVariant;
  /** Reports of the tasks with at least one labelled sample. */
  tasks: Partial<Record<Task, TaskReport>>;
  /** Tasks that received batches but no labelled sample (metric undefined). */
  empty: Task[];
  /** ExVo headline numbers (null where a task is missing). */
  exvo: ExVoSummary;
  /** A-VB headline numbers (null where a task is missing). */
  avb: AvbSummary;
}

/** Task predictions keyed by task, for one batch or a whole split. */
export type PredictionsByTask = Partial<Record<Task, TaskPredictions>>;

/** Empty evaluation statistics. */
export function emptyStats(): EvaluationStats {
  return { version: 1, tasks: {} };
}

/**
 * Merge evaluation statistics of shards (pure). Tasks present in only some
 * shards are kept as they are.
 */
export function mergeStats(...shards: EvaluationStats[]): EvaluationStats {
  const out = emptyStats();
  for (const shard of shards) {
    if (shard.version !== 1) throw new RangeError(`unknown evaluation statistics version ${String(shard.version)}`);
    for (const task of TASKS) {
      const s = shard.tasks[task];
      if (s === undefined) continue;
      const prev = out.tasks[task];
      out.tasks[task] = prev === undefined ? mergeTaskStats(emptyTaskStats(task), s) : mergeTaskStats(prev, s);
    }
  }
  return out;
}

/** Build the metrics report from (possibly merged) statistics. */
export function fromStats(stats: EvaluationStats, options: ReportOptions = {}): MetricsReport {
  const tasks: Partial<Record<Task, TaskReport>> = {};
  const empty: Task[] = [];
  for (const task of TASKS) {
    const s = stats.tasks[task];
    if (s === undefined) continue;
    const report = taskReportFromStats(s, options);
    if (report === undefined) empty.push(task);
    else tasks[task] = report;
  }
  return {
    cccVariant: options.cccVariant ?? DEFAULT_CCC_VARIANT,
    tasks,
    empty,
    exvo: exvoSummary(tasks),
    avb: avbSummary(tasks),
  };
}

/** Accumulates predictions over a validation loop; one per evaluation. */
export class MetricsAccumulator {
  private current: EvaluationStats = emptyStats();

  /** Add one batch of one task. */
  add(task: Task, batch: TaskPredictions): void {
    let s = this.current.tasks[task];
    if (s === undefined) {
      s = emptyTaskStats(task);
      this.current.tasks[task] = s;
    }
    accumulateTask(s, batch);
  }

  /** Add one batch of several tasks. */
  addAll(batches: PredictionsByTask): void {
    for (const task of TASKS) {
      const b = batches[task];
      if (b !== undefined) this.add(task, b);
    }
  }

  /** A deep copy of the statistics so far (safe to send or merge). */
  stats(): EvaluationStats {
    return structuredClone(this.current);
  }

  /** The report of everything added so far. */
  report(options: ReportOptions = {}): MetricsReport {
    return fromStats(this.current, options);
  }

  /** Forget everything, for the next evaluation. */
  reset(): void {
    this.current = emptyStats();
  }
}

/** Evaluate predictions of a whole split in one call. */
export function evaluate(predictions: PredictionsByTask, options: ReportOptions = {}): MetricsReport {
  const acc = new MetricsAccumulator();
  acc.addAll(predictions);
  return acc.report(options);
}
