/**
 * A trained run opened for evaluation or prediction: its config, its corpus
 * (or another one in the same layout), the model with a checkpoint's weights.
 */
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { validateConfig } from '../config/load.js';
import type { CorpusConfig, RunConfig } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { Corpus } from '../data/corpus/corpus.js';
import { BatchLoader, lengthSortedBatches, preprocessedLengths, splitIndices } from '../data/index.js';
import type { Split } from '../data/schema.js';
import { Backbone } from '../model/backbone.js';
import { buildModel } from '../model/build-model.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import { type Device, loadSafetensors, resolveDevice, setJitOptimization, withAutocast } from '../torch/index.js';
import { AudioBatchSource } from '../train/batch-source.js';
import { type CheckpointKind, readCheckpoint } from '../train/checkpoint.js';
import { type EvaluationResult, evaluateModel } from '../train/evaluation.js';
import { classWeightsOf, prepareBackbone, prepareCorpus, preprocessOptions } from '../train/prepare.js';
import { RunDir } from '../train/run-dir.js';

export interface OpenOptions {
  checkpoint?: CheckpointKind;
  device?: Device | 'auto';
  /** Evaluate on another corpus than the run's (same tasks). */
  corpus?: CorpusConfig;
  batchSize?: number;
  log?: (line: string) => void;
}

export class InferenceSession {
  private constructor(
    readonly run: RunDir,
    readonly config: RunConfig,
    readonly corpus: Corpus,
    readonly model: MultitaskModel,
    readonly checkpoint: CheckpointKind,
    private readonly loader: BatchLoader,
    private readonly source: AudioBatchSource,
    private readonly lengths: Int32Array,
    private readonly precision: 'bf16' | 'fp32',
    private readonly device: Device,
  ) {}

  static async open(runDir: string, options: OpenOptions = {}): Promise<InferenceSession> {
    const log = options.log ?? ((line: string) => console.error(line));
    const run = RunDir.open(runDir);
    const config = validateConfig(run.readJson('config.json'), path.join(run.path, 'config.json'));
    const kind = options.checkpoint ?? 'best';
    const ckpt = readCheckpoint(run, kind);
    if (!ckpt) throw new ConfigError(`${run.path} has no checkpoints/${kind} (did training reach its first validation?)`);
    const device = resolveDevice(options.device ?? config.train.device);
    setJitOptimization(config.train.jitOptimize);
    const data = options.corpus ? { ...config.data, corpus: options.corpus } : config.data;
    const corpus = await prepareCorpus(data, config.model.tasks, log);
    const backbonePath = ckpt.backbone ?? (await prepareBackbone(config.backbone, config.data.cacheDir, log));
    const backbone = Backbone.load(backbonePath, { device });
    const train = splitIndices(corpus.clips, 'Train');
    const classWeights = classWeightsOf(corpus, train, config.model.tasks);
    const model = buildModel(config.model, backbone, { classWeights, cccVariant: config.metrics.cccVariant, device });
    const { tensors } = loadSafetensors(ckpt.heads, { device });
    try {
      model.head.loadStateDict(tensors);
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    const preprocess = preprocessOptions(config.data, backbone.sampleRate);
    const loader = new BatchLoader({
      clips: corpus.clips,
      tasks: config.model.tasks,
      preprocess,
      ...(config.data.cacheDir !== null ? { cacheDir: path.resolve(config.data.cacheDir, 'audio') } : {}),
      ...(config.data.numWorkers === 'auto' ? {} : { numWorkers: config.data.numWorkers }),
      scaleAge: true,
    });
    const precision = config.train.precision === 'auto' ? (device.startsWith('cuda') ? 'bf16' : 'fp32') : config.train.precision;
    const session = new InferenceSession(
      run,
      { ...config, data: { ...data, ...(options.batchSize ? { evalBatchSize: options.batchSize } : {}) } },
      corpus,
      model,
      kind,
      loader,
      new AudioBatchSource(loader, device, backbone.sampleRate),
      preprocessedLengths(corpus.clips, preprocess),
      precision,
      device,
    );
    return session;
  }

  /** Clips of a split, in a fixed order grouped by length. */
  plans(split: Split): BatchPlan[] {
    const indices = splitIndices(this.corpus.clips, split);
    if (indices.length === 0) throw new ConfigError(`the corpus at ${this.corpus.root} has no ${split} clips`);
    return lengthSortedBatches(indices, this.lengths, this.config.data.evalBatchSize ?? this.config.data.batchSize);
  }

  /** Predictions (and metrics where labels exist) of a split. */
  async evaluate(split: Split): Promise<EvaluationResult> {
    const autocast = <T>(fn: () => T): T =>
      this.precision === 'bf16' ? withAutocast(this.device.startsWith('cuda') ? 'cuda' : 'cpu', 'bfloat16', fn) : fn();
    return evaluateModel({
      model: this.model,
      source: this.source,
      plans: this.plans(split),
      cccVariant: this.config.metrics.cccVariant,
      autocast,
      withLoss: split !== 'Test',
      collectPredictions: true,
    });
  }

  async close(): Promise<void> {
    await this.loader.close();
    this.model.dispose();
  }
}
