/**
 * Assembling a run from its config: the steps training and inference share.
 *
 *   process settings (threads, TorchScript optimisation, TF32 on CUDA)
 *   corpus + backbone export   (prepare.ts: read or generate, export if random)
 *   ─► backbone on the device ─► model (class weights from the training split)
 *   ─► preprocessing at the backbone's rate, clip lengths, the batch loader
 *   ─► the precision rule (autocast)
 *
 * `Trainer.create` and `InferenceSession.open` differ only in where the
 * config and the weights come from. `assembleModel` is the model part alone
 * (no corpus, no loader), for prediction on audio from anywhere.
 */
import path from 'node:path';
import type { PreprocessOptions } from '../audio/preprocess-settings.js';
import { ConfigError } from '../config/errors.js';
import type { RunConfig, TrainConfig } from '../config/schema.js';
import type { Corpus } from '../data/corpus/corpus.js';
import { BatchLoader, inverseCountrySampleWeights, preprocessedLengths, splitIndices } from '../data/index.js';
import { Backbone } from '../model/backbone.js';
import { buildModel } from '../model/build-model.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import type { Task } from '../tasks.js';
import { type Device, type ThreadChoice, blasAdvice, blasInUse, chooseThreads, setAllowTF32, setJitOptimization, setNumThreads } from '../torch/index.js';
import { AudioBatchSource } from './batch-source.js';
import { type Autocast, type Precision, autocastFor, resolvePrecision } from './precision.js';
import { classWeightsOf, preprocessOptions } from './prepare.js';

/**
 * Settings of this process that a run's config decides. Call before loading
 * anything onto the device. Returns the CPU threads chosen (LibTorch's own
 * default is one thread on many machines, so 'auto' means the physical
 * cores, or OMP_NUM_THREADS when set).
 */
export function applyProcessSettings(train: TrainConfig, device: Device): ThreadChoice {
  const threads = chooseThreads(train.threads);
  setNumThreads(threads.threads);
  setJitOptimization(train.jitOptimize);
  if (device.startsWith('cuda')) setAllowTF32(true);
  return threads;
}

/**
 * "2 CPU threads (physical cores), BLAS: OpenBLAS (OpenMP)", and on the CPU a
 * second line of advice when the BLAS slows training (blasAdvice).
 */
export function describeCpu(threads: ThreadChoice, device: Device): string {
  const blas = blasInUse();
  const line = `${threads.threads} CPU thread${threads.threads === 1 ? '' : 's'} (${threads.source}), BLAS: ${blas.name}, device ${device}`;
  const advice = device === 'cpu' ? blasAdvice(blas, threads.threads) : null;
  return advice === null ? line : `${line}\nnote: ${advice}`;
}

export interface AssembleOptions {
  config: RunConfig;
  corpus: Corpus;
  /** The backbone export whose weights to start from. */
  backbonePath: string;
  device: Device;
}

/** A run's model and data pipeline on a device. */
export interface AssembledRun {
  readonly model: MultitaskModel;
  readonly loader: BatchLoader;
  /** Audio batches on the device. */
  readonly audio: AudioBatchSource;
  readonly preprocess: PreprocessOptions;
  /** Samples of each whole clip after preprocessing. */
  readonly lengths: Int32Array;
  /** Longest row the backbone reads (data.preprocess.maxSeconds), and padded samples per batch (data.maxBatchSeconds), in samples. */
  readonly limits: { maxLength?: number; maxBatchLength?: number };
  /** Per-clip loss weights ("+SW"), when the config asks for them. */
  readonly sampleWeights: Float32Array | undefined;
  readonly precision: Precision;
  readonly autocast: Autocast;
  /** Stop the loader's workers and free the model. Idempotent. */
  close(): Promise<void>;
}

/** The data config's length limits in samples at the backbone's rate. */
function rowLimits(config: RunConfig, sampleRate: number): AssembledRun['limits'] {
  const { maxSeconds } = config.data.preprocess;
  const { maxBatchSeconds } = config.data;
  return {
    ...(maxSeconds !== null ? { maxLength: Math.max(1, Math.round(maxSeconds * sampleRate)) } : {}),
    ...(maxBatchSeconds !== null ? { maxBatchLength: Math.max(1, Math.round(maxBatchSeconds * sampleRate)) } : {}),
  };
}

/**
 * Pooling 'padded-mean' pads rows to model.padTo; a longer row would keep its
 * length and so pad every other clip of its batch further, changing their
 * pooled features with the company they keep. Windows of
 * data.preprocess.maxSeconds must fit in padTo (avb-mtl-code: 9.96 s, 159,360).
 * @throws ConfigError naming both fields and the largest maxSeconds that fits
 */
export function checkPaddedPooling(config: RunConfig, sampleRate: number): void {
  if (config.model.kind !== 'avb-mtl' || config.model.pooling !== 'padded-mean') return;
  const { padTo } = config.model;
  const { maxLength } = rowLimits(config, sampleRate);
  if (maxLength !== undefined && maxLength <= padTo) return;
  const seconds = config.data.preprocess.maxSeconds;
  throw new ConfigError(
    `model.pooling 'padded-mean' pads rows to model.padTo = ${padTo} samples, but data.preprocess.maxSeconds = ${seconds} ` +
      `allows longer rows, which would change the pooled features of every clip in their batch: ` +
      `set data.preprocess.maxSeconds to at most ${Math.floor((padTo / sampleRate) * 1e4) / 1e4} (padTo at ${sampleRate} Hz)`,
  );
}

/** One line about clips longer than the longest row, or undefined when there are none. */
export function longClipsNote(corpus: Corpus, run: AssembledRun): string | undefined {
  const max = run.limits.maxLength;
  if (max === undefined) return undefined;
  let count = 0;
  let longest = -1;
  run.lengths.forEach((n, i) => {
    if (n <= max) return;
    count++;
    if (longest < 0 || n > run.lengths[longest]!) longest = i;
  });
  if (count === 0) return undefined;
  const rate = run.model.backbone.sampleRate;
  const seconds = (n: number) => `${(n / rate).toFixed(1)} s`;
  return (
    `${count} clip${count === 1 ? ' is' : 's are'} longer than data.preprocess.maxSeconds (${seconds(max)}; the longest: ${corpus.clips[longest]!.id}, ${seconds(run.lengths[longest]!)}): ` +
    'training reads a random window of that length, evaluation covers each whole in windows'
  );
}

/** Per-clip weights inverse to the country's frequency in training ("+SW" of recipe A in its 'train' form; the paper's 'batch' form is the model's). */
function sampleWeightsOf(config: RunConfig, corpus: Corpus): Float32Array | undefined {
  const wanted = config.model.kind === 'avb-mtl' && config.model.sampleWeights === 'train' && corpus.tasks.includes('country');
  return wanted ? inverseCountrySampleWeights(corpus.clips, splitIndices(corpus.clips, 'Train')) : undefined;
}

export interface ModelAssembleOptions {
  config: RunConfig;
  /** The backbone export whose weights to start from. */
  backbonePath: string;
  device: Device;
  /** Class weights of the losses (from a corpus's training split); none for prediction only. */
  classWeights?: Partial<Record<Task, Float32Array>>;
}

/** A run's model on a device, with what feeding it needs: no corpus, no loader (prediction from audio of any source). */
export interface AssembledModel {
  readonly model: MultitaskModel;
  /** The audio preprocessing the run trained with, at the backbone's rate. */
  readonly preprocess: PreprocessOptions;
  /** Longest row the backbone reads (data.preprocess.maxSeconds), and padded samples per batch (data.maxBatchSeconds), in samples. */
  readonly limits: { maxLength?: number; maxBatchLength?: number };
  readonly precision: Precision;
  readonly autocast: Autocast;
}

/** Load the backbone and build the model a config describes. On failure, whatever was made is freed. */
export function assembleModel(options: ModelAssembleOptions): AssembledModel {
  const { config, device } = options;
  const backbone = Backbone.load(options.backbonePath, { device });
  let model: MultitaskModel;
  try {
    checkPaddedPooling(config, backbone.sampleRate);
    backbone.setTimeMasking(config.backbone.timeMasking);
    model = buildModel(config.model, backbone, { classWeights: options.classWeights ?? {}, device });
  } catch (err) {
    backbone.dispose();
    throw err;
  }
  try {
    const precision = resolvePrecision(config.train.precision, device);
    return {
      model,
      preprocess: preprocessOptions(config.data, backbone.sampleRate),
      limits: rowLimits(config, backbone.sampleRate),
      precision,
      autocast: autocastFor(precision, device),
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Load the backbone, build the model and start the loader. On failure, whatever was made is freed. */
export function assembleRun(options: AssembleOptions): AssembledRun {
  const { config, corpus, device } = options;
  const tasks = config.model.tasks;
  const classWeights = classWeightsOf(corpus, splitIndices(corpus.clips, 'Train'), tasks);
  const { model, preprocess, limits, precision, autocast } = assembleModel({ config, backbonePath: options.backbonePath, device, classWeights });
  const backbone = model.backbone;
  try {
    const { maxSeconds: _crop, ...whole } = preprocess;
    const lengths = preprocessedLengths(corpus.clips, whole);
    const sampleWeights = sampleWeightsOf(config, corpus);
    const loader = new BatchLoader({
      clips: corpus.clips,
      tasks,
      preprocess,
      ...(config.data.cacheDir !== null ? { cacheDir: path.resolve(config.data.cacheDir, 'audio') } : {}),
      ...(config.data.numWorkers === 'auto' ? {} : { numWorkers: config.data.numWorkers }),
      ...(sampleWeights ? { sampleWeights } : {}),
      scaleAge: true,
    });
    let closed = false;
    return {
      model,
      loader,
      audio: new AudioBatchSource(loader, device, backbone.sampleRate),
      preprocess,
      lengths,
      limits,
      sampleWeights,
      precision,
      autocast,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await loader.close();
        } finally {
          model.dispose();
        }
      },
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
