/**
 * Recipe A, `avb-mtl` (seed 000: multitask data2vec for the ACII A-VB 2022
 * challenge). Defaults are the paper's best configuration on validation,
 * Table I row "-SM": all tasks in parallel (0/5), "two" left out (-Two),
 * class weights kept, no sigmoid but outputs clamped to [0, 1] (-SM),
 * learned uncertainty weighting (Σ L/σ² + Σ log σ), two stages of up to 30
 * epochs with patience 2 on the validation loss, batch 32, AdamW; stage 2 at
 * 4e-5 with one epoch of linear warm-up and a cosine schedule. The
 * backbone masks time spans in training as its checkpoint's config says
 * (backbone.timeMasking), as Hugging Face's model does in train mode. What
 * the authors' released script does differently is recipe avb-mtl-code.
 */
import type { AvbMtlModelConfigInput } from '../config-types.js';
import type { RunConfigInput } from '../schema.js';

/** The model section: heads, losses and task weighting as the paper has them. */
export const avbMtlModel = {
  kind: 'avb-mtl',
  tasks: ['high', 'culture', 'type', 'country'],
  headHidden: 256,
  intermediate: '0/5',
  regressionOutput: 'clamp',
  twoLoss: 'ccc',
  classWeights: true,
  sampleWeights: false,
  taskWeighting: 'uncertainty',
  uncertaintyForm: 'log-sigma',
} satisfies AvbMtlModelConfigInput;

export const avbMtl: RunConfigInput = {
  recipe: 'avb-mtl',
  data: {
    corpus: { kind: 'avb', root: 'A-VB' },
    batchSize: 32,
    // Recipe A feeds raw audio to data2vec; loudness normalisation is Burst2Vec's.
    // The authors pad every clip to 159,360 samples (about 10 s): A-VB clips are shorter.
    preprocess: { normalize: false, maxSeconds: 10 },
  },
  backbone: { family: 'data2vec', config: 'base' },
  model: avbMtlModel,
  train: {
    precision: 'auto',
    stages: [
      // Stage 1: backbone frozen, heads trained with AdamW's defaults.
      { name: 'heads', freeze: 'all', optimizer: 'adamw', lr: 1e-3, epochs: 30, patience: 2, schedule: 'constant' },
      // Stage 2: everything fine-tuned from the best stage-1 checkpoint.
      {
        name: 'finetune',
        freeze: 'none',
        optimizer: 'adamw',
        lr: 4e-5,
        epochs: 30,
        patience: 2,
        schedule: 'cosine',
        warmupEpochs: 1,
      },
    ],
    monitor: { name: 'val/loss', mode: 'min' },
  },
};
