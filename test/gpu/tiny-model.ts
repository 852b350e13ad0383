/**
 * A recipe A model on the tiny data2vec backbone (dropout off, so CPU and
 * CUDA runs are comparable) and synthetic host batches, for the GPU suite.
 */
import { AvbMtlModelSchema } from '../../src/config/schema.js';
import type { Batch } from '../../src/data/batch.js';
import { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import type { MultitaskModel } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const NO_DROPOUT = { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 };

/** The tiny data2vec export without dropout or layer-drop. */
export function tinyDeterministicBackbone(): Promise<string> {
  return tinyBackbone('data2vec', NO_DROPOUT);
}

/** Recipe A (all four default tasks, clamped regression outputs) on `backbonePath`, on `device`. */
export function tinyRecipeA(backbonePath: string, device: T.Device): MultitaskModel {
  T.manualSeed(0); // equal head initialisation on every device
  const backbone = Backbone.load(backbonePath, { device });
  const config = AvbMtlModelSchema.parse({ kind: 'avb-mtl', tasks: ['high', 'culture', 'type', 'country'], headHidden: 32, regressionOutput: 'clamp' });
  return buildModel(config, backbone, { device });
}

/** A padded batch of `lengths` (samples) with random audio and every label present. */
export function hostBatch(lengths: readonly number[], seed: number): Batch {
  const rng = new Rng(seed);
  const b = lengths.length;
  const t = Math.max(...lengths);
  const waveforms = new Float32Array(b * t);
  lengths.forEach((n, row) => {
    for (let i = 0; i < n; i++) waveforms[row * t + i] = rng.uniform(-0.1, 0.1);
  });
  const uniform = (n: number) => Float32Array.from({ length: n }, () => rng.next());
  const classes = (n: number, k: number) => Int32Array.from({ length: n }, () => rng.int(k));
  const present = () => new Uint8Array(b).fill(1);
  return {
    ids: lengths.map((_, i) => `clip${i}`),
    waveforms,
    batchSize: b,
    rows: b,
    length: t,
    lengths: Int32Array.from(lengths),
    labels: {
      high: { kind: 'regression', size: 10, values: uniform(b * 10), mask: present() },
      culture: { kind: 'regression', size: 40, values: uniform(b * 40), mask: present() },
      type: { kind: 'classification', numClasses: 8, values: classes(b, 8), mask: present() },
      country: { kind: 'classification', numClasses: 4, values: classes(b, 4), mask: present() },
    },
    ageScaled: true,
  };
}
