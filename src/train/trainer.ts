/**
 * The Trainer: runs a recipe's stages over a corpus. Each stage freezes what
 * its config says, builds its own optimizer (parameter groups for the
 * backbone and the rest), steps a warm-up + schedule per optimizer step,
 * validates every epoch or every N steps, stops early on the monitored value,
 * and writes `last` and `best` checkpoints atomically. A stage starts from
 * the best checkpoint of the one before. Runs resume from `last`; Ctrl-C
 * writes `last` before exiting.
 *
 * One loop serves every way of running: what differs between one process
 * and several (data parallelism) is the TrainingStrategy's (strategy.ts).
 * The metrics log and the report are subscribers of the trainer's events.
 *
 * Usable from code:
 *   const trainer = await Trainer.create({ config });
 *   const result = await trainer.fit();
 *   await trainer.close();
 */
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { RunConfig, StageConfig } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { Clip, Corpus } from '../data/corpus/corpus.js';
import { lengthSortedBatches, planEpoch, splitIndices } from '../data/index.js';
import type { MetricsReport } from '../metrics/index.js';
import { Backbone } from '../model/backbone.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import { type ProgressReporter, createProgressReporter } from '../report/progress.js';
import { type AssembledRun, applyProcessSettings, assembleRun, describeCpu, longClipsNote } from '../run/assemble.js';
import { type BatchSource, FeatureBatchSource } from '../run/batch-source.js';
import {
  type CheckpointFiles,
  type CheckpointKind,
  RANDOM_STATE_FILE,
  loadHeads,
  parseRandomState,
  randomStateFile,
  readCheckpoint,
  writeCheckpoint,
} from '../run/checkpoint.js';
import { type EvaluationResult, evaluateModel } from '../run/evaluation.js';
import type { TrainRecord, ValRecord } from '../run/metrics-log.js';
import { prepareBackbone, prepareCorpus } from '../run/prepare.js';
import { RunDir } from '../run/run-dir.js';
import { SKIPPED_ROWS_FILE, skippedRowsNote, writeSkippedRows } from '../run/skipped-rows.js';
import type { TrainerState } from '../run/trainer-state.js';
import { TASK_SPECS, type Split, type Task } from '../tasks.js';
import {
  type Device,
  type Optimizer,
  type ParamGroup,
  Adam,
  AdamW,
  type Tensor,
  clipGradNormTensor,
  cudaDeviceCount,
  encodeRandomState,
  manualSeed,
  noGrad,
  randomState,
  scope,
  setRandomState,
} from '../torch/index.js';
import type { FitStatus, HookResult, StepInfo, TrainerCallbacks, TrainerContext } from './callbacks.js';
import { EarlyStopping } from './early-stopping.js';
import { LossWindow } from './loss-window.js';
import { MetricsLogCallback } from './metrics-log-callback.js';
import { monitorValue } from './monitor.js';
import { ReportCallback } from './report-callback.js';
import { resolveRunSetup } from './run-setup.js';
import { lrFactor } from './schedule.js';
import { SingleProcess } from './single-process.js';
import type { OwnSettings, TrainingStrategy } from './strategy.js';

export type { FitStatus };

export interface TrainerCreateOptions extends OwnSettings {
  callbacks?: TrainerCallbacks[];
  /** Progress display; default from train.progress. */
  progress?: ProgressReporter;
  /** Stop cleanly on SIGINT (Ctrl-C) after writing `last`. Default false (the CLI turns it on). */
  handleSignals?: boolean;
  /**
   * How the work is spread over processes. Default: this process alone.
   * Data-parallel: `DataParallel.connect(options)` (src/distributed; `distributedFromEnv()` reads torchrun's variables).
   * The Trainer closes it.
   */
  strategy?: TrainingStrategy;
}

export interface FitResult {
  status: FitStatus;
  /** Why training stopped early, when it did. */
  reason?: string;
  runDir: string;
  globalStep: number;
  best: TrainerState['best'];
  /** Metrics of the best checkpoint on the validation split. */
  final: MetricsReport | null;
  reportPath: string;
}

interface StageRun {
  stageIndex: number;
  stage: StageConfig;
  source: BatchSource;
  optimizer: Optimizer;
  baseLrs: number[];
  trainable: Tensor[];
  schedule: { kind: StageConfig['schedule']; totalSteps: number; warmupSteps: number };
  totalSteps: number;
  early: EarlyStopping;
}

export class Trainer {
  private state: TrainerState;
  private stopReason: string | undefined;
  private interrupted = false;
  private readonly callbacks: TrainerCallbacks[];
  /** The run's own subscribers that hold files open. */
  private readonly ownCallbacks: (TrainerCallbacks & Partial<Disposable>)[];
  private features: FeatureBatchSource | undefined;
  private sigintHandler: (() => void) | undefined;
  /** The file whose weights the backbone in memory holds; undefined once trained since. */
  private backboneWeightsFrom: string | undefined;
  private closed = false;

  private constructor(
    readonly config: RunConfig,
    readonly runDir: RunDir,
    readonly corpus: Corpus,
    readonly device: Device,
    private readonly run: AssembledRun,
    private readonly strategy: TrainingStrategy,
    private readonly initialBackbonePath: string,
    private readonly progress: ProgressReporter,
    state: TrainerState,
    options: TrainerCreateOptions,
  ) {
    this.state = state;
    this.backboneWeightsFrom = path.resolve(run.model.backbone.path);
    const reportSettings = { device, precision: run.precision, processes: strategy.worldSize, log: (line: string) => progress.log(line) };
    this.ownCallbacks = strategy.writes ? [new MetricsLogCallback(runDir.file('metrics.jsonl')), new ReportCallback(runDir, config, reportSettings)] : [];
    // The run's own files first, so that user callbacks see them written.
    this.callbacks = [...this.ownCallbacks, ...(options.callbacks ?? [])];
    if (options.handleSignals) this.installSignalHandler();
  }

  /** Prepare a run: corpus, backbone, model, loader and run folder. On failure, everything opened is closed again. */
  static async create(options: TrainerCreateOptions): Promise<Trainer> {
    const strategy = options.strategy ?? new SingleProcess();
    let run: AssembledRun | undefined;
    try {
      const progress = options.progress;
      const log = (line: string) => (progress ? progress.log(line) : console.error(line));
      // A new run's folder is created only once everything below is validated, so a failed start leaves nothing behind.
      const setup = strategy.setup(() => resolveRunSetup(options), options);
      const { config, state } = setup;
      const device = strategy.device(config.train.device);
      const threads = applyProcessSettings(config.train, device);
      manualSeed(config.train.seed);

      const tasks = config.model.tasks;
      const { corpus, initialBackbonePath } = await strategy.prepareShared(async () => ({
        corpus: await prepareCorpus(config.data, tasks, log),
        initialBackbonePath: await prepareBackbone(config.backbone, config.data.cacheDir, log),
      }));
      if (splitIndices(corpus.clips, 'Train').length === 0) throw new ConfigError(`the corpus at ${corpus.root} has no Train clips`);
      if (splitIndices(corpus.clips, 'Val').length === 0) {
        throw new ConfigError(`the corpus at ${corpus.root} has no Val clips: validation and early stopping need them`);
      }
      run = assembleRun({ config, corpus, backbonePath: setup.resumeBackbone ?? initialBackbonePath, device });
      const note = longClipsNote(corpus, run);
      if (note && strategy.writes) log(note);
      let runDir = setup.runDir;
      if (!runDir) {
        runDir = RunDir.create(config.output.dir, config.output.name!, { overwrite: config.output.overwrite });
        runDir.writeJson('config.json', config);
      }
      if (strategy.writes) {
        // Whatever a killed run left half-written (checkpoint or file temporaries) goes now.
        runDir.removeTemporaries();
        if (corpus.dropped.length > 0) {
          writeSkippedRows(runDir.file(SKIPPED_ROWS_FILE), corpus.dropped);
          log(skippedRowsNote(corpus.dropped, runDir.file(SKIPPED_ROWS_FILE)));
        }
      }
      const reporter = progress ?? createProgressReporter({ mode: config.train.progress === 'none' ? 'silent' : config.train.progress });
      const trainer = new Trainer(config, runDir, corpus, device, run, strategy, initialBackbonePath, reporter, state, options);
      if (strategy.writes) trainer.log(describeCpu(threads, device));
      if (state.globalStep > 0) trainer.log(`resuming ${runDir.path} at stage ${state.stage + 1}, epoch ${state.epoch + 1}, step ${state.globalStep}`);
      // Restore the trained part (heads, and the optimizer in runStage) from `last`.
      if (options.resume) trainer.loadWeights('last');
      strategy.syncModel(run.model);
      // Last, once nothing else draws before training goes on: the random generators as `last` left them.
      trainer.restoreRandomState(options.resume !== undefined);
      return trainer;
    } catch (err) {
      await run?.close();
      strategy.close();
      throw err;
    }
  }

  // ---- plumbing --------------------------------------------------------------

  /** The model being trained. */
  get model(): MultitaskModel {
    return this.run.model;
  }

  private log(line: string): void {
    this.progress.log(line);
  }

  private installSignalHandler(): void {
    this.sigintHandler = () => {
      if (this.interrupted) {
        console.error('\nvbt: interrupted again, exiting without waiting');
        process.exit(130);
      }
      this.interrupted = true;
      this.requestStop('interrupted (Ctrl-C): saving `last`');
      console.error('\nvbt: stopping after this step and saving checkpoints/last (Ctrl-C again to quit at once)');
    };
    process.on('SIGINT', this.sigintHandler);
  }

  /** Ask training to stop after the current step (it writes `last` first). */
  requestStop(reason: string): void {
    this.strategy.requestStop(reason);
  }

  /** A stop point: take up a stop request (agreed by every process); true when training should stop. */
  private stopAgreed(at: 'step' | 'boundary'): boolean {
    this.stopReason ??= this.strategy.agreeStop(at);
    return this.stopReason !== undefined;
  }

  private context(stageIndex: number): TrainerContext {
    const stage = this.config.train.stages[stageIndex]!;
    return {
      stage,
      stageIndex,
      epoch: this.state.epoch,
      globalStep: this.state.globalStep,
      stepInStage: this.state.stepInStage,
      stop: (reason: string) => this.requestStop(reason),
    };
  }

  /** Call every callback's hook in order, awaiting each. */
  private async emit<K extends keyof TrainerCallbacks>(hook: K, ...args: Parameters<NonNullable<TrainerCallbacks[K]>>): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => HookResult) | undefined;
      if (!fn) continue;
      const r = await fn.apply(cb, args);
      if (r === false) this.requestStop(`stopped by the ${hook} callback`);
    }
  }

  private indices(split: Split): number[] {
    return splitIndices(this.corpus.clips, split);
  }

  private get sampleRate(): number {
    return this.model.backbone.sampleRate;
  }

  private clipSeconds = (i: number): number => (this.run.lengths[i] ?? 0) / this.sampleRate;

  /** Batches of a split for evaluation: fixed order, grouped by length to cut padding, long clips in windows. */
  private evalPlans(split: Split): BatchPlan[] {
    return lengthSortedBatches(this.indices(split), this.run.lengths, this.config.data.evalBatchSize ?? this.config.data.batchSize, this.run.limits);
  }

  private trainPlans(stageIndex: number, epoch: number): BatchPlan[] {
    const cfg = this.config;
    return planEpoch({
      clips: this.corpus.clips,
      indices: this.indices('Train'),
      batchSize: cfg.data.batchSize,
      seed: cfg.train.seed + 7919 * stageIndex,
      epoch,
      lengths: this.run.lengths,
      bucketing: cfg.data.bucketing,
      ...this.run.limits,
      ...(cfg.model.kind === 'burst2vec' ? { taskRotation: cfg.model.tasks, taskRotationUnit: cfg.train.epochUnit } : {}),
      oversample: cfg.data.oversample,
    });
  }

  // ---- weights ---------------------------------------------------------------

  /** Load the weights of a checkpoint into the model (heads always; backbone as the checkpoint says). */
  private loadWeights(kind: CheckpointKind): boolean {
    const ckpt = readCheckpoint(this.runDir, kind);
    if (!ckpt) return false;
    loadHeads(this.model.head, ckpt.heads, this.device);
    // The backbone of the checkpoint: its own file once trained, else the initial export.
    // Copy it in unless the weights in memory are exactly that file's.
    const source = path.resolve(ckpt.backbone ?? this.initialBackbonePath);
    if (source !== this.backboneWeightsFrom) {
      using donor = Backbone.load(source, { device: this.device });
      const target = this.model.backbone.namedParameters();
      noGrad(() => {
        for (const [name, p] of donor.namedParameters()) target.get(name)?.copy_(p);
      });
      this.backboneWeightsFrom = source;
    }
    this.state.backboneTrained = ckpt.backbone !== null;
    return true;
  }

  /**
   * The random generators' states are captured as the checkpoint is written:
   * after everything before it (the steps, the validation's evaluation) and
   * before anything after it, so that the generators a resumed run sets back
   * (restoreRandomState) are those the uninterrupted run goes on with.
   */
  private async saveCheckpoint(kinds: CheckpointKind[], optimizer: Optimizer | null, stageIndex: number): Promise<void> {
    // Every process's: their generators part ways as they draw for batches of different shapes.
    const randomStates = this.strategy.gatherBytes(encodeRandomState(randomState()));
    if (!this.strategy.writes) return;
    const dirs = writeCheckpoint(this.runDir, kinds, {
      heads: this.model.head.stateDict(),
      backbone: this.state.backboneTrained ? this.model.backbone : null,
      optimizer: optimizer ? optimizer.saveState() : null,
      state: this.state,
      randomStates,
    });
    await this.emit('onCheckpoint', this.context(stageIndex), { kinds, dirs });
  }

  /**
   * On resume, set the random generators (dropout's masks) to the states
   * saved in `last`, which overrides the seeding at start: the steps after
   * the resume then draw what the uninterrupted run drew after writing
   * `last`. Called by every process: the writer reads and checks each
   * process's state and hands it out. A checkpoint written without them
   * leaves the generators seeded as before. CUDA states go to the devices
   * this machine has.
   */
  private restoreRandomState(resume: boolean): void {
    const ckpt = resume && this.strategy.writes ? readCheckpoint(this.runDir, 'last') : null;
    const perRank = ckpt ? this.savedRandomStates(ckpt) : null;
    const bytes = this.strategy.scatterBytes(perRank);
    if (!bytes) return;
    const source = ckpt ? path.join(ckpt.dir, randomStateFile(0)) : `the random state of rank ${this.strategy.rank} in checkpoints/last (received from rank 0)`;
    const saved = parseRandomState(bytes, source);
    setRandomState({ cpu: saved.cpu, cuda: saved.cuda.slice(0, cudaDeviceCount()) });
  }

  /** The state for each process of this run from `ckpt`, each checked (null: the checkpoint has none). */
  private savedRandomStates(ckpt: CheckpointFiles): Uint8Array[] | null {
    const saved = ckpt.randomStates;
    if (saved.length === 0) {
      this.log(`${ckpt.dir} has no ${RANDOM_STATE_FILE} (an older checkpoint): dropout after the resume draws other masks than an uninterrupted run would`);
      return null;
    }
    saved.forEach((bytes, r) => parseRandomState(bytes, path.join(ckpt.dir, randomStateFile(r))));
    const world = this.strategy.worldSize;
    if (saved.length !== world) {
      const processes = (n: number) => `${n} process${n > 1 ? 'es' : ''}`;
      this.log(
        `${ckpt.dir} holds the random states of ${processes(saved.length)} and this run has ${world}: ` +
          `dropout after the resume draws other masks than an uninterrupted run would`,
      );
    }
    return Array.from({ length: world }, (_, r) => saved[r] ?? saved[0]!);
  }

  // ---- optimisation ------------------------------------------------------------

  private makeOptimizer(stage: StageConfig): { optimizer: Optimizer; baseLrs: number[]; trainable: Tensor[] } {
    const groups: ParamGroup[] = [];
    const headParams = this.model.head.parameters();
    const headLr = stage.headLr ?? stage.lr;
    groups.push({ name: 'heads', params: headParams, lr: headLr });
    const backboneParams = this.model.backbone.trainableParameters();
    if (backboneParams.length > 0) groups.push({ name: 'backbone', params: backboneParams, lr: stage.lr });
    const settings = { betas: stage.betas, eps: stage.eps, ...(stage.weightDecay !== undefined ? { weightDecay: stage.weightDecay } : {}) };
    const implementation = { foreach: this.config.train.foreachOptimizer };
    const optimizer = stage.optimizer === 'adamw' ? new AdamW(groups, settings, implementation) : new Adam(groups, settings, implementation);
    return { optimizer, baseLrs: groups.map((g) => g.lr!), trainable: [...headParams, ...backboneParams] };
  }

  // ---- the loop ------------------------------------------------------------------

  /** Train every remaining stage; returns when done, stopped early, or interrupted. */
  async fit(): Promise<FitResult> {
    const stages = this.config.train.stages;
    const lastStage = () => Math.min(this.state.stage, stages.length - 1);
    await this.emit('onTrainStart', this.context(lastStage()));
    try {
      while (this.state.stage < stages.length && !this.stopAgreed('boundary')) {
        await this.runStage(this.state.stage);
        if (this.stopAgreed('boundary')) break;
        // Move on: the next stage starts fresh from the best checkpoint.
        this.state.stageBest[this.state.stage] = this.state.earlyStopping.best;
        this.state = {
          ...this.state,
          stage: this.state.stage + 1,
          epoch: 0,
          batchInEpoch: 0,
          stepInStage: 0,
          earlyStopping: { best: null, bad: 0 },
          stageDone: false,
          finished: this.state.stage + 1 >= stages.length,
        };
        await this.saveCheckpoint(['last'], null, lastStage());
      }
    } finally {
      this.progress.stop();
    }
    const status: FitStatus = this.interrupted ? 'interrupted' : this.stopReason ? 'stopped' : 'completed';
    const final = status === 'interrupted' ? null : await this.finalEvaluation();
    await this.emit('onTrainEnd', this.context(lastStage()), { status, ...(this.stopReason ? { reason: this.stopReason } : {}), final });
    const runDir = this.strategy.runDirPath(this.runDir);
    return {
      status,
      ...(this.stopReason ? { reason: this.stopReason } : {}),
      runDir,
      globalStep: this.state.globalStep,
      best: this.state.best,
      final,
      reportPath: path.join(runDir, 'report.html'),
    };
  }

  private async runStage(stageIndex: number): Promise<void> {
    const stage = this.config.train.stages[stageIndex]!;
    const resumingMidStage = this.state.stepInStage > 0 || this.state.batchInEpoch > 0 || this.state.epoch > 0;
    if (stageIndex > 0 && stage.loadBest && !resumingMidStage) {
      // Weights only: the random generators go on as they stand, which is the same in a resumed run (set back from `last`).
      if (this.loadWeights('best')) this.log(`stage ${stage.name}: starting from the best checkpoint so far`);
      this.strategy.syncModel(this.model);
    }
    // train.bestCheckpoint 'last-stage': each stage searches its own best, which replaces `best`.
    if (this.config.train.bestCheckpoint === 'last-stage' && !resumingMidStage) this.state.best = null;
    this.model.backbone.freeze(stage.freeze);
    this.model.backbone.train(stage.freeze !== 'all');
    this.model.head.train(true);
    const { optimizer, baseLrs, trainable } = this.makeOptimizer(stage);
    try {
      if (resumingMidStage) {
        const last = readCheckpoint(this.runDir, 'last');
        const saved = this.strategy.shareBytes(last?.optimizer ?? null);
        try {
          if (saved) optimizer.loadState(saved);
        } catch (err) {
          throw new ConfigError(`${path.join(last?.dir ?? this.runDir.checkpoints, 'optimizer.bin')}: ${(err as Error).message}`);
        }
      }
      const source = await this.stageSource(stage);
      const early = new EarlyStopping(
        { mode: this.config.train.monitor.mode, patience: stage.patience, minDelta: stage.minDelta },
        this.state.earlyStopping,
      );
      const stepsPerEpoch = Math.ceil(this.strategy.batchesPerEpoch(this.trainPlans(stageIndex, 0).length) / stage.accumulate);
      const totalSteps = Math.min(stage.epochs * stepsPerEpoch, stage.maxSteps ?? Number.POSITIVE_INFINITY);
      const schedule = { kind: stage.schedule, totalSteps, warmupSteps: Math.round(stage.warmupEpochs * stepsPerEpoch) };
      const run: StageRun = { stageIndex, stage, source, optimizer, baseLrs, trainable, schedule, totalSteps, early };
      this.log(
        `stage ${stageIndex + 1}/${this.config.train.stages.length} "${stage.name}": backbone frozen: ${stage.freeze}, ` +
          `${trainable.length} trainable tensors, ${stage.epochs} epochs × ${stepsPerEpoch} steps, ${stage.optimizer} lr ${stage.lr}` +
          `${source === this.features ? ', cached backbone features' : ''}, device ${this.device}, ${this.run.precision}`,
      );
      this.progress.start(totalSteps, stage.name);
      this.progress.update(this.state.stepInStage);
      await this.emit('onStageStart', this.context(stageIndex));

      let stop = false;
      for (let epoch = this.state.epoch; epoch < stage.epochs && !stop; epoch++) {
        this.state.epoch = epoch;
        await this.emit('onEpochStart', this.context(stageIndex));
        const plans = this.trainPlans(stageIndex, epoch);
        const result = await this.runEpoch(run, plans);
        stop = result.stop;
        if (this.stopReason) break;
        if (!result.stop || result.reason === 'steps') {
          this.state.epoch = epoch + 1;
          this.state.batchInEpoch = 0;
        }
        // Every epoch ends with a validation, also one a step limit cut short.
        if (stage.validateEvery === 'epoch' && result.reason !== 'patience') {
          stop = (await this.validate(run, epoch + 1)) || stop;
        }
        await this.emit('onEpochEnd', this.context(stageIndex));
        if (this.stopAgreed('boundary')) break;
      }
      if (this.stopReason) await this.saveCheckpoint(['last'], optimizer, stageIndex);
      else this.state.stageDone = true;
      // The stage's progress display ends here, below its validation lines and above the next stage's.
      this.progress.stop();
      await this.emit('onStageEnd', this.context(stageIndex));
    } finally {
      optimizer.dispose();
    }
  }

  /** Audio, or cached features when the backbone is frozen and the stage asks for it. */
  private async stageSource(stage: StageConfig): Promise<BatchSource> {
    if (!(stage.cacheFeatures && stage.freeze === 'all')) return this.run.audio;
    if (!this.features) {
      this.features = new FeatureBatchSource(this.corpus.clips, this.model.tasks, this.device, this.clipSeconds, this.run.sampleWeights, true);
    }
    if (this.features.size === 0) {
      const t0 = performance.now();
      const plans = [...this.evalPlans('Train'), ...this.evalPlans('Val')];
      await this.features.fill(this.model, this.run.audio, plans, this.run.autocast);
      this.log(`cached pooled backbone features of ${this.features.size} clips in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return this.features;
  }

  private async runEpoch(run: StageRun, plans: BatchPlan[]): Promise<{ stop: boolean; reason?: 'patience' | 'steps' }> {
    const { stageIndex, stage, source, optimizer, baseLrs, trainable, schedule, totalSteps } = run;
    const cfg = this.config;
    // This process's batches; positions count batches of the whole plan (see strategy.ts).
    const shard = this.strategy.shardEpoch(plans, this.state.batchInEpoch);
    let consumed = shard.start;
    let pending = 0;
    // Losses stay on the device until a log line needs them (no host sync per step).
    using window = new LossWindow();

    optimizer.zeroGrad();
    for await (const b of source.batches(shard.plans)) {
      if (pending === 0) {
        await this.emit('onStepStart', this.context(stageIndex));
        const factor = lrFactor(this.state.stepInStage, schedule);
        baseLrs.forEach((lr, g) => optimizer.setLr(lr * factor, g));
      }
      try {
        const logs = scope(() => {
          const out = this.run.autocast(() => this.model.loss(b.device));
          const scaled = stage.accumulate > 1 ? out.loss.div(stage.accumulate) : out.loss;
          scaled.backward();
          return { loss: out.loss.detach(), taskLosses: out.taskLosses, extra: out.extra ?? {} };
        });
        window.add(logs.loss, logs.taskLosses, b.device.size, b.device.audioSeconds, logs.extra);
      } finally {
        b.dispose();
      }
      pending++;
      consumed += shard.stride;
      if (pending < stage.accumulate && consumed < shard.end) continue;

      // One optimizer step.
      this.strategy.reduceGradients(trainable);
      if (stage.gradClip !== null) window.addScalar('grad_norm', clipGradNormTensor(trainable, stage.gradClip));
      optimizer.step();
      optimizer.zeroGrad();
      pending = 0;
      if (stage.freeze !== 'all') {
        this.state.backboneTrained = true;
        this.backboneWeightsFrom = undefined; // the weights in memory match no file now
      }
      this.state.stepInStage++;
      this.state.globalStep++;
      this.state.batchInEpoch = consumed;
      const lr: Record<string, number> = {};
      optimizer.groupNames.forEach((name, g) => (lr[name] = optimizer.getLr(g)));
      const logging = this.state.stepInStage % cfg.train.logEvery === 0 || consumed === shard.end;
      const record = logging && !window.empty ? this.trainRecord(stageIndex, stage, window, lr, plans.length) : null;
      if (record) this.showTrain(stage, record);
      else this.progress.update(this.state.stepInStage, { stage: stage.name, epoch: this.state.epoch });
      const info: StepInfo = { loss: record?.loss ?? null, lr, samples: b.device.size, record };
      await this.emit('onStepEnd', this.context(stageIndex), info);
      // Give the event loop a turn (Ctrl-C, timers) even when batches are built inline.
      await new Promise((resolve) => setImmediate(resolve));

      // Step-based validation; per-epoch validation is the stage loop's, after each epoch.
      const atStepLimit = this.state.stepInStage >= totalSteps;
      const everySteps = typeof stage.validateEvery === 'number' ? stage.validateEvery : 0;
      if (everySteps > 0 && (this.state.stepInStage % everySteps === 0 || atStepLimit)) {
        if (await this.validate(run, this.state.epoch + consumed / plans.length)) return { stop: true, reason: 'patience' };
      }
      if (atStepLimit) return { stop: true, reason: 'steps' };
      if (this.stopAgreed('step')) return { stop: true };
    }
    return { stop: false };
  }

  /** The metrics-log record of a logging step (reads the window's losses back from the device). */
  private trainRecord(stageIndex: number, stage: StageConfig, window: LossWindow, lr: Record<string, number>, batchesPerEpoch: number): TrainRecord {
    const summary = window.read();
    if (!Number.isFinite(summary.loss)) {
      throw new Error(
        `the training loss became ${summary.loss} before step ${this.state.globalStep} (stage ${stage.name}); lower the learning rate or enable train.stages.${stageIndex}.gradClip`,
      );
    }
    return {
      kind: 'train',
      step: this.state.globalStep,
      epoch: this.state.epoch + this.state.batchInEpoch / Math.max(1, batchesPerEpoch),
      stage: stage.name,
      time: new Date().toISOString(),
      loss: summary.loss,
      taskLosses: summary.taskLosses,
      taskWeights: this.model.taskWeights(),
      lr,
      throughput: { samplesPerSec: summary.samplesPerSec, audioSecondsPerSec: summary.audioSecondsPerSec },
      ...(Object.keys(summary.extra).length > 0 ? { extra: summary.extra } : {}),
    };
  }

  private showTrain(stage: StageConfig, record: TrainRecord): void {
    this.progress.update(this.state.stepInStage, {
      loss: record.loss,
      samplesPerSec: record.throughput.samplesPerSec,
      audioSecondsPerSec: record.throughput.audioSecondsPerSec,
      epoch: this.state.epoch,
      stage: stage.name,
    });
  }

  private valSource(): BatchSource {
    // Cached features stand for the audio only while the backbone is frozen and untouched.
    return this.features && !this.state.backboneTrained && this.model.backbone.frozen === 'all' ? this.features : this.run.audio;
  }

  /** Validate, log, checkpoint; returns whether early stopping says stop. */
  private async validate(run: StageRun, epochLabel: number): Promise<boolean> {
    const { stageIndex, stage, optimizer, early } = run;
    const result = await this.strategy.evaluate({
      model: this.model,
      source: this.valSource(),
      plans: this.evalPlans('Val'),
      cccVariant: this.config.metrics.cccVariant,
      autocast: this.run.autocast,
      withLoss: true,
    });
    const monitor = this.config.train.monitor;
    const value = monitorValue(monitor.name, result);
    const { improved, stop } = early.update(value);
    this.state.earlyStopping = early.snapshot();
    const better =
      Number.isFinite(value) &&
      (this.state.best === null || (monitor.mode === 'min' ? value < this.state.best.value : value > this.state.best.value));
    if (better) this.state.best = { value, stage: stageIndex, epoch: this.state.epoch, step: this.state.globalStep };
    const record: ValRecord = {
      kind: 'val',
      step: this.state.globalStep,
      epoch: epochLabel,
      stage: stage.name,
      time: new Date().toISOString(),
      ...(result.loss !== null ? { loss: result.loss } : {}),
      taskLosses: result.taskLosses,
      metrics: result.report,
      monitor: { name: monitor.name, value, mode: monitor.mode, best: better },
    };
    this.log(this.describeValidation(stage, epochLabel, result, monitor.name, value, improved));
    await this.emit('onValidation', this.context(stageIndex), {
      report: result.report,
      loss: result.loss,
      taskLosses: result.taskLosses,
      monitor: value,
      improved,
      record,
    });
    await this.saveCheckpoint(better ? ['last', 'best'] : ['last'], optimizer, stageIndex);
    if (stop) this.log(`stage ${stage.name}: no improvement of ${monitor.name} for ${stage.patience} validations, stopping the stage`);
    return this.strategy.agree(stop);
  }

  private describeValidation(stage: StageConfig, epochLabel: number, r: EvaluationResult, monitor: string, value: number, improved: boolean): string {
    const parts = Object.entries(r.report.tasks).map(([t, rep]) => `${t} ${TASK_SPECS[t as Task].metric.toUpperCase()} ${rep!.value.toFixed(3)}`);
    const loss = r.loss === null ? '' : ` loss ${r.loss.toFixed(4)}`;
    return `[${stage.name} epoch ${Number(epochLabel.toFixed(2))} step ${this.state.globalStep}] val${loss} | ${parts.join(' | ')} | ${monitor} ${value.toFixed(4)}${improved ? ' (best of stage)' : ''}`;
  }

  // ---- after training --------------------------------------------------------------

  /** The best checkpoint's metrics on the whole validation split, written to final-metrics.json (by the writing process alone). */
  private async finalEvaluation(): Promise<MetricsReport | null> {
    if (!this.strategy.writes) return null;
    if (!this.loadWeights('best')) return null;
    this.model.backbone.freeze('none');
    const result = await evaluateModel({
      model: this.model,
      source: this.run.audio,
      plans: this.evalPlans('Val'),
      cccVariant: this.config.metrics.cccVariant,
      autocast: this.run.autocast,
      withLoss: true,
    });
    // Each CCC task's per-sample CCC beside the challenge CCC: recipe A's released scripts print the former.
    const perSampleCcc = Object.fromEntries(
      Object.values(result.report.tasks).flatMap((r) => (r?.metric === 'ccc' ? [[r.task, { challengeCcc: r.value, perSampleCcc: r.sampleCcc }]] : [])),
    );
    this.runDir.writeJson('final-metrics.json', { checkpoint: 'best', split: 'Val', best: this.state.best, metrics: result.report, perSampleCcc });
    return result.report;
  }

  /** Free the loader's workers, the model, the strategy and the signal handler. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sigintHandler) process.off('SIGINT', this.sigintHandler);
    for (const cb of this.ownCallbacks) cb[Symbol.dispose]?.();
    try {
      await this.run.close();
    } finally {
      this.strategy.close();
    }
  }

  /** The clips of the corpus (for callers building their own evaluations). */
  get clips(): readonly Clip[] {
    return this.corpus.clips;
  }
}
