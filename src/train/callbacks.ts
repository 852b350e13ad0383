/**
 * Trainer events. A callback may return false (or call `stop`) to end
 * training after the current step; the trainer then writes `last` as usual.
 */
import type { Task } from '../data/schema.js';
import type { MetricsReport } from '../metrics/index.js';
import type { StageConfig } from '../config/schema.js';
import type { CheckpointKind } from './checkpoint.js';

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
  readonly loss: number | null;
  readonly lr: Readonly<Record<string, number>>;
  readonly samples: number;
}

export interface ValidationInfo {
  readonly report: MetricsReport;
  readonly loss: number | null;
  readonly taskLosses: Partial<Record<Task, number>>;
  readonly monitor: number;
  readonly improved: boolean;
}

/** Return false from any hook to stop training. */
export type HookResult = void | boolean | Promise<void | boolean>;

export interface TrainerCallbacks {
  onTrainStart?(ctx: TrainerContext): HookResult;
  onTrainEnd?(ctx: TrainerContext, result: { status: string }): HookResult;
  onStageStart?(ctx: TrainerContext): HookResult;
  onStageEnd?(ctx: TrainerContext): HookResult;
  onEpochStart?(ctx: TrainerContext): HookResult;
  onEpochEnd?(ctx: TrainerContext): HookResult;
  onStepStart?(ctx: TrainerContext): HookResult;
  /** After an optimizer step; `loss` is only read back from the device on logging steps (else null). */
  onStepEnd?(ctx: TrainerContext, info: StepInfo): HookResult;
  onValidation?(ctx: TrainerContext, info: ValidationInfo): HookResult;
  onCheckpoint?(ctx: TrainerContext, info: { kinds: readonly CheckpointKind[]; dirs: readonly string[] }): HookResult;
}
