/**
 * A trained run as a predictor of audio from anywhere: files of any
 * supported format, encoded bytes in memory, or samples.
 *
 *   const predictor = await Predictor.open('runs/x');
 *   const result = await predictor.predict('laugh.mp3');          // one result
 *   const [a, b] = await predictor.predict(['a.wav', { samples, sampleRate: 48000 }], { window: 2 });
 *   await predictor.close();
 *
 * Audio goes through the run's own preprocessing (mono, the backbone's rate,
 * the run's loudness normalisation). A clip is predicted as evaluation
 * predicts it: one prediction for the whole clip, a clip longer than
 * data.preprocess.maxSeconds covered by equal windows whose pooled features
 * are averaged. With `window` (and `hop`), a clip is cut into windows of its
 * own first, each predicted the same way, with its start and end.
 *
 * Batching: every clip or window is one item for the device. Items
 * submitted at about the same time, by one call or by many concurrent ones,
 * are taken together (`maxBatch` items at most, after a batching window of
 * `batchWindowMs` when other inputs are still being decoded), sorted by length and cut where padding to the longest
 * would exceed `maxPadding` of the real audio (a batch costs about its
 * padded length, so a 1 s clip padded to 4 s costs four), and each group
 * goes through the run's own planning of evaluation batches (rows, windows
 * of long clips, data.maxBatchSeconds).
 *
 * Padding: backbones whose convolutional feature encoder normalises over
 * time (wav2vec2 and HuBERT base) and data2vec-audio let the zero padding of
 * a batch touch the valid frames, as in the reference implementations, so a
 * clip's outputs move with what it is batched with (as in evaluation);
 * `maxBatch: 1` makes them independent of it. HuBERT large-style backbones
 * (layer-normalised convolutions) are not affected beyond float rounding.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { AudioError } from '../audio/audio-error.js';
import { AudioTooLongError, decodeAudio } from '../audio/decode-audio.js';
import { AudioPreprocessor } from '../audio/preprocessor.js';
import { ConfigError } from '../config/errors.js';
import type { RunConfig } from '../config/schema.js';
import type { Clip } from '../data/corpus/corpus.js';
import { collateBatch, lengthSortedBatches } from '../data/index.js';
import type { BackboneMetadata } from '../model/exporter.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import { type AssembledModel, applyProcessSettings, assembleModel } from '../run/assemble.js';
import { type CheckpointKind, type TrainerState, loadHeads, readCheckpoint } from '../run/checkpoint.js';
import { toDeviceBatch } from '../run/device-batch.js';
import { prepareBackbone } from '../run/prepare.js';
import { RunDir, readJsonFile } from '../run/run-dir.js';
import { TASKS, TASK_SPECS, type Task } from '../tasks.js';
import { type Device, type Tensor, noGrad, resolveDevice, scope } from '../torch/index.js';
import { type TaskOutputs, type TaskValues, seconds, taskOutputs } from './prediction-outputs.js';
import { RequestBatcher } from './request-batcher.js';

/** What can be predicted. A string is a file path. */
export type PredictInput =
  | string
  | { readonly path: string; readonly name?: string }
  /** An encoded audio file in memory (any supported format). */
  | { readonly bytes: Uint8Array; readonly name?: string }
  /** Mono samples (float, nominally in [-1, 1]) at any rate. */
  | { readonly samples: Float32Array; readonly sampleRate: number; readonly name?: string };

export interface PredictOptions {
  /** Cut each clip into windows of this many seconds, one prediction each (default: one prediction per clip). */
  readonly window?: number;
  /** Seconds between window starts (default: the window: back to back). */
  readonly hop?: number;
  /** Keep only the K most probable classes of classification tasks, most probable first. */
  readonly top?: number;
  /** Refuse audio longer than this many seconds (default: the Predictor's maxAudioSeconds). */
  readonly maxAudioSeconds?: number;
}

export interface PredictorOptions {
  /** Default: the run's device setting. */
  readonly device?: Device | 'auto';
  /** Default 'best'. */
  readonly checkpoint?: CheckpointKind;
  /** Most clips or windows per device batch (default: the run's evaluation batch size). 1 turns batching off. */
  readonly maxBatch?: number;
  /** How long the first item of a batch waits for others, in ms (default 5). */
  readonly batchWindowMs?: number;
  /**
   * Padding a device batch may carry, as a fraction of its real audio
   * (default 0.25): items of very different lengths are run in separate
   * batches rather than padded to the longest. Infinity: no bound.
   */
  readonly maxPadding?: number;
  /** Refuse audio longer than this many seconds (AudioTooLongError); default: no limit. */
  readonly maxAudioSeconds?: number;
  /** CPU threads for LibTorch (default: the run's train.threads; 'auto' is OMP_NUM_THREADS, else the physical cores). */
  readonly threads?: number;
  /** ffmpeg decodes running at once (default: the machine's cores). */
  readonly decodeConcurrency?: number;
  /** Progress lines (backbone export on first use); default stderr. */
  readonly log?: (line: string) => void;
}

/** One prediction: a whole clip, or one window of it. */
export interface PredictionWindow {
  /** Seconds from the start of the clip. */
  readonly start: number;
  readonly end: number;
  readonly outputs: TaskOutputs;
}

/** The predictions of one input. */
export interface PredictionResult {
  /** The file path, or the name given with the input; null when there is none. */
  readonly file: string | null;
  /** Seconds of audio (after resampling to the model's rate). */
  readonly duration: number;
  /** One entry (the whole clip) unless windows were asked for. */
  readonly windows: readonly PredictionWindow[];
}

/** What a run's model predicts and how it was trained: the server's GET /v1/model. */
export interface ModelInfo {
  readonly run: string;
  readonly recipe: string;
  readonly model: RunConfig['model']['kind'];
  readonly checkpoint: CheckpointKind;
  readonly tasks: readonly {
    readonly task: Task;
    readonly kind: 'regression' | 'classification';
    /** Output names (regression) or classes (classification). */
    readonly labels: readonly string[];
    readonly unit?: string;
  }[];
  readonly sampleRate: number;
  /** Longest stretch the backbone reads at once; longer clips are covered by averaged windows (null: whole clips). */
  readonly maxSeconds: number | null;
  readonly preprocess: { readonly normalize: boolean; readonly targetDbfs: number };
  readonly backbone: {
    readonly family: string;
    readonly config: string;
    readonly hiddenSize: number;
    readonly layers: number;
    readonly parameters: number;
    readonly inputNormalization: boolean;
    readonly source: string;
  };
  readonly training: {
    readonly globalStep: number;
    readonly best: TrainerState['best'];
    readonly monitor: RunConfig['train']['monitor'];
    /** The best checkpoint's metrics on Val (final-metrics.json), when the run finished and the checkpoint is 'best'. */
    readonly finalMetrics: unknown;
  };
}

/** One device item: a clip or a window of it, preprocessed. */
type Item = Float32Array;

/** A minimal counting semaphore. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Items (by length in samples) sorted by row length and cut into groups
 * whose padded audio (rows × the longest row) is at most (1 + maxPadding)
 * × their real audio. An item longer than `maxLength` counts as its
 * windows (rows of about equal length).
 */
export function paddingGroups(lengths: ArrayLike<number>, maxPadding: number, maxLength?: number): number[][] {
  const rowsOf = (n: number) => (maxLength !== undefined && n > maxLength ? Math.ceil(n / maxLength) : 1);
  const rowLength = (n: number) => n / rowsOf(n);
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => rowLength(lengths[a]!) - rowLength(lengths[b]!) || a - b);
  const groups: number[][] = [];
  let group: number[] = [];
  let rows = 0;
  let real = 0;
  for (const i of order) {
    const n = lengths[i]!;
    const r = rowsOf(n);
    // Sorted ascending: the new item's rows are the longest so far.
    if (group.length > 0 && (rows + r) * Math.ceil(rowLength(n)) > (1 + maxPadding) * (real + n)) {
      groups.push(group);
      group = [];
      rows = 0;
      real = 0;
    }
    group.push(i);
    rows += r;
    real += n;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Sample spans [start, end) of the predictions of a clip of `length` samples. */
export function predictionSpans(length: number, sampleRate: number, options: PredictOptions, minLength = 1): { start: number; end: number }[] {
  if (options.window === undefined) {
    if (options.hop !== undefined) throw new RangeError('hop needs window');
    return [{ start: 0, end: length }];
  }
  if (!(options.window > 0) || !Number.isFinite(options.window)) throw new RangeError(`window must be a positive number of seconds, got ${options.window}`);
  const hopSeconds = options.hop ?? options.window;
  if (!(hopSeconds > 0) || !Number.isFinite(hopSeconds)) throw new RangeError(`hop must be a positive number of seconds, got ${hopSeconds}`);
  const window = Math.max(1, Math.round(options.window * sampleRate));
  const hop = Math.max(1, Math.round(hopSeconds * sampleRate));
  const spans: { start: number; end: number }[] = [];
  for (let start = 0; start < length; start += hop) {
    const end = Math.min(length, start + window);
    // A last window too short for one backbone frame says nothing: it is left out (never the first).
    if (spans.length > 0 && end - start < minLength) break;
    spans.push({ start, end });
    if (end >= length) break;
  }
  return spans;
}

function checkPredictOptions(options: PredictOptions): void {
  if (options.top !== undefined && !(Number.isInteger(options.top) && options.top >= 1)) throw new RangeError(`top must be a positive integer, got ${options.top}`);
  if (options.maxAudioSeconds !== undefined && !(options.maxAudioSeconds > 0)) throw new RangeError(`maxAudioSeconds must be positive, got ${options.maxAudioSeconds}`);
  predictionSpans(1, 1, options);
}

export class Predictor {
  private closed = false;
  private readonly batcher: RequestBatcher<Item, TaskValues>;
  private readonly preprocessor: AudioPreprocessor;
  private readonly decodes: Limiter;
  private inFlight = 0;
  /** Inputs being read, decoded and preprocessed: items on their way to the batcher. */
  private preparing = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly maxPadding: number;

  private constructor(
    readonly run: RunDir,
    readonly config: RunConfig,
    readonly checkpoint: CheckpointKind,
    readonly device: Device,
    private readonly assembled: AssembledModel,
    private readonly state: TrainerState,
    private readonly options: PredictorOptions,
  ) {
    this.preprocessor = new AudioPreprocessor(assembled.preprocess);
    const maxBatch = options.maxBatch ?? config.data.evalBatchSize ?? config.data.batchSize;
    this.maxPadding = options.maxPadding ?? 0.25;
    this.batcher = new RequestBatcher((items) => this.runBatch(items), {
      maxBatch,
      windowMs: options.batchWindowMs ?? 5,
      // Wait for company only when other inputs are being read or decoded.
      expectMore: () => this.preparing > 0,
    });
    this.decodes = new Limiter(Math.max(1, options.decodeConcurrency ?? availableParallelism()));
  }

  /**
   * Open a run folder written by `vbt train`: its config, a checkpoint's
   * weights, the model on the device in eval mode.
   * @throws ConfigError for a folder that is not a run, or has no such checkpoint
   */
  static async open(runDir: string, options: PredictorOptions = {}): Promise<Predictor> {
    const log = options.log ?? ((line: string) => console.error(line));
    const run = RunDir.open(runDir);
    const config = run.readConfig();
    const kind = options.checkpoint ?? 'best';
    const ckpt = readCheckpoint(run, kind);
    if (!ckpt) throw new ConfigError(`${run.path} has no checkpoints/${kind} (did training reach its first validation?)`);
    if (options.maxBatch !== undefined && !(Number.isInteger(options.maxBatch) && options.maxBatch >= 1)) {
      throw new ConfigError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    if (options.maxAudioSeconds !== undefined && !(options.maxAudioSeconds > 0)) {
      throw new ConfigError(`maxAudioSeconds must be positive, got ${options.maxAudioSeconds}`);
    }
    if (options.maxPadding !== undefined && !(options.maxPadding >= 0)) throw new ConfigError(`maxPadding must be ≥ 0, got ${options.maxPadding}`);
    if (options.batchWindowMs !== undefined && !(options.batchWindowMs >= 0)) throw new ConfigError(`batchWindowMs must be ≥ 0, got ${options.batchWindowMs}`);
    const device = resolveDevice(options.device ?? config.train.device);
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
      throw new ConfigError(`threads must be a positive integer, got ${options.threads}`);
    }
    applyProcessSettings(options.threads !== undefined ? { ...config.train, threads: options.threads } : config.train, device);
    const backbonePath = ckpt.backbone ?? (await prepareBackbone(config.backbone, config.data.cacheDir, log));
    const assembled = assembleModel({ config, backbonePath, device });
    try {
      loadHeads(assembled.model.head, ckpt.heads, device);
      assembled.model.head.eval();
      assembled.model.backbone.eval();
    } catch (err) {
      assembled.model.dispose();
      throw err;
    }
    return new Predictor(run, config, kind, device, assembled, ckpt.state, options);
  }

  get model(): MultitaskModel {
    return this.assembled.model;
  }

  /** The model's tasks, in TASKS order. */
  get tasks(): readonly Task[] {
    return TASKS.filter((t) => this.assembled.model.tasks.includes(t));
  }

  /** Samples per second of the audio the model reads. */
  get sampleRate(): number {
    return this.assembled.model.backbone.sampleRate;
  }

  /** Most items per device batch. */
  get maxBatch(): number {
    return this.batcher.maxBatch;
  }

  /** Batching runs so far (each is one or more device batches, split by length), items run, the most items in one run. */
  get batchStats(): Readonly<{ runs: number; items: number; largest: number }> {
    return this.batcher.stats;
  }

  /** The audio preprocessing callers of an exported model must reproduce. */
  get preprocess(): AssembledModel['preprocess'] {
    return this.assembled.preprocess;
  }

  /** Tasks, outputs, classes, backbone metadata and training figures. */
  info(): ModelInfo {
    const meta: BackboneMetadata = this.model.backbone.metadata;
    let finalMetrics: unknown = null;
    if (this.checkpoint === 'best') {
      try {
        const final = readJsonFile(this.run.file('final-metrics.json')) as { split?: unknown; metrics?: unknown };
        finalMetrics = { split: final.split ?? null, metrics: final.metrics ?? null };
      } catch {
        finalMetrics = null;
      }
    }
    return {
      run: path.resolve(this.run.path),
      recipe: this.config.recipe,
      model: this.config.model.kind,
      checkpoint: this.checkpoint,
      tasks: this.tasks.map((task) => ({
        task,
        kind: TASK_SPECS[task].kind,
        labels: TASK_SPECS[task].labels,
        ...(task === 'age' ? { unit: 'years' } : TASK_SPECS[task].kind === 'classification' ? { unit: 'probability' } : { unit: '0-1' }),
      })),
      sampleRate: this.sampleRate,
      maxSeconds: this.config.data.preprocess.maxSeconds,
      preprocess: { normalize: this.config.data.preprocess.normalize, targetDbfs: this.config.data.preprocess.targetDbfs },
      backbone: {
        family: meta.family,
        config: meta.config,
        hiddenSize: meta.hidden_size,
        layers: meta.num_layers,
        parameters: meta.parameter_count,
        inputNormalization: meta.input_normalization === true,
        source: meta.source,
      },
      training: { globalStep: this.state.globalStep, best: this.state.best, monitor: this.config.train.monitor, finalMetrics },
    };
  }

  /**
   * Predict one input, or several (in order). Concurrent calls share device
   * batches. A failure of any input of an array rejects the whole call; call
   * once per input to handle each alone.
   * @throws AudioError (naming the file) for unreadable, unsupported, broken or too long audio;
   *   RangeError for bad options
   */
  predict(input: PredictInput, options?: PredictOptions): Promise<PredictionResult>;
  predict(inputs: readonly PredictInput[], options?: PredictOptions): Promise<PredictionResult[]>;
  async predict(input: PredictInput | readonly PredictInput[], options: PredictOptions = {}): Promise<PredictionResult | PredictionResult[]> {
    if (this.closed) throw new Error('the Predictor is closed');
    checkPredictOptions(options);
    this.inFlight++;
    try {
      if (Array.isArray(input)) return await Promise.all((input as readonly PredictInput[]).map((one) => this.predictOne(one, options)));
      return await this.predictOne(input as PredictInput, options);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /**
   * Say that an input is on its way (a request whose body is still being
   * read), so that the batcher waits its window for it; call the returned
   * function once it has been passed to `predict` (or given up).
   */
  incoming(): () => void {
    this.preparing++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.preparing--;
    };
  }

  /** The preprocessed samples of an input (mono, the model's rate, the run's loudness). */
  async preprocessInput(input: PredictInput, maxAudioSeconds?: number): Promise<{ file: string | null; samples: Float32Array }> {
    const limit = maxAudioSeconds ?? this.options.maxAudioSeconds;
    if (typeof input === 'string' || 'path' in input || 'bytes' in input) {
      const source = typeof input === 'string' ? { path: input } : 'path' in input ? { path: input.path } : { bytes: input.bytes };
      const file = typeof input === 'string' ? input : (input.name ?? ('path' in input ? input.path : null));
      const decoded = await this.decodes.run(() =>
        decodeAudio(source, { ...(file !== null ? { file } : {}), ...(limit !== undefined ? { maxSeconds: limit } : {}) }),
      );
      if (decoded.samples.length === 0) throw new AudioError('zero-length clip (no audio samples decoded)', file ?? undefined);
      return { file, samples: this.preprocessor.processSamples(decoded.samples, decoded.sampleRate, file ?? undefined) };
    }
    const file = input.name ?? null;
    const { samples, sampleRate } = input;
    if (!(samples instanceof Float32Array)) throw new AudioError('samples must be a Float32Array', file ?? undefined);
    if (!Number.isInteger(sampleRate) || sampleRate < 1000) throw new AudioError(`sampleRate must be an integer ≥ 1000 Hz, got ${sampleRate}`, file ?? undefined);
    if (limit !== undefined && samples.length / sampleRate > limit) throw new AudioTooLongError(samples.length / sampleRate, limit, file ?? undefined);
    for (let i = 0; i < samples.length; i++) {
      if (!Number.isFinite(samples[i]!)) throw new AudioError(`samples hold a non-finite value at index ${i}`, file ?? undefined);
    }
    return { file, samples: this.preprocessor.processSamples(samples, sampleRate, file ?? undefined) };
  }

  private async predictOne(input: PredictInput, options: PredictOptions): Promise<PredictionResult> {
    let prepared: { file: string | null; samples: Float32Array };
    this.preparing++;
    try {
      prepared = await this.preprocessInput(input, options.maxAudioSeconds);
    } finally {
      this.preparing--;
    }
    const { file, samples } = prepared;
    const rate = this.sampleRate;
    const minLength = this.model.backbone.metadata.receptive_field ?? 400;
    if (samples.length < minLength) {
      throw new AudioError(`audio is ${seconds(samples.length, rate)} s long, shorter than one frame of the model (${seconds(minLength, rate)} s)`, file ?? undefined);
    }
    const spans = predictionSpans(samples.length, rate, options, minLength);
    const values = await Promise.all(spans.map((s) => this.batcher.submit(samples.subarray(s.start, s.end))));
    return {
      file,
      duration: seconds(samples.length, rate),
      windows: spans.map((s, i) => ({ start: seconds(s.start, rate), end: seconds(s.end, rate), outputs: taskOutputs(values[i]!, options.top) })),
    };
  }

  /** One device pass over a batch of items (synchronous): the run's evaluation plans, the model in eval mode. */
  private runBatch(items: Item[]): TaskValues[] {
    const lengths = Int32Array.from(items, (s) => s.length);
    const groups = paddingGroups(lengths, this.maxPadding, this.assembled.limits.maxLength);
    const plans = groups.flatMap((group) => lengthSortedBatches(group, lengths, this.batcher.maxBatch, this.assembled.limits));
    const clips: Clip[] = items.map((_, i) => ({ id: String(i), split: 'Test', audioPath: '', labels: {}, source: { file: '', row: 0, column: '' } }));
    const results: TaskValues[] = new Array<TaskValues>(items.length);
    const model = this.model;
    const rate = this.sampleRate;
    for (const plan of plans) {
      const rows = plan.segments
        ? plan.segments.map((s) => items[plan.clipIndices[s.clip]!]!.subarray(s.start, s.start + s.length))
        : plan.clipIndices.map((i) => items[i]!);
      const batch = collateBatch(clips, plan, rows, { tasks: [], scaleAge: true });
      const host = noGrad(() =>
        scope(() => {
          const device = toDeviceBatch(batch, { device: this.device, sampleRate: rate });
          const out = this.assembled.autocast(() => model.evaluate(device, { withLoss: false }));
          const arrays: Partial<Record<Task, Float32Array>> = {};
          for (const [task, p] of Object.entries(out.predictions) as [Task, Tensor][]) arrays[task] = p.float().toArray() as Float32Array;
          return arrays;
        }),
      );
      plan.clipIndices.forEach((itemIndex, row) => {
        const values: TaskValues = {};
        for (const task of model.tasks) {
          const all = host[task];
          if (!all) continue;
          const size = TASK_SPECS[task].size;
          values[task] = all.slice(row * size, (row + 1) * size);
        }
        results[itemIndex] = values;
      });
    }
    return results;
  }

  /** Resolves when no prediction is in progress. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuse new predictions, let those in progress finish, free the model. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    await this.batcher.idle();
    this.assembled.model.dispose();
  }
}
