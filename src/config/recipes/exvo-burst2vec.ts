/**
 * Recipe B, `exvo-burst2vec` (seed 001: Burst2Vec, winner of the ICML ExVo
 * 2022 multitask track). Defaults are the paper's Burst2Vec WL with
 * adversarial debiasing (Table 2, V1; Appendix C, Table 3):
 *
 * - backbone wav2vec2-large fine-tuned for CTC on LibriSpeech 960 h (WL);
 *   HuBERT base (HB) and large (HL) are picked with --backbone, see README;
 * - audio mono, 16 kHz, RMS-normalised to −3 dBFS; age scaled to [0, 1];
 * - tasks emotion (our `high`, 1 − CCC), age (MAE) and country
 *   (cross-entropy), one task per batch in rotation;
 * - α1 = 0.5 (task discriminator), α2 = 0.25 (task-specific adversarial);
 * - Adam, lr 1e-5, batch 32, up to 100 epochs (an epoch: one pass over
 *   the clips, train.epochUnit 'clips'; see the README for why), validation
 *   every 800 iterations, early stopping after 20 validations without a
 *   better emotion CCC;
 * - the backbone's time masking in training as its checkpoint's config sets
 *   it (backbone.timeMasking).
 *
 * Not stated in the paper, chosen here: the widths of the projection,
 * extractors and heads (256), dropout 0.1, GELU, sigmoid outputs for the
 * emotion intensities and scaled age, predictions from the concatenation
 * pass, and a frozen convolutional feature encoder (as usual when
 * fine-tuning these CTC checkpoints; `--set train.stages.0.freeze=none`
 * trains it too).
 */
import type { RunConfigInput } from '../schema.js';

export const exvoBurst2vec: RunConfigInput = {
  recipe: 'exvo-burst2vec',
  data: {
    corpus: { kind: 'exvo', root: 'ExVo' },
    batchSize: 32,
    // ExVo clips last a few seconds; a longer one is read 10 s at a time.
    preprocess: { normalize: true, targetDbfs: -3, maxSeconds: 10 },
    // "+Oversampling" (V7) hurt in the paper; off by default.
    oversample: false,
  },
  backbone: { family: 'wav2vec2', config: 'large' },
  model: {
    kind: 'burst2vec',
    tasks: ['high', 'age', 'country'],
    projectionDim: 256,
    extractorDim: 256,
    headHidden: 256,
    activation: 'gelu',
    dropout: 0.1,
    alpha1: 0.5,
    alpha2: 0.25,
    adversarial: true,
    reversalFactor: 1,
    emotionLoss: 'ccc',
    ageLoss: 'mae',
    regressionOutput: 'sigmoid',
    classWeights: false,
    predictFrom: 'concat',
  },
  train: {
    precision: 'auto',
    stages: [
      {
        name: 'finetune',
        freeze: 'feature-encoder',
        optimizer: 'adam',
        lr: 1e-5,
        epochs: 100,
        patience: 20,
        validateEvery: 800,
        schedule: 'constant',
      },
    ],
    // Early stopping and the best checkpoint follow the emotion CCC.
    monitor: { name: 'high', mode: 'max' },
  },
};
