/**
 * The run configuration: the single source of truth for every knob of both
 * recipes. Named recipes (./recipes) are complete values of this schema; a
 * config file and command-line flags override parts of them, and the result
 * is validated here before anything runs.
 */
import { z } from 'zod';
import { TASKS } from '../tasks.js';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();
const probability = z.number().min(0).max(1);

export const TaskSchema = z.enum(TASKS);

export const DeviceSchema = z
  .string()
  .regex(/^(auto|cpu|cuda|cuda:\d+)$/, "expected 'auto', 'cpu', 'cuda' or 'cuda:N'") as z.ZodType<'auto' | 'cpu' | 'cuda' | `cuda:${number}`>;

/** Where the clips come from. */
export const CorpusSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('avb'),
    /** Folder holding data_info.csv, labels/ and audio/wav/. */
    root: z.string().min(1),
  }),
  z.strictObject({
    kind: z.literal('exvo'),
    /** Folder holding data_info.csv and wav/. */
    root: z.string().min(1),
  }),
  z.strictObject({
    kind: z.literal('manifest'),
    /** CSV or JSONL file with path, split and label columns. */
    path: z.string().min(1),
    /** Folder that relative audio paths resolve against (default: the manifest's folder). */
    root: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('synthetic'),
    layout: z.enum(['avb', 'exvo']),
    clips: positiveInt.default(360),
    seed: z.number().int().default(0),
    /** Where to write it (default: under the cache folder, reused when it exists). */
    dir: z.string().optional(),
  }),
]);

export const DataSchema = z.strictObject({
  corpus: CorpusSchema,
  /** Drop bad rows (with a report) instead of stopping at the first. */
  skipBad: z.boolean().default(false),
  /** Allow audio paths outside the corpus folder. */
  allowAbsolutePaths: z.boolean().default(false),
  preprocess: z
    .strictObject({
      /** RMS loudness normalisation (Burst2Vec: on, −3 dBFS). */
      normalize: z.boolean().default(true),
      targetDbfs: z.number().max(0).default(-3),
      /**
       * Longest stretch of audio the backbone reads at once, in seconds.
       * Training reads a random window of this length from a longer clip
       * (a new one each epoch); evaluation and prediction cover a longer clip
       * whole, in equal windows no longer than this, whose pooled features
       * are averaged. null: whole clips, whatever their length.
       */
      maxSeconds: z.number().positive().nullable().default(10),
    })
    .prefault({}),
  /** Clips per batch (the most; see maxBatchSeconds). */
  batchSize: positiveInt.default(32),
  /**
   * Padded audio a batch may hold, in seconds: clips × the batch's longest
   * (cropped) clip. Batches of long clips then hold fewer clips, so memory
   * stays bounded; null: batchSize clips, whatever their length.
   */
  maxBatchSeconds: z.number().positive().nullable().default(null),
  /** Batch size for validation and prediction (default: batchSize). */
  evalBatchSize: positiveInt.optional(),
  /** Decoding worker threads; 'auto' = cores − 1 (1 to 4); 0 decodes on the main thread. */
  numWorkers: z.union([z.literal('auto'), z.number().int().nonnegative()]).default('auto'),
  /** Sort clips by length inside shuffled windows to cut padding. */
  bucketing: z.boolean().default(true),
  /** Oversample rare (age, country, emotion) regions (Burst2Vec "+Oversampling"). */
  oversample: z.boolean().default(false),
  /** Folder for preprocessed audio, exported backbones and synthetic corpora; null disables the audio cache. */
  cacheDir: z.string().nullable().default('.vbt-cache'),
});

/** The speech backbone: an export on disk, or a random initialisation of a named config (tests, demos, benchmarks). */
export const BackboneSchema = z.strictObject({
  /** A TorchScript export written by `vbt export`. */
  path: z.string().optional(),
  /** Without a path: export this family and config with random weights (cached). */
  family: z.enum(['wav2vec2', 'hubert', 'data2vec']).default('data2vec'),
  config: z.enum(['tiny', 'base', 'large']).default('tiny'),
  seed: z.number().int().default(0),
  /**
   * SpecAugment-style time masking in training (spans of the backbone's
   * projected features replaced by its learned masked_spec_embed), as
   * wav2vec2 / HuBERT / data2vec are fine-tuned. null fields take the
   * export's own values: a checkpoint's config (mask_time_prob 0.05, spans of
   * 10 frames, at least 2, for the published ones), off for a random
   * initialisation. Never applied in evaluation.
   */
  timeMasking: z
    .strictObject({
      /** Share of each clip's frames masked (an upper bound: spans may overlap); 0: off. */
      prob: probability.nullable().default(null),
      /** Span length in frames (20 ms each). */
      length: positiveInt.nullable().default(null),
      /** Fewest spans per clip long enough for them. */
      minMasks: z.number().int().nonnegative().nullable().default(null),
    })
    .prefault({}),
});

export const UncertaintyFormSchema = z.enum(['log-sigma', 'log-variance']);

/** Recipe A (seed 000): data2vec + mean pooling + one MLP head per task. */
export const AvbMtlModelSchema = z.strictObject({
  kind: z.literal('avb-mtl'),
  tasks: z.array(TaskSchema).min(1),
  /** Width of each head's hidden layer (Linear(H, 256) → GELU → Linear(256, k)). */
  headHidden: positiveInt.default(256),
  /** Dropout inside the heads. */
  headDropout: probability.default(0),
  /** Intermediate tasks: '0/5' all in parallel, '1/4' country first, '2/3' country and type first. */
  intermediate: z.enum(['0/5', '1/4', '2/3']).default('0/5'),
  /** Output of the regression heads: sigmoid, or clamp to [0, 1] ("-SM"). */
  regressionOutput: z.enum(['sigmoid', 'clamp']).default('sigmoid'),
  /** Loss of the "two" task (valence/arousal); drop the task from `tasks` for "-Two". */
  twoLoss: z.enum(['ccc', 'mse', 'mae']).default('ccc'),
  /**
   * CCC loss: 'batch' per output over the batch (default), 'sample' per sample
   * across its outputs, 'sample-official' per sample with n − 1 variances (the
   * authors' released code, exactly). Independent of metrics.cccVariant.
   */
  cccLoss: z.enum(['batch', 'sample', 'sample-official']).default('batch'),
  /** Inverse-frequency class weights in the cross-entropy losses ("-CW" turns them off). */
  classWeights: z.boolean().default(true),
  /**
   * Per-clip weights inverse to the country's frequency, applied to every
   * task ("+SW"): true or 'batch' (the paper: frequencies within each batch),
   * 'train' (fixed weights from the training split's frequencies), false: none.
   */
  sampleWeights: z.union([z.boolean(), z.enum(['batch', 'train'])]).default(false),
  labelSmoothing: probability.default(0),
  /**
   * Pooling of the backbone's frames: 'mean' over each clip's own frames
   * (the paper), or 'padded-mean': every clip zero-padded to `padTo` samples
   * and the mean taken over all frames, padding included (the released
   * scripts: Hugging Face's feature extractor with padding='max_length',
   * then last_hidden_state.mean(dim=1)).
   */
  pooling: z.enum(['mean', 'padded-mean']).default('mean'),
  /** Samples every clip is padded to with pooling 'padded-mean' (the scripts' 159,360). */
  padTo: positiveInt.default(159360),
  /**
   * What the classification heads hand the cross-entropy: 'logits' (the
   * usual), or 'softmax': the heads end in a softmax and the cross-entropy
   * (which applies its own log-softmax) reads those probabilities, as the
   * released scripts do.
   */
  classifierOutput: z.enum(['logits', 'softmax']).default('logits'),
  /**
   * Denominator of the weighted cross-entropy: 'weight-sum' (torch's weighted
   * mean, Σ w_y) or 'sample-count' (a plain batch mean of the weighted
   * per-sample losses, as the released scripts).
   */
  crossEntropyNorm: z.enum(['weight-sum', 'sample-count']).default('weight-sum'),
  /** Scale of the class weights: 'balanced' N/(K·n_c), or 'sum-one' (normalised to sum to 1, the scripts' constants). */
  classWeightScale: z.enum(['balanced', 'sum-one']).default('balanced'),
  /**
   * Class weights and label smoothing of the validation loss: 'training' (as
   * in training) or 'uniform' (weights 1/K, no smoothing: the released
   * scripts' evaluation mode).
   */
  validationClassWeights: z.enum(['training', 'uniform']).default('training'),
  /** Learned uncertainty weighting (Kendall et al.) or fixed equal weights. */
  taskWeighting: z.enum(['uncertainty', 'fixed']).default('uncertainty'),
  uncertaintyForm: UncertaintyFormSchema.default('log-sigma'),
});

/**
 * Recipe B (seed 001, Burst2Vec): pooled backbone features → projection →
 * a shared and one task-specific extractor per task → per task one output
 * head run on the shared, the specific and a projected concatenation of
 * both; a task discriminator on the shared features and task-specific
 * adversarial losses, both behind gradient reversal (src/model/burst2vec/).
 */
export const Burst2VecModelSchema = z.strictObject({
  kind: z.literal('burst2vec'),
  /** ExVo tasks: 'high' is the emotion task (10 intensities), 'age', 'country'. */
  tasks: z.array(TaskSchema).min(1),
  /** Projection after pooling. */
  projectionDim: positiveInt.default(256),
  /** Width of the shared and task-specific extractor outputs. */
  extractorDim: positiveInt.default(256),
  /** Hidden width of the output heads and of the task discriminator. */
  headHidden: positiveInt.default(256),
  /** Activation of the projection, extractors, concatenation projections and heads. */
  activation: z.enum(['gelu', 'relu', 'tanh']).default('gelu'),
  dropout: probability.default(0.1),
  /** Weight of the task-discriminator loss L_D. */
  alpha1: nonNegative.default(0.5),
  /** Weight of the task-specific adversarial loss L_Adv. */
  alpha2: nonNegative.default(0.25),
  /** "-Adv": no discriminator and no adversarial losses. */
  adversarial: z.boolean().default(true),
  /** Scale of the gradient reversal layers (the extractors receive −factor·α·∂L). */
  reversalFactor: z.number().positive().default(1),
  /**
   * How far the reversed gradients of L_D and L_Adv reach: 'extractors'
   * (default) trains the shared and specific extractors adversarially and
   * leaves the projection and backbone to L_O; 'backbone' lets them flow on
   * through the projection into the backbone, as one reversal layer in a
   * single graph does (DANN).
   */
  reverseInto: z.enum(['extractors', 'backbone']).default('extractors'),
  /** Age target: MAE on age scaled to [0, 1]. */
  ageLoss: z.enum(['mae', 'mse']).default('mae'),
  /** Loss of the emotion task (and of any other regression task but age). */
  emotionLoss: z.enum(['ccc', 'mse', 'mae']).default('ccc'),
  /** CCC loss: 'batch' per output over the batch (the challenge metric on a batch), 'sample' or 'sample-official' per sample across outputs (see model.kind avb-mtl). */
  cccLoss: z.enum(['batch', 'sample', 'sample-official']).default('batch'),
  /** Output of the regression heads: a sigmoid into [0, 1] (emotions and scaled age live there), or linear. */
  regressionOutput: z.enum(['sigmoid', 'linear']).default('sigmoid'),
  /** Inverse-frequency class weights in the cross-entropy (the paper's Eq. 4 has none). */
  classWeights: z.boolean().default(false),
  /**
   * Which head pass gives predictions: 'concat' (the projected
   * concatenation of shared and specific features, the default),
   * 'shared', 'specific', or 'mean' of the three (probabilities for
   * classification).
   */
  predictFrom: z.enum(['concat', 'shared', 'specific', 'mean']).default('concat'),
});

export const ModelSchema = z.discriminatedUnion('kind', [AvbMtlModelSchema, Burst2VecModelSchema]);

/** One training stage (recipe A has two: frozen backbone, then all unfrozen). */
export const StageSchema = z.strictObject({
  name: z.string().min(1),
  /** What of the backbone stays fixed in this stage. */
  freeze: z.enum(['all', 'feature-encoder', 'none']).default('none'),
  optimizer: z.enum(['adamw', 'adam']).default('adamw'),
  /** Learning rate of the backbone (and of the heads unless headLr is set). */
  lr: z.number().positive(),
  /** Learning rate of everything but the backbone. */
  headLr: z.number().positive().optional(),
  /** Default: 0.01 for AdamW, 0 for Adam (PyTorch's defaults). */
  weightDecay: nonNegative.optional(),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
  epochs: positiveInt,
  /** Stop the stage after this many optimizer steps. */
  maxSteps: positiveInt.optional(),
  /** Validations without improvement before stopping. */
  patience: positiveInt,
  /** Improvement smaller than this does not count. */
  minDelta: nonNegative.default(0),
  schedule: z.enum(['constant', 'cosine', 'linear']).default('constant'),
  /** Linear warm-up, in epochs (fractions allowed), stepped per batch. */
  warmupEpochs: nonNegative.default(0),
  /** Clip the global gradient norm to this value. */
  gradClip: z.number().positive().nullable().default(null),
  /** Batches whose gradients add up before one optimizer step. */
  accumulate: positiveInt.default(1),
  /** With a fully frozen backbone: compute pooled features once (eval mode) and train the heads on them. */
  cacheFeatures: z.boolean().default(false),
  /** Start from the best checkpoint of the previous stage. */
  loadBest: z.boolean().default(true),
  /** Validate every epoch, or every N optimizer steps. */
  validateEvery: z.union([z.literal('epoch'), positiveInt]).default('epoch'),
});

export const MonitorSchema = z.strictObject({
  /**
   * 'val/loss', 'score' (mean of the challenge metrics, CCC and UAR, with
   * 1/MAE for age: higher is better), 'exvo/smtl', or '<task>' (that task's
   * challenge metric: CCC, UAR or MAE).
   */
  name: z.string().min(1),
  mode: z.enum(['min', 'max']),
});

export const TrainSchema = z.strictObject({
  seed: z.number().int().default(0),
  device: DeviceSchema.default('auto'),
  /** 'auto': bf16 autocast on CUDA, fp32 on CPU. */
  precision: z.enum(['auto', 'bf16', 'fp32']).default('auto'),
  /**
   * Let TorchScript's graph executor specialise the backbone to input shapes.
   * Off by default: length-bucketed batches change shape nearly every step.
   */
  jitOptimize: z.boolean().default(false),
  /**
   * Update all parameters of an optimizer group together with LibTorch's
   * multi-tensor kernels (the same update as one parameter at a time, in a
   * few fused kernels per step on a GPU); false: one parameter at a time.
   */
  foreachOptimizer: z.boolean().default(true),
  /** CPU threads for LibTorch; 'auto': OMP_NUM_THREADS when set, else the machine's physical cores. */
  threads: z.union([z.literal('auto'), positiveInt]).default('auto'),
  stages: z.array(StageSchema).min(1),
  /**
   * With one-task batches (recipe B): what an epoch is. 'clips' (default):
   * one pass over the clips, the batches dealt to the tasks in turn.
   * 'task-batches': every task's clips once each (T passes over a corpus
   * whose clips carry every task's label).
   */
  epochUnit: z.enum(['clips', 'task-batches']).default('clips'),
  monitor: MonitorSchema,
  /**
   * Which validation makes the `best` checkpoint: the best of the whole run
   * ('run'), or the best of the last stage ('last-stage': each stage starts
   * its own search, so the last stage's best is kept even when an earlier
   * stage scored better, as the released recipe A scripts do).
   */
  bestCheckpoint: z.enum(['run', 'last-stage']).default('run'),
  /** Write a train record to metrics.jsonl every N optimizer steps. */
  logEvery: positiveInt.default(10),
  progress: z.enum(['auto', 'bar', 'plain', 'none']).default('auto'),
});

export const MetricsConfigSchema = z.strictObject({
  /** CCC with population statistics (default) or the official A-VB scripts' n−1 variances. Reporting only: the CCC loss has its own form (model.cccLoss). */
  cccVariant: z.enum(['population', 'official']).default('population'),
});

export const OutputSchema = z.strictObject({
  /** Parent folder of run folders. */
  dir: z.string().default('runs'),
  /** Run folder name (default: recipe and a time stamp). */
  name: z.string().optional(),
  /** Replace an existing run folder of the same name. */
  overwrite: z.boolean().default(false),
});

export const RunConfigSchema = z.strictObject({
  /** The recipe this config started from. */
  recipe: z.string().min(1),
  data: DataSchema,
  backbone: BackboneSchema.prefault({}),
  model: ModelSchema,
  train: TrainSchema,
  metrics: MetricsConfigSchema.prefault({}),
  output: OutputSchema.prefault({}),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;
/** What a recipe or config file may leave out (defaults fill it in). */
export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type DataConfig = z.infer<typeof DataSchema>;
export type CorpusConfig = z.infer<typeof CorpusSchema>;
export type BackboneConfig = z.infer<typeof BackboneSchema>;
export type ModelConfig = z.infer<typeof ModelSchema>;
export type AvbMtlModelConfig = z.infer<typeof AvbMtlModelSchema>;
export type Burst2VecModelConfig = z.infer<typeof Burst2VecModelSchema>;
export type StageConfig = z.infer<typeof StageSchema>;
export type TrainConfig = z.infer<typeof TrainSchema>;
export type MonitorConfig = z.infer<typeof MonitorSchema>;
