/// <reference types="node" preserve="true" />
/**
 * vbt's public API. The CLI (`vbt`) is built on exactly these pieces.
 */
export { Trainer, type FitResult, type FitStatus, type TrainerCreateOptions } from './train/trainer.js';
export type { TrainerCallbacks, TrainerContext, StepInfo, ValidationInfo, TrainEndInfo, CheckpointInfo } from './train/callbacks.js';
export type { TrainingStrategy, RunSetup, OwnSettings, EpochShard, StopPoint } from './train/strategy.js';
export { SingleProcess } from './train/single-process.js';
export { DataParallel } from './distributed/data-parallel.js';
export { distributedFromEnv, type DistributedOptions } from './distributed/options.js';
export { resolveConfig, validateConfig, readConfigFile, type ResolveOptions } from './config/load.js';
export { ConfigError } from './config/errors.js';
export { RECIPES, recipeNames } from './config/recipes/index.js';
export {
  RunConfigSchema,
  type RunConfig,
  type RunConfigInput,
  type StageConfig,
  type ModelConfig,
  type DataConfig,
  type CorpusConfig,
} from './config/schema.js';
export { InferenceSession, type OpenOptions } from './predict/inference-session.js';
export {
  Predictor,
  type ModelInfo,
  type PredictInput,
  type PredictOptions,
  type PredictionResult,
  type PredictionWindow,
  type PredictorOptions,
} from './predict/predictor.js';
export type { TaskOutputs, PredictionLine } from './predict/prediction-outputs.js';
export { exportWholeModel, type ExportModelOptions, type ExportModelSummary } from './predict/export-model.js';
export { startServer, type ModelServer, type ServeOptions } from './serve/server.js';
export { readRawPredictions, writeRawPredictions, type ClipPredictions } from './predict/raw-predictions.js';
export { writeAvbSubmissions } from './predict/avb-submission.js';
export { Backbone, type FreezeMode } from './model/backbone.js';
export { exportBackbone, type ExportOptions, type BackboneMetadata } from './model/exporter.js';
export { buildModel } from './model/build-model.js';
export type { MultitaskModel, DeviceBatch, LossOutput } from './model/multitask-model.js';
export { maskedMeanPool } from './model/pooling.js';
export * as torch from './torch/index.js';
export * as data from './data/index.js';
export * as audio from './audio/index.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export { writeSyntheticCorpus } from './synth/index.js';
