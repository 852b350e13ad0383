/**
 * `avb-mtl-code`: recipe A as the authors' released training script
 * (hcmlab/acii-2022-vb-challenge, `mtl4rmsgmd.py`, the "-SM" model) does
 * it, where it differs from the paper as written (`avb-mtl`). Point by
 * point (README, "Recipe A", the table "paper vs released code vs vbt"):
 *
 * - every clip zero-padded to 159,360 samples, and the mean taken over all
 *   frames, padding included (`model.pooling: 'padded-mean'`);
 * - the classification heads end in a softmax and the cross-entropy reads
 *   those probabilities (`model.classifierOutput: 'softmax'`), with label
 *   smoothing 0.1 in training;
 * - the weighted cross-entropy is a plain batch mean (`crossEntropyNorm:
 *   'sample-count'`), its class weights inverse frequencies normalised to
 *   sum to 1 (`classWeightScale: 'sum-one'`), and the validation loss uses
 *   weights 1/K without smoothing (`validationClassWeights: 'uniform'`);
 * - the CCC loss per sample across its outputs, variances with n − 1
 *   (`cccLoss: 'sample-official'`);
 * - early stopping after 3 validations without a lower validation loss
 *   (the script's counter allows 3, though it is named patience 2);
 * - the best checkpoint of stage 2 is kept even when stage 1 scored better
 *   (`train.bestCheckpoint: 'last-stage'`);
 * - batch size 2 and 32 epochs per stage (the -SM script's values; its
 *   B960h sibling, `mtl4d2vb.py`, uses 32 and 30: `--batch-size 32
 *   --epochs 30`);
 * - the script trains in fp16 with loss scaling; vbt's CUDA runs use bf16
 *   autocast, which needs no scaler (there is no fp16 mode).
 *
 * What the script prints as its validation CCC is the per-sample CCC;
 * vbt reports it next to the challenge CCC (final-metrics.json, report).
 */
import type { RunConfigInput } from '../schema.js';
import { avbMtl, avbMtlModel } from './avb-mtl.js';

export const avbMtlCode: RunConfigInput = {
  ...avbMtl,
  recipe: 'avb-mtl-code',
  data: {
    ...avbMtl.data,
    batchSize: 2,
    // 159,360 samples: the script's pad length (its longest A-VB clip, rounded up to a multiple of 128).
    preprocess: { normalize: false, maxSeconds: 159360 / 16000 },
  },
  model: {
    ...avbMtlModel,
    cccLoss: 'sample-official',
    classWeightScale: 'sum-one',
    labelSmoothing: 0.1,
    pooling: 'padded-mean',
    padTo: 159360,
    classifierOutput: 'softmax',
    crossEntropyNorm: 'sample-count',
    validationClassWeights: 'uniform',
  },
  train: {
    precision: 'auto',
    stages: [
      { name: 'heads', freeze: 'all', optimizer: 'adamw', lr: 1e-3, epochs: 32, patience: 3, schedule: 'constant' },
      { name: 'finetune', freeze: 'none', optimizer: 'adamw', lr: 4e-5, epochs: 32, patience: 3, schedule: 'cosine', warmupEpochs: 1 },
    ],
    monitor: { name: 'val/loss', mode: 'min' },
    bestCheckpoint: 'last-stage',
  },
};
