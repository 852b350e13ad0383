/**
 * `demo`: recipe A's shape on the built-in synthetic A-VB corpus with a tiny
 * random data2vec, on the CPU, in about a minute. What `vbt train` runs
 * without arguments. Its numbers say nothing about the paper's.
 */
import type { RunConfigInput } from '../schema.js';

export const demo: RunConfigInput = {
  recipe: 'demo',
  data: {
    corpus: { kind: 'synthetic', layout: 'avb', clips: 360, seed: 0 },
    batchSize: 16,
    // The synthetic clips last 1–2.5 s: 16 of them fit in 48 s; a longer clip of one's own corpus is read 4 s at a time.
    maxBatchSeconds: 48,
    preprocess: { normalize: true, maxSeconds: 4 },
  },
  backbone: { family: 'data2vec', config: 'tiny', seed: 0 },
  model: {
    kind: 'avb-mtl',
    tasks: ['high', 'culture', 'two', 'type', 'country'],
    headHidden: 64,
    intermediate: '0/5',
    regressionOutput: 'sigmoid',
    classWeights: true,
    taskWeighting: 'uncertainty',
    uncertaintyForm: 'log-sigma',
  },
  train: {
    device: 'cpu',
    // fp32 on the CPU; with --device cuda, bf16 autocast as on any CUDA run.
    precision: 'auto',
    stages: [
      // Stage 1 trains the heads on cached features of the frozen backbone: seconds.
      { name: 'heads', freeze: 'all', optimizer: 'adamw', lr: 3e-3, epochs: 30, patience: 6, cacheFeatures: true },
      // Stage 2 fine-tunes everything; a random tiny backbone needs a far higher rate than a pretrained one.
      { name: 'finetune', freeze: 'none', optimizer: 'adamw', lr: 3e-3, epochs: 10, patience: 4, schedule: 'cosine', warmupEpochs: 1 },
    ],
    monitor: { name: 'score', mode: 'max' },
    logEvery: 5,
  },
};
