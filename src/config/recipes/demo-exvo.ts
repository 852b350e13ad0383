/**
 * `demo-exvo`: recipe B's shape (Burst2Vec: shared and task-specific
 * extractors, discriminator and adversarial losses behind gradient
 * reversal, one task per batch in rotation, early stopping on emotion CCC)
 * on the built-in synthetic ExVo corpus with a tiny random wav2vec2, on
 * the CPU, in about a minute. Its numbers say nothing about the paper's.
 *
 * Unlike the paper's single stage at lr 1e-5 on a pretrained backbone, a
 * random tiny backbone needs the heads trained first: stage 1 trains
 * everything but the backbone on cached features of the frozen backbone
 * (seconds), stage 2 fine-tunes the transformer as the recipe does, with the
 * convolutional feature encoder frozen (with warm-up and a cosine
 * schedule, which a random backbone needs). An epoch is one pass over the
 * clips (train.epochUnit 'clips', 14 one-task batches).
 *
 * Checkpoints and early stopping follow S_MTL, not the paper's emotion CCC:
 * a tiny model on about 37 training speakers learns age only weakly, and on
 * emotion CCC alone the age head drifted away from the median while the
 * emotions improved (age MAE 4.3 years against the median's 3.9). S_MTL
 * counts every task.
 */
import type { RunConfigInput } from '../schema.js';

export const demoExvo: RunConfigInput = {
  recipe: 'demo-exvo',
  data: {
    corpus: { kind: 'synthetic', layout: 'exvo', clips: 360, seed: 0 },
    batchSize: 16,
    // As the demo: 16 synthetic clips fit in 48 s; longer clips are read 4 s at a time.
    maxBatchSeconds: 48,
    preprocess: { normalize: true, targetDbfs: -3, maxSeconds: 4 },
  },
  backbone: { family: 'wav2vec2', config: 'tiny', seed: 0 },
  model: {
    kind: 'burst2vec',
    tasks: ['high', 'age', 'country'],
    projectionDim: 64,
    extractorDim: 64,
    headHidden: 64,
    dropout: 0.1,
    alpha1: 0.5,
    alpha2: 0.25,
    adversarial: true,
  },
  train: {
    device: 'cpu',
    // fp32 on the CPU; with --device cuda, bf16 autocast as on any CUDA run.
    precision: 'auto',
    stages: [
      { name: 'heads', freeze: 'all', cacheFeatures: true, optimizer: 'adam', lr: 3e-3, epochs: 60, patience: 15 },
      // Validation every 21 steps (an epoch and a half of 14 one-task batches), as the paper validates every 800 iterations.
      {
        name: 'finetune',
        freeze: 'feature-encoder',
        optimizer: 'adam',
        lr: 1e-3,
        epochs: 9,
        patience: 4,
        validateEvery: 21,
        schedule: 'cosine',
        warmupEpochs: 1.5,
      },
    ],
    monitor: { name: 'exvo/smtl', mode: 'max' },
    logEvery: 5,
  },
};
