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

type DeviceSetting = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export const DeviceSchema = z
  .string()
  .regex(/^(auto|cpu|cuda|cuda:\d+)$/, "expected 'auto', 'cpu', 'cuda' or 'cuda:N'")
  // The documented types (config-types.ts) say exactly what the pattern allows.
  .meta({ tsType: "'auto' | 'cpu' | 'cuda' | `cuda:${number}`" }) as z.ZodType<DeviceSetting, DeviceSetting>;

/** Where the clips come from. */
export const CorpusSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('avb').describe('The A-VB 2022 layout: data_info.csv, labels/{high,two,culture,type}_info.csv, audio/wav/<id>.wav.'),
    root: z.string().min(1).describe('Folder holding data_info.csv, labels/ and audio/wav/.'),
  }),
  z.strictObject({
    kind: z.literal('exvo').describe('The ExVo 2022 layout: data_info.csv with the labels, wav/<id>.wav.'),
    root: z.string().min(1).describe('Folder holding data_info.csv and wav/.'),
  }),
  z.strictObject({
    kind: z.literal('manifest').describe('A CSV or JSONL list of clips with path, split and label columns.'),
    path: z.string().min(1).describe('CSV or JSONL file with path, split and label columns.'),
    root: z.string().optional().describe('Folder that relative audio paths resolve against (default: the manifest\'s folder).'),
  }),
  z.strictObject({
    kind: z.literal('synthetic').describe('The built-in synthetic corpus (see src/synth/README.md), generated on first use.'),
    layout: z.enum(['avb', 'exvo']).describe('Which challenge layout (and so which tasks) to generate.'),
    clips: positiveInt.default(360).describe('Number of clips.'),
    seed: z.number().int().default(0).describe('Seed of the generator: the same seed gives the same corpus.'),
    dir: z.string().optional().describe('Where to write it (default: under the cache folder, reused when it exists).'),
  }),
]).meta({ id: 'CorpusConfig', description: 'Where the clips come from: a challenge corpus (A-VB, ExVo), a manifest, or the synthetic corpus.' });

export const DataSchema = z.strictObject({
  corpus: CorpusSchema,
  skipBad: z.boolean().default(false).describe('Drop bad rows (with a report) instead of stopping at the first.'),
  allowAbsolutePaths: z.boolean().default(false).describe('Allow audio paths outside the corpus folder.'),
  preprocess: z
    .strictObject({
      normalize: z.boolean().default(true).describe('RMS loudness normalisation (Burst2Vec: on, −3 dBFS).'),
      targetDbfs: z.number().max(0).default(-3).describe('Target RMS level of the loudness normalisation, in dBFS.'),
      maxSeconds: z.number().positive().nullable().default(10).describe('Longest stretch of audio the backbone reads at once, in seconds. Training reads a random window of this length from a longer clip (a new one each epoch); evaluation and prediction cover a longer clip whole, in equal windows no longer than this, whose pooled features are averaged. null: whole clips, whatever their length.'),
    })
    .prefault({})
    .describe("Audio preprocessing: loudness normalisation and the longest stretch the backbone reads at once."),
  batchSize: positiveInt.default(32).describe('Clips per batch (the most; see maxBatchSeconds).'),
  maxBatchSeconds: z.number().positive().nullable().default(null).describe('Padded audio a batch may hold, in seconds: clips × the batch\'s longest (cropped) clip. Batches of long clips then hold fewer clips, so memory stays bounded; null: batchSize clips, whatever their length.'),
  evalBatchSize: positiveInt.optional().describe('Batch size for validation and prediction (default: batchSize).'),
  numWorkers: z.union([z.literal('auto'), z.number().int().nonnegative()]).default('auto').describe('Decoding worker threads; \'auto\' = cores − 1 (1 to 4); 0 decodes on the main thread.'),
  bucketing: z.boolean().default(true).describe('Sort clips by length inside shuffled windows to cut padding.'),
  oversample: z.boolean().default(false).describe('Oversample rare (age, country, emotion) regions (Burst2Vec "+Oversampling").'),
  cacheDir: z.string().nullable().default('.vbt-cache').describe('Folder for preprocessed audio, exported backbones and synthetic corpora; null disables the audio cache.'),
}).meta({ id: 'DataConfig', description: 'The corpus and how its audio becomes batches.' });

/** The speech backbone: an export on disk, or a random initialisation of a named config (tests, demos, benchmarks). */
export const BackboneSchema = z.strictObject({
  path: z.string().optional().describe('A TorchScript export written by `vbt export`.'),
  family: z.enum(['wav2vec2', 'hubert', 'data2vec']).default('data2vec').describe('Without a path: export this family and config with random weights (cached).'),
  config: z.enum(['tiny', 'base', 'large']).default('tiny').describe('Without a path: the size of the random backbone (tiny for tests and demos).'),
  seed: z.number().int().default(0).describe('Without a path: the seed of the random weights.'),
  timeMasking: z
    .strictObject({
      prob: probability.nullable().default(null).describe('Share of each clip\'s frames masked (an upper bound: spans may overlap); 0: off.'),
      length: positiveInt.nullable().default(null).describe('Span length in frames (20 ms each).'),
      minMasks: z.number().int().nonnegative().nullable().default(null).describe('Fewest spans per clip long enough for them.'),
    })
    .prefault({}).describe('SpecAugment-style time masking in training (spans of the backbone\'s projected features replaced by its learned masked_spec_embed), as wav2vec2 / HuBERT / data2vec are fine-tuned. null fields take the export\'s own values: a checkpoint\'s config (mask_time_prob 0.05, spans of 10 frames, at least 2, for the published ones), off for a random initialisation. Never applied in evaluation.'),
}).meta({ id: 'BackboneConfig', description: 'The speech backbone: an export on disk, or a random initialisation of a named config (tests, demos, benchmarks).' });

export const UncertaintyFormSchema = z
  .enum(['log-sigma', 'log-variance'])
  .describe("Form of the uncertainty weighting: 'log-sigma' Σ L/σ² + Σ log σ (the authors'), or 'log-variance' Σ L/(2·e^s) + s/2 with s = log σ² (the ExVo baseline's).");

/** Recipe A (seed 000): data2vec + mean pooling + one MLP head per task. */
export const AvbMtlModelSchema = z.strictObject({
  kind: z.literal('avb-mtl').describe('Recipe A: multitask data2vec with per-task heads (seed 000).'),
  tasks: z.array(TaskSchema).min(1).describe('Tasks trained, each with its own head: high, culture, two, type, country (age works too).'),
  headHidden: positiveInt.default(256).describe('Width of each head\'s hidden layer (Linear(H, 256) → GELU → Linear(256, k)).'),
  headDropout: probability.default(0).describe('Dropout inside the heads.'),
  intermediate: z.enum(['0/5', '1/4', '2/3']).default('0/5').describe('Intermediate tasks: \'0/5\' all in parallel, \'1/4\' country first, \'2/3\' country and type first.'),
  regressionOutput: z.enum(['sigmoid', 'clamp']).default('sigmoid').describe('Output of the regression heads: sigmoid, or clamp to [0, 1] ("-SM").'),
  twoLoss: z.enum(['ccc', 'mse', 'mae']).default('ccc').describe('Loss of the "two" task (valence/arousal); drop the task from `tasks` for "-Two".'),
  cccLoss: z.enum(['batch', 'sample', 'sample-official']).default('batch').describe('CCC loss: \'batch\' per output over the batch (default), \'sample\' per sample across its outputs, \'sample-official\' per sample with n − 1 variances (the authors\' released code, exactly). Independent of metrics.cccVariant.'),
  classWeights: z.boolean().default(true).describe('Inverse-frequency class weights in the cross-entropy losses ("-CW" turns them off).'),
  sampleWeights: z.union([z.boolean(), z.enum(['batch', 'train'])]).default(false).describe('Per-clip weights inverse to the country\'s frequency, applied to every task ("+SW"): true or \'batch\' (the paper: frequencies within each batch), \'train\' (fixed weights from the training split\'s frequencies), false: none.'),
  labelSmoothing: probability.default(0).describe('Label smoothing of the classification losses (0: none).'),
  pooling: z.enum(['mean', 'padded-mean']).default('mean').describe('Pooling of the backbone\'s frames: \'mean\' over each clip\'s own frames (the paper), or \'padded-mean\': every clip zero-padded to `padTo` samples and the mean taken over all frames, padding included (the released scripts: Hugging Face\'s feature extractor with padding=\'max_length\', then last_hidden_state.mean(dim=1)).'),
  padTo: positiveInt.default(159360).describe('Samples every clip is padded to with pooling \'padded-mean\' (the scripts\' 159,360).'),
  classifierOutput: z.enum(['logits', 'softmax']).default('logits').describe('What the classification heads hand the cross-entropy: \'logits\' (the usual), or \'softmax\': the heads end in a softmax and the cross-entropy (which applies its own log-softmax) reads those probabilities, as the released scripts do.'),
  crossEntropyNorm: z.enum(['weight-sum', 'sample-count']).default('weight-sum').describe('Denominator of the weighted cross-entropy: \'weight-sum\' (torch\'s weighted mean, Σ w_y) or \'sample-count\' (a plain batch mean of the weighted per-sample losses, as the released scripts).'),
  classWeightScale: z.enum(['balanced', 'sum-one']).default('balanced').describe('Scale of the class weights: \'balanced\' N/(K·n_c), or \'sum-one\' (normalised to sum to 1, the scripts\' constants).'),
  validationClassWeights: z.enum(['training', 'uniform']).default('training').describe('Class weights and label smoothing of the validation loss: \'training\' (as in training) or \'uniform\' (weights 1/K, no smoothing: the released scripts\' evaluation mode).'),
  taskWeighting: z.enum(['uncertainty', 'fixed']).default('uncertainty').describe('Learned uncertainty weighting (Kendall et al.) or fixed equal weights.'),
  uncertaintyForm: UncertaintyFormSchema.default('log-sigma'),
}).meta({ id: 'AvbMtlModelConfig', description: 'Recipe A (seed 000): data2vec + mean pooling + one MLP head per task, learned uncertainty weighting.' });

/**
 * Recipe B (seed 001, Burst2Vec): pooled backbone features → projection →
 * a shared and one task-specific extractor per task → per task one output
 * head run on the shared, the specific and a projected concatenation of
 * both; a task discriminator on the shared features and task-specific
 * adversarial losses, both behind gradient reversal (src/model/burst2vec/).
 */
export const Burst2VecModelSchema = z.strictObject({
  kind: z.literal('burst2vec').describe('Recipe B: Burst2Vec, adversarial multitask learning (seed 001).'),
  tasks: z.array(TaskSchema).min(1).describe('ExVo tasks: \'high\' is the emotion task (10 intensities), \'age\', \'country\'.'),
  projectionDim: positiveInt.default(256).describe('Projection after pooling.'),
  extractorDim: positiveInt.default(256).describe('Width of the shared and task-specific extractor outputs.'),
  headHidden: positiveInt.default(256).describe('Hidden width of the output heads and of the task discriminator.'),
  activation: z.enum(['gelu', 'relu', 'tanh']).default('gelu').describe('Activation of the projection, extractors, concatenation projections and heads.'),
  dropout: probability.default(0.1).describe('Dropout in the projection, extractors and heads.'),
  alpha1: nonNegative.default(0.5).describe('Weight of the task-discriminator loss L_D.'),
  alpha2: nonNegative.default(0.25).describe('Weight of the task-specific adversarial loss L_Adv.'),
  adversarial: z.boolean().default(true).describe('"-Adv": no discriminator and no adversarial losses.'),
  reversalFactor: z.number().positive().default(1).describe('Scale of the gradient reversal layers (the extractors receive −factor·α·∂L).'),
  reverseInto: z.enum(['extractors', 'backbone']).default('extractors').describe('How far the reversed gradients of L_D and L_Adv reach: \'extractors\' (default) trains the shared and specific extractors adversarially and leaves the projection and backbone to L_O; \'backbone\' lets them flow on through the projection into the backbone, as one reversal layer in a single graph does (DANN).'),
  ageLoss: z.enum(['mae', 'mse']).default('mae').describe('Age target: MAE on age scaled to [0, 1].'),
  emotionLoss: z.enum(['ccc', 'mse', 'mae']).default('ccc').describe('Loss of the emotion task (and of any other regression task but age).'),
  cccLoss: z.enum(['batch', 'sample', 'sample-official']).default('batch').describe('CCC loss: \'batch\' per output over the batch (the challenge metric on a batch), \'sample\' or \'sample-official\' per sample across outputs (see model.kind avb-mtl).'),
  regressionOutput: z.enum(['sigmoid', 'linear']).default('sigmoid').describe('Output of the regression heads: a sigmoid into [0, 1] (emotions and scaled age live there), or linear.'),
  classWeights: z.boolean().default(false).describe('Inverse-frequency class weights in the cross-entropy (the paper\'s Eq. 4 has none).'),
  predictFrom: z.enum(['concat', 'shared', 'specific', 'mean']).default('concat').describe('Which head pass gives predictions: \'concat\' (the projected concatenation of shared and specific features, the default), \'shared\', \'specific\', or \'mean\' of the three (probabilities for classification).'),
}).meta({ id: 'Burst2VecModelConfig', description: 'Recipe B (seed 001, Burst2Vec): pooled backbone features → projection → a shared and one task-specific extractor per task → per task one output head run on the shared, the specific and a projected concatenation of both; a task discriminator on the shared features and task-specific adversarial losses, both behind gradient reversal.' });

export const ModelSchema = z.discriminatedUnion('kind', [AvbMtlModelSchema, Burst2VecModelSchema]).meta({ id: 'ModelConfig', description: 'The recipe\'s model and losses: recipe A (\'avb-mtl\') or recipe B (\'burst2vec\').' });

/** One training stage (recipe A has two: frozen backbone, then all unfrozen). */
export const StageSchema = z.strictObject({
  name: z.string().min(1).describe("The stage's name, in logs, the metrics log and the report (e.g. 'heads', 'finetune')."),
  freeze: z.enum(['all', 'feature-encoder', 'none']).default('none').describe('What of the backbone stays fixed in this stage.'),
  optimizer: z.enum(['adamw', 'adam']).default('adamw').describe('AdamW (decoupled weight decay) or Adam (L2 penalty added to the gradient).'),
  lr: z.number().positive().describe('Learning rate of the backbone (and of the heads unless headLr is set).'),
  headLr: z.number().positive().optional().describe('Learning rate of everything but the backbone.'),
  weightDecay: nonNegative.optional().describe('Default: 0.01 for AdamW, 0 for Adam (PyTorch\'s defaults).'),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]).describe("The optimizer's moment decay rates [β1, β2]."),
  eps: z.number().positive().default(1e-8).describe("The optimizer's ε, added to the denominator."),
  epochs: positiveInt.describe('Most epochs of the stage (early stopping may end it sooner).'),
  maxSteps: positiveInt.optional().describe('Stop the stage after this many optimizer steps.'),
  patience: positiveInt.describe('Validations without improvement before stopping.'),
  minDelta: nonNegative.default(0).describe('Improvement smaller than this does not count.'),
  schedule: z.enum(['constant', 'cosine', 'linear']).default('constant').describe("The learning rate after warm-up: constant, or decaying to 0 at the stage's last step by a cosine or a straight line, stepped per optimizer step."),
  warmupEpochs: nonNegative.default(0).describe('Linear warm-up, in epochs (fractions allowed), stepped per batch.'),
  gradClip: z.number().positive().nullable().default(null).describe('Clip the global gradient norm to this value.'),
  accumulate: positiveInt.default(1).describe('Batches whose gradients add up before one optimizer step.'),
  cacheFeatures: z.boolean().default(false).describe('With a fully frozen backbone: compute pooled features once (eval mode) and train the heads on them.'),
  loadBest: z.boolean().default(true).describe('Start from the best checkpoint of the previous stage.'),
  validateEvery: z.union([z.literal('epoch'), positiveInt]).default('epoch').describe('Validate every epoch, or every N optimizer steps.'),
}).meta({ id: 'StageConfig', description: 'One training stage (recipe A has two: frozen backbone, then all unfrozen).' });

export const MonitorSchema = z.strictObject({
  name: z.string().min(1).describe('\'val/loss\', \'score\' (mean of the challenge metrics, CCC and UAR, with 1/MAE for age: higher is better), \'exvo/smtl\', or \'<task>\' (that task\'s challenge metric: CCC, UAR or MAE).'),
  mode: z.enum(['min', 'max']).describe("Whether smaller ('min', e.g. val/loss, age MAE) or larger ('max', e.g. score, CCC) is better."),
}).meta({ id: 'MonitorConfig', description: 'What early stopping and the best checkpoint watch.' });

export const TrainSchema = z.strictObject({
  seed: z.number().int().default(0).describe('Seed of every random choice of the run: initialisation, dropout, batch order, crops.'),
  device: DeviceSchema.default('auto').describe("'auto' (the first GPU if CUDA works, else the CPU), 'cpu', 'cuda' or 'cuda:N'."),
  precision: z.enum(['auto', 'bf16', 'fp32']).default('auto').describe('\'auto\': bf16 autocast on CUDA, fp32 on CPU.'),
  jitOptimize: z.boolean().default(false).describe('Let TorchScript\'s graph executor specialise the backbone to input shapes. Off by default: length-bucketed batches change shape nearly every step.'),
  foreachOptimizer: z.boolean().default(true).describe('Update all parameters of an optimizer group together with LibTorch\'s multi-tensor kernels (the same update as one parameter at a time, in a few fused kernels per step on a GPU); false: one parameter at a time.'),
  threads: z.union([z.literal('auto'), positiveInt]).default('auto').describe('CPU threads for LibTorch; \'auto\': OMP_NUM_THREADS when set, else the machine\'s physical cores.'),
  stages: z.array(StageSchema).min(1).describe('The stages, run in order; each starts from the best checkpoint of the one before (loadBest).'),
  epochUnit: z.enum(['clips', 'task-batches']).default('clips').describe('With one-task batches (recipe B): what an epoch is. \'clips\' (default): one pass over the clips, the batches dealt to the tasks in turn. \'task-batches\': every task\'s clips once each (T passes over a corpus whose clips carry every task\'s label).'),
  monitor: MonitorSchema.describe('What early stopping and the best checkpoint watch.'),
  bestCheckpoint: z.enum(['run', 'last-stage']).default('run').describe('Which validation makes the `best` checkpoint: the best of the whole run (\'run\'), or the best of the last stage (\'last-stage\': each stage starts its own search, so the last stage\'s best is kept even when an earlier stage scored better, as the released recipe A scripts do).'),
  logEvery: positiveInt.default(10).describe('Write a train record to metrics.jsonl every N optimizer steps.'),
  progress: z.enum(['auto', 'bar', 'plain', 'none']).default('auto').describe("Progress display: 'auto' (a status line on a terminal, plain lines elsewhere), 'bar', 'plain' or 'none'."),
}).meta({ id: 'TrainConfig', description: 'Device, stages, optimisation, early stopping and logging.' });

export const MetricsConfigSchema = z.strictObject({
  cccVariant: z.enum(['population', 'official']).default('population').describe('CCC with population statistics (default) or the official A-VB scripts\' n−1 variances. Reporting only: the CCC loss has its own form (model.cccLoss).'),
}).meta({ id: 'MetricsConfig', description: 'How metrics are computed for reports.' });

export const OutputSchema = z.strictObject({
  dir: z.string().default('runs').describe('Parent folder of run folders.'),
  name: z.string().optional().describe('Run folder name (default: recipe and a time stamp).'),
  overwrite: z.boolean().default(false).describe('Replace an existing run folder of the same name.'),
}).meta({ id: 'OutputConfig', description: 'Where the run folder goes.' });

export const RunConfigSchema = z.strictObject({
  recipe: z.string().min(1).describe('The recipe this config started from.'),
  data: DataSchema.describe('The corpus and how its audio becomes batches.'),
  backbone: BackboneSchema.prefault({}).describe('The speech backbone.'),
  model: ModelSchema.describe("The recipe's model and losses: recipe A ('avb-mtl') or recipe B ('burst2vec')."),
  train: TrainSchema.describe('Device, stages, optimisation, early stopping and logging.'),
  metrics: MetricsConfigSchema.prefault({}).describe('How metrics are computed for reports.'),
  output: OutputSchema.prefault({}).describe('Where the run folder goes.'),
}).meta({ id: 'RunConfig', description: 'A run\'s whole configuration: a recipe\'s values with a config file and flags laid over them.' });

// The types, with every field's description as TSDoc, are generated from this
// schema (config-types.ts, `npm run gen:config`); a test holds them equal to
// zod's inferred types.
export type {
  RunConfig,
  RunConfigInput,
  DataConfig,
  CorpusConfig,
  BackboneConfig,
  ModelConfig,
  AvbMtlModelConfig,
  Burst2VecModelConfig,
  StageConfig,
  TrainConfig,
  MonitorConfig,
  MetricsConfig,
  OutputConfig,
} from './config-types.js';
