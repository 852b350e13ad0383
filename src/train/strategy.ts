/**
 * How the Trainer's work is spread over processes. The Trainer runs one loop
 * and asks its strategy at fixed points; it never asks how many processes
 * there are. `SingleProcess` (single-process.ts) is the default; data
 * parallelism (src/distributed/data-parallel.ts) implements the same
 * interface.
 *
 * Every method is called by every process at the same point of the loop
 * (a strategy may run a collective in any of them), except `requestStop`,
 * which may come at any time (Ctrl-C, a callback).
 */
import type { RunConfig, RunConfigInput } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import type { EvaluateOptions, EvaluationResult } from '../run/evaluation.js';
import type { RunDir } from '../run/run-dir.js';
import type { TrainerState } from '../run/trainer-state.js';
import type { Device, Tensor } from '../torch/index.js';

/** The run as resolved at start: its config, where training stands, and its folder. */
export interface RunSetup {
  config: RunConfig;
  state: TrainerState;
  /** The run folder; undefined for a new run, whose folder is created once everything is validated. */
  runDir: RunDir | undefined;
  /** A checkpoint's fine-tuned backbone to start from (resume); null: the initial export. */
  resumeBackbone: string | null;
}

/** What this process was asked to run (a strategy may take parts of it, such as the device, from each process). */
export interface OwnSettings {
  config?: RunConfig | RunConfigInput;
  resume?: string;
  resumeOverrides?: Partial<Pick<RunConfig['train'], 'device' | 'threads' | 'progress'>>;
}

/** Where the trainer checks for stop requests. */
export type StopPoint = 'step' | 'boundary';

/** One process's part of the rest of an epoch. */
export interface EpochShard {
  /** This process's batches, in order. */
  readonly plans: BatchPlan[];
  /** Position in the whole plan where this part starts (batches already consumed). */
  readonly start: number;
  /** Batches of the whole plan consumed per batch of this process. */
  readonly stride: number;
  /** Position in the whole plan where the epoch ends for every process. */
  readonly end: number;
}

export interface TrainingStrategy {
  /** This process's index and the number of processes. */
  readonly rank: number;
  readonly worldSize: number;
  /** Whether this process writes the run folder: metrics log, checkpoints, report, final metrics. */
  readonly writes: boolean;

  // ---- set-up
  /** The run: `resolve` runs where the run is decided and its result is shared with the others. */
  setup(resolve: () => RunSetup, own: OwnSettings): RunSetup;
  /** This process's device, from the configured one. */
  device(requested: Device | 'auto'): Device;
  /** Files every process reads (corpus, backbone export): prepared by the writer first, then by the others. */
  prepareShared<T>(prepare: () => Promise<T>): Promise<T>;
  /** After weights were loaded: every process takes the writer's. */
  syncModel(model: MultitaskModel): void;
  /** The writer's bytes (e.g. optimizer state read from a checkpoint) on every process. */
  shareBytes(bytes: Uint8Array | null): Uint8Array | null;
  /** Every process's `bytes`, in rank order, on the writer (null on the others). */
  gatherBytes(bytes: Uint8Array): Uint8Array[] | null;
  /** Entry r of the writer's `perRank` on process r (the others pass null); null where the writer passes null. */
  scatterBytes(perRank: readonly Uint8Array[] | null): Uint8Array | null;
  /** Where the run folder is (on the writer's machine), for results and messages. */
  runDirPath(local: RunDir): string;

  // ---- steps
  /** This process's batches of an epoch's plan, from position `start`. */
  shardEpoch(plans: readonly BatchPlan[], start: number): EpochShard;
  /** Batches this process reads in a whole epoch of `total` batches. */
  batchesPerEpoch(total: number): number;
  /** Combine the gradients of `params` over the processes (after backward, before clipping and the step). */
  reduceGradients(params: readonly Tensor[]): void;
  /** Ask training to stop after the current step. */
  requestStop(reason: string): void;
  /**
   * At a stop point (the end of an optimizer step, or a boundary: epoch,
   * stage, run): the reason to stop if any process was asked to (undefined:
   * go on). A strategy may take up requests only at some step points (every
   * N steps), never later than the next boundary.
   */
  agreeStop(at: StopPoint): string | undefined;

  // ---- validation
  /** Evaluate `options.plans` over the processes: the metrics of the whole split, the same on every process. */
  evaluate(options: EvaluateOptions): Promise<EvaluationResult>;
  /** The writer's decision (e.g. early stopping) on every process. */
  agree(flag: boolean): boolean;

  /** Release what the strategy holds (connections, scratch folders). Idempotent. */
  close(): void;
}
