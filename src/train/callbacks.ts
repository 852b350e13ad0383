/**
 * Trainer events. Callbacks are called in the order given and each is
 * awaited before the next (and before training goes on), so an async
 * callback's failure stops training with its error instead of surfacing
 * later as an unhandled rejection. A callback may return false (or call
 * `stop`) to end training after the current step; the trainer then writes
 * `last` as usual. The run's own metrics log and report are callbacks of the
 * same events (metrics-log-callback.ts, report-callback.ts).
 */
import type { StageConfig } from '../config/schema.js';
import type { MetricsReport } from '../metrics/index.js';
import type { CheckpointKind } from '../run/checkpoint.js';
import type { TrainRecord, ValRecord } from '../run/metrics-log.js';
import type { Task } from '../tasks.js';

/** Where training stands when an event fires. */
export interface TrainerContext {
  readonly stage: StageConfig;
  readonly stageIndex: number;
  readonly epoch: number;
  readonly globalStep: number;
  readonly stepInStage: number;
  /** Ask the trainer to stop after the current step. */
  stop(reason: string): void;
}

export interface StepInfo {
  /**
   * Mean training loss since the previous logging step: a number on logging
   * steps (every `train.logEvery` steps and at the end of an epoch), null
   * on the others (reading it would wait for the device).
   */
  readonly loss: number | null;
  readonly lr: Readonly<Record<string, number>>;
  /** Clips in this step's batches (this process's share). */
  readonly samples: number;
  /** The metrics-log record of a logging step (null on the others). */
  readonly record: TrainRecord | null;
}

export interface ValidationInfo {
  readonly report: MetricsReport;
  readonly loss: number | null;
  readonly taskLosses: Partial<Record<Task, number>>;
  readonly monitor: number;
  /** Better than the stage's best so far (early stopping's view). */
  readonly improved: boolean;
  /** The metrics-log record of this validation. */
  readonly record: ValRecord;
}

export type FitStatus = 'completed' | 'stopped' | 'interrupted';

export interface TrainEndInfo {
  readonly status: FitStatus;
  /** Why training stopped early, when it did. */
  readonly reason?: string;
  /** Metrics of the best checkpoint on the validation split (null when interrupted, or on a process that does not write). */
  readonly final: MetricsReport | null;
}

export interface CheckpointInfo {
  readonly kinds: readonly CheckpointKind[];
  readonly dirs: readonly string[];
}

/** Return false from any hook to stop training. */
export type HookResult = void | boolean | Promise<void | boolean>;

export interface TrainerCallbacks {
  onTrainStart?(ctx: TrainerContext): HookResult;
  onTrainEnd?(ctx: TrainerContext, info: TrainEndInfo): HookResult;
  onStageStart?(ctx: TrainerContext): HookResult;
  onStageEnd?(ctx: TrainerContext): HookResult;
  onEpochStart?(ctx: TrainerContext): HookResult;
  onEpochEnd?(ctx: TrainerContext): HookResult;
  onStepStart?(ctx: TrainerContext): HookResult;
  /** After an optimizer step; see StepInfo for what logging steps carry. */
  onStepEnd?(ctx: TrainerContext, info: StepInfo): HookResult;
  onValidation?(ctx: TrainerContext, info: ValidationInfo): HookResult;
  onCheckpoint?(ctx: TrainerContext, info: CheckpointInfo): HookResult;
}
