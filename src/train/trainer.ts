/**
 * The Trainer: runs a recipe's stages over a corpus. Each stage freezes what
 * its config says, builds its own optimizer (parameter groups for the
 * backbone and the rest), steps a warm-up + schedule per optimizer step,
 * validates every epoch or every N steps, stops early on the monitored value,
 * and writes `last` and `best` checkpoints atomically. A stage starts from
 * the best checkpoint of the one before. Runs resume from `last`; Ctrl-C
 * writes `last` before exiting.
 *
 * Usable from code:
 *   const trainer = await Trainer.create({ config });
 *   const result = await trainer.fit();
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { validateConfig } from '../config/load.js';
import type { RunConfig, RunConfigInput, StageConfig } from '../config/schema.js';
import { RunConfigSchema } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { Clip, Corpus } from '../data/corpus/corpus.js';
import {
  BatchLoader,
  inverseCountrySampleWeights,
  lengthSortedBatches,
  planEpoch,
  preprocessedLengths,
  splitIndices,
} from '../data/index.js';
import type { Split, Task } from '../data/schema.js';
import { TASK_SPECS } from '../data/schema.js';
import type { MetricsReport } from '../metrics/index.js';
import { Backbone } from '../model/backbone.js';
import { buildModel } from '../model/build-model.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import {
  type Device,
  type Optimizer,
  type ParamGroup,
  Adam,
  AdamW,
  type Tensor,
  clipGradNormTensor,
  loadSafetensors,
  manualSeed,
  noGrad,
  resolveDevice,
  scope,
  setAllowTF32,
  setJitOptimization,
  setNumThreads,
  withAutocast,
} from '../torch/index.js';
import { AudioBatchSource, type BatchSource, FeatureBatchSource } from './batch-source.js';
import type { HookResult, TrainerCallbacks, TrainerContext } from './callbacks.js';
import { type CheckpointKind, type TrainerState, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { EarlyStopping } from './early-stopping.js';
import { LossWindow } from './loss-window.js';
import { type EvaluationResult, evaluateModel } from './evaluation.js';
import { MetricsLogWriter, type MetricsRecord, readMetricsLog } from './metrics-log.js';
import { checkMonitorName, monitorValue } from './monitor.js';
import { classWeightsOf, prepareBackbone, prepareCorpus, preprocessOptions } from './prepare.js';
import { DataParallel } from '../distributed/data-parallel.js';
import type { DistributedOptions } from '../distributed/options.js';
import { batchesPerRank, shardEpoch } from '../distributed/shard.js';
import { type ProgressReporter, createProgressReporter } from './progress.js';
import { writeReportHtml } from './report-html.js';
import { RunDir } from './run-dir.js';
import { lrFactor } from './schedule.js';

export interface TrainerCreateOptions {
  /** The run config (validated here); ignored when resuming. */
  config?: RunConfig | RunConfigInput;
  /** Continue the run in this folder from its `last` checkpoint. */
  resume?: string;
  /** When resuming: settings that may change (device, threads, progress). */
  resumeOverrides?: Partial<Pick<RunConfig['train'], 'device' | 'threads' | 'progress'>>;
  callbacks?: TrainerCallbacks[];
  /** Progress display; default from train.progress. */
  progress?: ProgressReporter;
  /** Stop cleanly on SIGINT (Ctrl-C) after writing `last`. Default false (the CLI turns it on). */
  handleSignals?: boolean;
  /** Data-parallel training: this process's place in a run of several (see src/distributed; distributedFromEnv reads torchrun's variables). */
  distributed?: DistributedOptions;
}

export type FitStatus = 'completed' | 'stopped' | 'interrupted';

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

const INITIAL_STATE: TrainerState = {
  version: 1,
  stage: 0,
  epoch: 0,
  batchInEpoch: 0,
  stepInStage: 0,
  globalStep: 0,
  earlyStopping: { best: null, bad: 0 },
  best: null,
  stageBest: [],
  backboneTrained: false,
  stageDone: false,
  finished: false,
};

/** "avb-mtl-2026-11-23T18-40-05" */
function defaultRunName(recipe: string): string {
  return `${recipe}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}`;
}

export class Trainer {
  private state: TrainerState;
  private stopReason: string | undefined;
  private interrupted = false;
  private readonly callbacks: TrainerCallbacks[];
  private readonly metricsLog: MetricsLogWriter;
  private readonly audio: AudioBatchSource;
  private features: FeatureBatchSource | undefined;
  private readonly precision: 'bf16' | 'fp32';
  private sigintHandler: (() => void) | undefined;
  /** The file whose weights the backbone in memory holds; undefined once trained since. */
  private backboneWeightsFrom: string | undefined;
  /** Set in data-parallel runs (src/distributed). */
  private parallel: DataParallel | undefined;

  private constructor(
    readonly config: RunConfig,
    readonly runDir: RunDir,
    readonly corpus: Corpus,
    readonly model: MultitaskModel,
    readonly device: Device,
    private readonly loader: BatchLoader,
    private readonly lengths: Int32Array,
    private readonly sampleWeights: Float32Array | undefined,
    private readonly initialBackbonePath: string,
    private readonly progress: ProgressReporter,
    state: TrainerState,
    options: TrainerCreateOptions,
  ) {
    this.state = state;
    this.backboneWeightsFrom = path.resolve(model.backbone.path);
    this.callbacks = options.callbacks ?? [];
    this.metricsLog = new MetricsLogWriter(runDir.file('metrics.jsonl'));
    this.audio = new AudioBatchSource(loader, device, this.sampleRate);
    const precision = config.train.precision;
    this.precision = precision === 'auto' ? (device.startsWith('cuda') ? 'bf16' : 'fp32') : precision;
    if (options.handleSignals) this.installSignalHandler();
  }

  /** Prepare a run: corpus, backbone, model, loader and run folder. */
  static async create(options: TrainerCreateOptions): Promise<Trainer> {
    let config: RunConfig;
    // A new run's folder is created only once everything below is validated, so a failed start leaves nothing behind.
    let runDir: RunDir | undefined;
    let state = structuredClone(INITIAL_STATE);
    let resumeBackbone: string | null = null;
    const progress = options.progress;
    const log = (line: string) => (progress ? progress.log(line) : console.error(line));
    const parallel = options.distributed ? DataParallel.connect(options.distributed) : undefined;

    if (parallel?.follower) {
      ({ config, state, runDir } = parallel.follow(options));
    } else if (options.resume) {
      runDir = RunDir.open(options.resume);
      const saved = validateConfig(runDir.readJson('config.json'), path.join(runDir.path, 'config.json'));
      config = { ...saved, train: { ...saved.train, ...options.resumeOverrides } };
      const last = readCheckpoint(runDir, 'last');
      if (!last) throw new ConfigError(`${runDir.path} has no checkpoints/last to resume from (it stopped before its first checkpoint): start it again instead`);
      state = last.state;
      if (state.finished) throw new ConfigError(`${runDir.path} already finished training; nothing to resume (use \`vbt eval\` or \`vbt predict\`)`);
      resumeBackbone = last.backbone;
    } else {
      if (!options.config) throw new ConfigError('Trainer.create: give a config or a run folder to resume');
      const parsed = RunConfigSchema.safeParse(options.config);
      config = parsed.success ? parsed.data : validateConfig(options.config, 'Trainer.create');
      const monitorProblem = checkMonitorName(config.train.monitor.name);
      if (monitorProblem) throw new ConfigError(monitorProblem);
      runDir = undefined;
      RunDir.checkAvailable(config.output.dir, (config.output.name ??= defaultRunName(config.recipe)), { overwrite: config.output.overwrite });
    }
    parallel?.lead(config, state, runDir);

    if (config.train.threads !== 'auto') setNumThreads(config.train.threads);
    setJitOptimization(config.train.jitOptimize);
    const device = parallel ? parallel.start(config.train.device) : resolveDevice(config.train.device);
    if (device.startsWith('cuda')) setAllowTF32(true);
    manualSeed(config.train.seed);

    const tasks = config.model.tasks;
    parallel?.beforeSharedFiles();
    const corpus = await prepareCorpus(config.data, tasks, log);
    const train = splitIndices(corpus.clips, 'Train');
    const val = splitIndices(corpus.clips, 'Val');
    if (train.length === 0) throw new ConfigError(`the corpus at ${corpus.root} has no Train clips`);
    if (val.length === 0) throw new ConfigError(`the corpus at ${corpus.root} has no Val clips: validation and early stopping need them`);

    const initialBackbonePath = await prepareBackbone(config.backbone, config.data.cacheDir, log);
    parallel?.afterSharedFiles();
    const backbone = Backbone.load(resumeBackbone ?? initialBackbonePath, { device });
    const classWeights = classWeightsOf(corpus, train, tasks);
    const model = buildModel(config.model, backbone, { classWeights, cccVariant: config.metrics.cccVariant, device });
    const sampleWeights =
      config.model.kind === 'avb-mtl' && config.model.sampleWeights && corpus.tasks.includes('country')
        ? inverseCountrySampleWeights(corpus.clips, train)
        : undefined;

    const preprocess = preprocessOptions(config.data, backbone.sampleRate);
    const lengths = preprocessedLengths(corpus.clips, preprocess);
    if (!runDir) {
      runDir = RunDir.create(config.output.dir, config.output.name!, { overwrite: config.output.overwrite });
      runDir.writeJson('config.json', config);
    }
    const loader = new BatchLoader({
      clips: corpus.clips,
      tasks,
      preprocess,
      ...(config.data.cacheDir !== null ? { cacheDir: path.resolve(config.data.cacheDir, 'audio') } : {}),
      ...(config.data.numWorkers === 'auto' ? {} : { numWorkers: config.data.numWorkers }),
      ...(sampleWeights ? { sampleWeights } : {}),
      scaleAge: true,
    });
    const reporter = progress ?? createProgressReporter({ mode: config.train.progress === 'none' ? 'silent' : config.train.progress });
    const trainer = new Trainer(config, runDir, corpus, model, device, loader, lengths, sampleWeights, initialBackbonePath, reporter, state, options);
    trainer.parallel = parallel;
    if (state.globalStep > 0) trainer.log(`resuming ${runDir.path} at stage ${state.stage + 1}, epoch ${state.epoch + 1}, step ${state.globalStep}`);
    // Restore the trained part (heads, and the optimizer in runStage) from `last`.
    if (options.resume) trainer.loadWeights('last');
    parallel?.broadcastModel(model);
    return trainer;
  }

  // ---- plumbing --------------------------------------------------------------

  private get sampleRate(): number {
    return this.model.backbone.sampleRate;
  }

  private log(line: string): void {
    this.progress.log(line);
  }

  private autocast = <T>(fn: () => T): T => {
    if (this.precision !== 'bf16') return fn();
    return withAutocast(this.device.startsWith('cuda') ? 'cuda' : 'cpu', 'bfloat16', fn);
  };

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
    if (this.parallel) this.parallel.requestStop(reason); // held until the ranks agree at the end of the step
    else this.stopReason ??= reason;
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

  private clipSeconds = (i: number): number => (this.lengths[i] ?? 0) / this.sampleRate;

  /** Batches of a split for evaluation: fixed order, grouped by length to cut padding. */
  private evalPlans(split: Split): BatchPlan[] {
    return lengthSortedBatches(this.indices(split), this.lengths, this.config.data.evalBatchSize ?? this.config.data.batchSize);
  }

  private trainPlans(stageIndex: number, epoch: number): BatchPlan[] {
    const cfg = this.config;
    return planEpoch({
      clips: this.corpus.clips,
      indices: this.indices('Train'),
      batchSize: cfg.data.batchSize,
      seed: cfg.train.seed + 7919 * stageIndex,
      epoch,
      ...(cfg.data.bucketing ? { lengths: this.lengths } : {}),
      ...(cfg.model.kind === 'burst2vec' ? { taskRotation: cfg.model.tasks } : {}),
      oversample: cfg.data.oversample,
    });
  }

  // ---- weights ---------------------------------------------------------------

  /** Load the weights of a checkpoint into the model (heads always; backbone as the checkpoint says). */
  private loadWeights(kind: CheckpointKind): boolean {
    const ckpt = readCheckpoint(this.runDir, kind);
    if (!ckpt) return false;
    const { tensors } = loadSafetensors(ckpt.heads, { device: this.device });
    try {
      this.model.head.loadStateDict(tensors);
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
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

  private saveCheckpoint(kinds: CheckpointKind[], optimizer: Optimizer | null, stageIndex: number): void {
    if (this.parallel?.follower) return; // only rank 0 writes the run folder
    const dirs = writeCheckpoint(this.runDir, kinds, {
      heads: this.model.head.stateDict(),
      backbone: this.state.backboneTrained ? this.model.backbone : null,
      optimizer: optimizer ? optimizer.saveState() : null,
      state: this.state,
    });
    void this.emit('onCheckpoint', this.context(stageIndex), { kinds, dirs });
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
    const optimizer = stage.optimizer === 'adamw' ? new AdamW(groups, settings) : new Adam(groups, settings);
    return { optimizer, baseLrs: groups.map((g) => g.lr!), trainable: [...headParams, ...backboneParams] };
  }

  // ---- the loop ------------------------------------------------------------------

  /** Train every remaining stage; returns when done, stopped early, or interrupted. */
  async fit(): Promise<FitResult> {
    const stages = this.config.train.stages;
    await this.emit('onTrainStart', this.context(Math.min(this.state.stage, stages.length - 1)));
    try {
      while (this.state.stage < stages.length && !this.stopReason) {
        await this.runStage(this.state.stage);
        if (this.stopReason) break;
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
        this.saveCheckpoint(['last'], null, Math.min(this.state.stage, stages.length - 1));
      }
    } finally {
      this.progress.stop();
    }
    const status: FitStatus = this.interrupted ? 'interrupted' : this.stopReason ? 'stopped' : 'completed';
    const final = status === 'interrupted' ? null : await this.finalEvaluation();
    const reportPath = this.writeReport(final);
    await this.emit('onTrainEnd', this.context(Math.min(this.state.stage, stages.length - 1)), { status });
    return {
      status,
      ...(this.stopReason ? { reason: this.stopReason } : {}),
      runDir: this.parallel?.runDirPath ?? this.runDir.path,
      globalStep: this.state.globalStep,
      best: this.state.best,
      final,
      reportPath,
    };
  }

  private async runStage(stageIndex: number): Promise<void> {
    const stage = this.config.train.stages[stageIndex]!;
    const resumingMidStage = this.state.stepInStage > 0 || this.state.batchInEpoch > 0 || this.state.epoch > 0;
    if (stageIndex > 0 && stage.loadBest && !resumingMidStage) {
      if (this.loadWeights('best')) this.log(`stage ${stage.name}: starting from the best checkpoint so far`);
      this.parallel?.broadcastModel(this.model);
    }
    this.model.backbone.freeze(stage.freeze);
    this.model.backbone.train(stage.freeze !== 'all');
    this.model.head.train(true);
    const { optimizer, baseLrs, trainable } = this.makeOptimizer(stage);
    try {
      if (resumingMidStage) {
        const last = readCheckpoint(this.runDir, 'last');
        const saved = this.parallel ? this.parallel.shareBytes(last?.optimizer ?? null) : (last?.optimizer ?? null);
        if (saved) optimizer.loadState(saved);
      }
      const source = await this.stageSource(stage);
      const early = new EarlyStopping(
        { mode: this.config.train.monitor.mode, patience: stage.patience, minDelta: stage.minDelta },
        this.state.earlyStopping,
      );
      const batchesPerEpoch = batchesPerRank(this.trainPlans(stageIndex, 0).length, this.parallel?.worldSize);
      const stepsPerEpoch = Math.ceil(batchesPerEpoch / stage.accumulate);
      const totalSteps = Math.min(stage.epochs * stepsPerEpoch, stage.maxSteps ?? Number.POSITIVE_INFINITY);
      const schedule = { kind: stage.schedule, totalSteps, warmupSteps: Math.round(stage.warmupEpochs * stepsPerEpoch) };
      this.log(
        `stage ${stageIndex + 1}/${this.config.train.stages.length} "${stage.name}": backbone frozen: ${stage.freeze}, ` +
          `${trainable.length} trainable tensors, ${stage.epochs} epochs × ${stepsPerEpoch} steps, ${stage.optimizer} lr ${stage.lr}` +
          `${source === this.features ? ', cached backbone features' : ''}, device ${this.device}, ${this.precision}`,
      );
      this.progress.start(totalSteps, stage.name);
      this.progress.update(this.state.stepInStage);
      await this.emit('onStageStart', this.context(stageIndex));

      let stop = false;
      for (let epoch = this.state.epoch; epoch < stage.epochs && !stop && !this.stopReason; epoch++) {
        this.state.epoch = epoch;
        await this.emit('onEpochStart', this.context(stageIndex));
        const plans = this.trainPlans(stageIndex, epoch);
        const result = await this.runEpoch({ stageIndex, stage, plans, source, optimizer, baseLrs, trainable, schedule, totalSteps, early });
        stop = result.stop;
        if (this.stopReason) break;
        if (!result.stop || result.reason === 'steps') {
          this.state.epoch = epoch + 1;
          this.state.batchInEpoch = 0;
        }
        // Every epoch ends with a validation, also one a step limit cut short.
        if (stage.validateEvery === 'epoch' && result.reason !== 'patience') {
          stop = (await this.validate(stageIndex, stage, optimizer, early, epoch + 1)) || stop;
        }
        await this.emit('onEpochEnd', this.context(stageIndex));
      }
      if (this.stopReason) this.saveCheckpoint(['last'], optimizer, stageIndex);
      else this.state.stageDone = true;
      await this.emit('onStageEnd', this.context(stageIndex));
    } finally {
      optimizer.dispose();
    }
  }

  /** Audio, or cached features when the backbone is frozen and the stage asks for it. */
  private async stageSource(stage: StageConfig): Promise<BatchSource> {
    if (!(stage.cacheFeatures && stage.freeze === 'all')) return this.audio;
    if (!this.features) {
      this.features = new FeatureBatchSource(
        this.corpus.clips,
        this.model.tasks,
        this.device,
        this.clipSeconds,
        this.sampleWeights,
        true,
      );
    }
    if (this.features.size === 0) {
      const t0 = performance.now();
      const plans = [...this.evalPlans('Train'), ...this.evalPlans('Val')];
      await this.features.fill(this.model, this.audio, plans, this.autocast);
      this.log(`cached pooled backbone features of ${this.features.size} clips in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return this.features;
  }

  private async runEpoch(args: {
    stageIndex: number;
    stage: StageConfig;
    plans: BatchPlan[];
    source: BatchSource;
    optimizer: Optimizer;
    baseLrs: number[];
    trainable: Tensor[];
    schedule: { kind: StageConfig['schedule']; totalSteps: number; warmupSteps: number };
    totalSteps: number;
    early: EarlyStopping;
  }): Promise<{ stop: boolean; reason?: 'patience' | 'steps' }> {
    const { stageIndex, stage, plans, source, optimizer, baseLrs, trainable, schedule, totalSteps, early } = args;
    const cfg = this.config;
    const skip = this.state.batchInEpoch;
    // This rank's batches; positions count batches of the whole plan (see src/distributed/shard.ts).
    const shard = shardEpoch(plans, skip, this.parallel?.rank, this.parallel?.worldSize);
    let consumed = skip;
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
          const out = this.autocast(() => this.model.loss(b.device));
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
      this.parallel?.syncGradients(trainable);
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
      if (logging && !window.empty) this.logTrain(stageIndex, stage, window, lr, plans.length);
      else this.progress.update(this.state.stepInStage, { stage: stage.name, epoch: this.state.epoch });
      await this.emit('onStepEnd', this.context(stageIndex), { loss: null, lr, samples: b.device.size });
      // Give the event loop a turn (Ctrl-C, timers) even when batches are built inline.
      await new Promise((resolve) => setImmediate(resolve));

      // Step-based validation; per-epoch validation is the stage loop's, after each epoch.
      const atStepLimit = this.state.stepInStage >= totalSteps;
      const everySteps = typeof stage.validateEvery === 'number' ? stage.validateEvery : 0;
      if (everySteps > 0 && (this.state.stepInStage % everySteps === 0 || atStepLimit)) {
        const stop = await this.validate(stageIndex, stage, optimizer, early, this.state.epoch + consumed / plans.length);
        if (stop) return { stop: true, reason: 'patience' };
      }
      if (atStepLimit) return { stop: true, reason: 'steps' };
      if (this.parallel) this.stopReason ??= this.parallel.agreeStop();
      if (this.stopReason) return { stop: true };
    }
    return { stop: false };
  }

  private logTrain(stageIndex: number, stage: StageConfig, window: LossWindow, lr: Record<string, number>, batchesPerEpoch: number): void {
    const summary = window.read();
    if (!Number.isFinite(summary.loss)) {
      throw new Error(
        `the training loss became ${summary.loss} before step ${this.state.globalStep} (stage ${stage.name}); lower the learning rate or enable train.stages.${stageIndex}.gradClip`,
      );
    }
    const record: MetricsRecord = {
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
    if (!this.parallel?.follower) this.metricsLog.write(record);
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
    return this.features && !this.state.backboneTrained && this.model.backbone.frozen === 'all' ? this.features : this.audio;
  }

  /** Validate, log, checkpoint; returns whether early stopping says stop. */
  private async validate(stageIndex: number, stage: StageConfig, optimizer: Optimizer, early: EarlyStopping, epochLabel: number): Promise<boolean> {
    const result = await (this.parallel?.evaluate ?? evaluateModel)({
      model: this.model,
      source: this.valSource(),
      plans: this.evalPlans('Val'),
      cccVariant: this.config.metrics.cccVariant,
      autocast: this.autocast,
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
    if (!this.parallel?.follower) this.metricsLog.write({
      kind: 'val',
      step: this.state.globalStep,
      epoch: epochLabel,
      stage: stage.name,
      time: new Date().toISOString(),
      ...(result.loss !== null ? { loss: result.loss } : {}),
      taskLosses: result.taskLosses,
      metrics: result.report,
      monitor: { name: monitor.name, value, mode: monitor.mode, best: better },
    });
    this.log(this.describeValidation(stage, epochLabel, result, monitor.name, value, improved));
    this.saveCheckpoint(better ? ['last', 'best'] : ['last'], optimizer, stageIndex);
    await this.emit('onValidation', this.context(stageIndex), { report: result.report, loss: result.loss, taskLosses: result.taskLosses, monitor: value, improved });
    if (stop) this.log(`stage ${stage.name}: no improvement of ${monitor.name} for ${stage.patience} validations, stopping the stage`);
    return this.parallel ? this.parallel.leaderDecides(stop) : stop;
  }

  private describeValidation(stage: StageConfig, epochLabel: number, r: EvaluationResult, monitor: string, value: number, improved: boolean): string {
    const parts = Object.entries(r.report.tasks).map(([t, rep]) => `${t} ${TASK_SPECS[t as Task].metric.toUpperCase()} ${rep!.value.toFixed(3)}`);
    const loss = r.loss === null ? '' : ` loss ${r.loss.toFixed(4)}`;
    return `[${stage.name} epoch ${Number(epochLabel.toFixed(2))} step ${this.state.globalStep}] val${loss} | ${parts.join(' | ')} | ${monitor} ${value.toFixed(4)}${improved ? ' (best of stage)' : ''}`;
  }

  // ---- after training --------------------------------------------------------------

  private async finalEvaluation(): Promise<MetricsReport | null> {
    if (this.parallel?.follower) return null; // rank 0 evaluates the best checkpoint alone
    if (!this.loadWeights('best')) return null;
    this.model.backbone.freeze('none');
    const result = await evaluateModel({
      model: this.model,
      source: this.audio,
      plans: this.evalPlans('Val'),
      cccVariant: this.config.metrics.cccVariant,
      autocast: this.autocast,
      withLoss: true,
    });
    this.runDir.writeJson('final-metrics.json', { checkpoint: 'best', split: 'Val', best: this.state.best, metrics: result.report });
    return result.report;
  }

  private writeReport(final: MetricsReport | null): string {
    if (this.parallel?.follower) return path.join(this.parallel.runDirPath ?? '', 'report.html');
    const file = this.runDir.file('report.html');
    const records = readMetricsLog(this.runDir.file('metrics.jsonl'));
    writeReportHtml(file, {
      runName: this.runDir.name,
      records,
      config: this.config,
      ...(final ? { final, finalLabel: 'best checkpoint on the validation split' } : {}),
      recipe: this.config.model.kind === 'burst2vec' ? 'exvo-burst2vec' : 'avb-mtl',
      syntheticData: this.config.data.corpus.kind === 'synthetic',
    });
    return file;
  }

  /** Free the loader's workers, the model and the signal handler. */
  async close(): Promise<void> {
    if (this.sigintHandler) process.off('SIGINT', this.sigintHandler);
    this.metricsLog.close();
    await this.loader.close();
    this.model.dispose();
    this.parallel?.close();
  }

  /** Number of CPU cores, for messages. */
  static cores(): number {
    return os.availableParallelism();
  }

  /** The clips of the corpus (for callers building their own evaluations). */
  get clips(): readonly Clip[] {
    return this.corpus.clips;
  }
}
