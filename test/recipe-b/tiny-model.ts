/**
 * A tiny Burst2Vec model and one-task or mixed batches of random pooled
 * features (no audio), for checking losses and gradients in float64.
 */
import { type Burst2VecModelConfig, Burst2VecModelSchema } from '../../src/config/schema.js';
import type { Task } from '../../src/tasks.js';
import { Backbone } from '../../src/model/backbone.js';
import { Burst2VecModel } from '../../src/model/burst2vec/burst2vec-model.js';
import type { DeviceBatch, DeviceTargets } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';

export const EXVO_TASKS: Task[] = ['high', 'age', 'country'];

/** A validated model config with small widths. */
export function tinyConfig(overrides: Partial<Burst2VecModelConfig> = {}): Burst2VecModelConfig {
  return Burst2VecModelSchema.parse({
    kind: 'burst2vec',
    tasks: EXVO_TASKS,
    projectionDim: 6,
    extractorDim: 5,
    headHidden: 4,
    dropout: 0,
    ...overrides,
  });
}

/** Load the tiny wav2vec2 backbone (only its width matters for feature batches). */
export async function loadTinyBackbone(): Promise<Backbone> {
  return Backbone.load(await tinyBackbone('wav2vec2'));
}

/** A model; with `float64` its trained part is cast to float64 for finite differences. */
export function tinyModel(backbone: Backbone, config: Burst2VecModelConfig, seed = 1, float64 = true): Burst2VecModel {
  T.manualSeed(seed);
  const model = new Burst2VecModel(backbone, { config });
  if (float64) model.head.to('cpu', 'float64');
  return model;
}

/**
 * A batch of `size` random feature vectors labelled for every ExVo task.
 * Its tensors are kept out of scopes; dispose them with disposeBatch.
 */
export function featureBatch(width: number, size: number, seed: number, task?: Task, dtype: 'float32' | 'float64' = 'float64'): DeviceBatch {
  T.manualSeed(seed);
  const mask = () => T.ones([size], { dtype: 'bool' });
  const targets: Partial<Record<Task, DeviceTargets>> = {
    high: { kind: 'regression', values: T.rand([size, 10], { dtype }), mask: mask() },
    age: { kind: 'regression', values: T.rand([size, 1], { dtype }), mask: mask() },
    country: { kind: 'classification', values: T.randint(0, 4, [size]), mask: mask() },
  };
  const batch: DeviceBatch = {
    ids: Array.from({ length: size }, (_, i) => String(i)),
    size,
    audioSeconds: 0,
    features: T.randn([size, width], { dtype }),
    targets,
    ...(task ? { task } : {}),
  };
  keepBatch(batch);
  return batch;
}

function batchTensors(b: DeviceBatch): T.Tensor[] {
  const list: T.Tensor[] = [];
  for (const t of [b.features, b.waveforms, b.lengths]) if (t) list.push(t);
  for (const t of Object.values(b.targets)) if (t) list.push(t.values, t.mask);
  return list;
}

function keepBatch(b: DeviceBatch): void {
  T.keep(batchTensors(b));
}

export function disposeBatch(b: DeviceBatch): void {
  for (const t of batchTensors(b)) t.dispose();
}

/** The same batch as a one-task batch of `task` (or mixed, for undefined). */
export function withTask(b: DeviceBatch, task: Task | undefined): DeviceBatch {
  const { task: _old, ...rest } = b;
  return task ? { ...rest, task } : rest;
}
