/**
 * Validation and prediction run the backbone once per batch: predictions
 * and the loss come from the same forward pass, for both recipes, and equal
 * what separate predict() and loss() calls give.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AvbMtlModelSchema, Burst2VecModelSchema } from '../../src/config/schema.js';
import { readManifestCorpus, BatchLoader, lengthSortedBatches, preprocessedLengths, splitIndices } from '../../src/data/index.js';
import { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import type { MultitaskModel } from '../../src/model/multitask-model.js';
import { AudioBatchSource } from '../../src/run/batch-source.js';
import { evaluateModel } from '../../src/run/evaluation.js';
import { EMOTIONS } from '../../src/tasks.js';
import * as T from '../../src/torch/index.js';
import { tempDir, writeClip, writeCsv } from '../data/corpus-fixtures.js';
import { tinyBackbone } from '../fixtures/backbones.js';

let files: Record<'data2vec' | 'wav2vec2', string>;
const dir = tempDir('eval-forwards');

beforeAll(async () => {
  const noDropout = { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 };
  files = { data2vec: await tinyBackbone('data2vec', noDropout), wav2vec2: await tinyBackbone('wav2vec2', noDropout) };
  const rows: (string | number)[][] = [];
  for (let i = 0; i < 10; i++) {
    writeClip(path.join(dir, `c${i}.wav`), 8000 + 700 * i, 16000, 1, i);
    rows.push([`c${i}.wav`, 'Val', ...EMOTIONS.map((_, e) => ((i + e) % 4) / 3), ['China', 'Venezuela', 'United States'][i % 3]!, 20 + i]);
  }
  writeCsv(path.join(dir, 'list.csv'), ['path', 'split', ...EMOTIONS, 'Country', 'Age'], rows);
}, 300_000);

async function check(model: MultitaskModel, tasks: ('high' | 'country' | 'age')[]): Promise<void> {
  const corpus = readManifestCorpus(path.join(dir, 'list.csv'));
  const loader = new BatchLoader({ clips: corpus.clips, tasks, numWorkers: 0 });
  try {
    const val = splitIndices(corpus.clips, 'Val');
    const plans = lengthSortedBatches(val, preprocessedLengths(corpus.clips), 4);
    let forwards = 0;
    const forward = model.backbone.forward.bind(model.backbone);
    model.backbone.forward = (w, l) => {
      forwards++;
      return forward(w, l);
    };
    const options = { model, source: new AudioBatchSource(loader, 'cpu', 16000), plans, cccVariant: 'population' as const, autocast: <R>(fn: () => R) => fn() };
    const result = await evaluateModel({ ...options, withLoss: true, collectPredictions: true });
    expect(plans.length).toBe(3);
    expect(forwards).toBe(plans.length);
    expect(result.loss).not.toBeNull();

    // The same numbers as the separate calls.
    forwards = 0;
    let lossSum = 0;
    for await (const b of options.source.batches(plans)) {
      T.noGrad(() =>
        T.scope(() => {
          lossSum += model.loss(b.device).loss.item();
        }),
      );
      b.dispose();
    }
    expect(forwards).toBe(plans.length);
    expect(result.loss!).toBeCloseTo(lossSum / plans.length, 5);
  } finally {
    await loader.close();
  }
}

describe('one forward per evaluation batch', () => {
  it('recipe A', async () => {
    const model = buildModel(AvbMtlModelSchema.parse({ kind: 'avb-mtl', tasks: ['high', 'country'], headHidden: 8 }), Backbone.load(files.data2vec));
    try {
      await check(model, ['high', 'country']);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('recipe B', async () => {
    const config = Burst2VecModelSchema.parse({ kind: 'burst2vec', tasks: ['high', 'country', 'age'], projectionDim: 8, extractorDim: 8, headHidden: 8, dropout: 0 });
    const model = buildModel(config, Backbone.load(files.wav2vec2));
    try {
      await check(model, ['high', 'country', 'age']);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
