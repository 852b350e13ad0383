/** Data: corpora, samplers, batches and the prefetching loader. */
export * from '../tasks.js';
export {
  batchBuffers,
  type Batch,
  type BatchPlan,
  type ClassificationTargets,
  type RegressionTargets,
  type TaskTargets,
} from './batch.js';
export { collateBatch, collateTargets, type CollateOptions } from './collate.js';
export { BadRowPolicy, DataError, formatDataErrorMessage, type DataErrorLocation, type DroppedRow } from './data-error.js';
export { AVB_LABEL_FILES, AVB_TASKS, readAvbCorpus, type AvbReadOptions, type AvbTask } from './corpus/avb-corpus.js';
export { resolveCorpusPath } from './corpus/corpus-path.js';
export {
  splitIndices,
  type Clip,
  type ClipAudioInfo,
  type ClipSource,
  type Corpus,
  type CorpusLayout,
  type CorpusReadOptions,
} from './corpus/corpus.js';
export { EXVO_TASKS, readExvoCorpus, type ExvoReadOptions, type ExvoTask } from './corpus/exvo-corpus.js';
export { TASK_COLUMNS } from './corpus/label-cells.js';
export { readManifestCorpus, type ManifestReadOptions } from './corpus/manifest-corpus.js';
export { BatchLoader, LoaderClosedError, type BatchLoaderOptions } from './loader/batch-loader.js';
export { BatchProducer, type BatchProducerOptions } from './loader/batch-producer.js';
export { preprocessedLengths } from './sampling/clip-lengths.js';
export { planEpoch, type EpochPlanOptions } from './sampling/epoch-plan.js';
export { lengthSortedBatches } from './sampling/eval-batches.js';
export {
  classCounts,
  inverseCountrySampleWeights,
  inverseFrequencyClassWeights,
  type ClassificationTask,
} from './sampling/inverse-frequency-weights.js';
export {
  jointBinKey,
  oversampleJointBins,
  type JointBin,
  type JointOversampling,
  type JointOversamplingOptions,
} from './sampling/joint-oversampling.js';
export { bucketedBatches, paddingFraction, shuffledBatches, type BucketingOptions } from './sampling/length-bucketing.js';
export { taskRotationBatches, type TaskRotationOptions, type TaskRotationUnit } from './sampling/task-rotation.js';
