/**
 * Recipe A's loss and pooling knobs on the model itself, each against a
 * formula written out here independently (plain numbers, loops):
 * - model.cccLoss: 'sample-official' is the authors' released loss
 *   (per sample across outputs, torch's unbiased var, a plain-mean cov),
 *   and the loss never depends on the metrics' CCC variant;
 * - model.sampleWeights ("+SW"): inverse country frequency within the batch
 *   by default, the training split's weights with 'train';
 * - the released code's cross-entropy: softmax outputs fed to the
 *   cross-entropy, label smoothing, weights summing to 1, a plain batch
 *   mean, and uniform weights without smoothing in validation;
 * - pooling 'padded-mean': the mean over all frames of a zero-padded clip.
 */
import { describe, expect, it } from 'vitest';
import { AvbMtlModelSchema, type AvbMtlModelConfig } from '../../src/config/schema.js';
import { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import type { AvbMtlModel } from '../../src/model/avb-mtl-model.js';
import type { DeviceBatch, DeviceTargets } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const B = 6;
const H = 64;

function model(file: string, overrides: Partial<AvbMtlModelConfig>, classWeights?: Record<string, Float32Array>): AvbMtlModel {
  const config = AvbMtlModelSchema.parse({ kind: 'avb-mtl', headHidden: 16, taskWeighting: 'fixed', ...overrides });
  T.manualSeed(1);
  return buildModel(config, Backbone.load(file), { ...(classWeights ? { classWeights } : {}) }) as AvbMtlModel;
}

interface Labels {
  high: number[][];
  country: number[];
  type: number[];
}

function labels(seed: number): Labels {
  const rng = new Rng(seed);
  return {
    high: Array.from({ length: B }, () => Array.from({ length: 10 }, () => rng.uniform(0, 1))),
    country: [2, 0, 2, 3, 2, 0],
    type: [1, 4, 1, 0, 7, 1],
  };
}

function batch(l: Labels, seed: number, extra: Partial<DeviceBatch> = {}): DeviceBatch {
  const rng = new Rng(seed);
  const features = T.tensor(Array.from({ length: B * H }, () => rng.normal(0, 1)), { shape: [B, H] });
  const mask = () => T.tensor(Array.from({ length: B }, () => 1), { dtype: 'bool' });
  const targets: Record<string, DeviceTargets> = {
    high: { kind: 'regression', values: T.tensor(l.high.flat(), { shape: [B, 10] }), mask: mask() },
    country: { kind: 'classification', values: T.tensor(l.country, { dtype: 'int64' }), mask: mask() },
    type: { kind: 'classification', values: T.tensor(l.type, { dtype: 'int64' }), mask: mask() },
  };
  return { ids: l.country.map((_, i) => String(i)), size: B, audioSeconds: B, features, targets, ...extra };
}

function rows(t: T.Tensor): number[][] {
  const [b, k] = t.shape as [number, number];
  const v = Array.from(t.detach().float().toArray() as Float32Array);
  return Array.from({ length: b }, (_, i) => v.slice(i * k, (i + 1) * k));
}

function taskLoss(m: AvbMtlModel, b: DeviceBatch, task: 'high' | 'country' | 'type'): number {
  return T.scope(() => m.loss(b).taskLosses[task]!.item());
}

/** The authors' CCC module, written out: per sample over its outputs, var with n − 1, cov with n; loss = mean of 1 − CCC. */
function authorsCccLoss(pred: number[][], target: number[][]): number {
  const perSample = pred.map((p, i) => {
    const t = target[i]!;
    const n = p.length;
    const mp = p.reduce((a, b) => a + b, 0) / n;
    const mt = t.reduce((a, b) => a + b, 0) / n;
    const vp = p.reduce((a, x) => a + (x - mp) ** 2, 0) / (n - 1);
    const vt = t.reduce((a, x) => a + (x - mt) ** 2, 0) / (n - 1);
    const cov = p.reduce((a, x, j) => a + (x - mp) * (t[j]! - mt), 0) / n;
    return 1 - (2 * cov) / (vp + vt + (mp - mt) ** 2);
  });
  return perSample.reduce((a, b) => a + b, 0) / perSample.length;
}

/** torch's cross-entropy on `inputs` (treated as logits) with class weights w, smoothing eps, per sample, unreduced. */
function weightedSmoothedCe(inputs: number[][], target: number[], w: number[], eps: number): number[] {
  return inputs.map((z, i) => {
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    const c = z.length;
    let loss = 0;
    for (let j = 0; j < c; j++) {
      const soft = (j === target[i] ? 1 - eps : 0) + eps / c;
      loss -= w[j]! * soft * (z[j]! - lse);
    }
    return loss;
  });
}

function softmaxRows(z: number[][]): number[][] {
  return z.map((r) => {
    const max = Math.max(...r);
    const e = r.map((v) => Math.exp(v - max));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

describe('recipe A loss knobs', () => {
  it("cccLoss 'sample-official' is the authors' per-sample loss; 'sample' and 'batch' are their own forms", async () => {
    const file = await tinyBackbone('data2vec');
    const l = labels(1);
    const results: Record<string, number> = {};
    let pred: number[][] = [];
    for (const form of ['sample-official', 'sample', 'batch'] as const) {
      const m = model(file, { tasks: ['high'], cccLoss: form, regressionOutput: 'sigmoid' });
      const b = batch(l, 2);
      pred = T.scope(() => rows(m.outputs(b.features!).high!));
      results[form] = taskLoss(m, b, 'high');
      m.dispose();
    }
    expect(results['sample-official']).toBeCloseTo(authorsCccLoss(pred, l.high), 5);
    expect(Math.abs(results.sample! - results['sample-official']!)).toBeGreaterThan(1e-3);
    // 'batch': 1 − mean over the 10 outputs of the population CCC over the batch.
    let total = 0;
    for (let k = 0; k < 10; k++) {
      const x = pred.map((r) => r[k]!);
      const y = l.high.map((r) => r[k]!);
      const mx = x.reduce((a, b) => a + b, 0) / B;
      const my = y.reduce((a, b) => a + b, 0) / B;
      const vx = x.reduce((a, v) => a + (v - mx) ** 2, 0) / B;
      const vy = y.reduce((a, v) => a + (v - my) ** 2, 0) / B;
      const cov = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0) / B;
      total += 1 - (2 * cov) / (vx + vy + (mx - my) ** 2);
    }
    expect(results.batch).toBeCloseTo(total / 10, 5);
  }, 300_000);

  it("+SW weighs clips by their country's frequency within the batch; 'train' takes the run's fixed weights", async () => {
    const file = await tinyBackbone('data2vec');
    const l = labels(3);
    const fixed = [0.5, 1.5, 1, 2, 1, 0.25];
    for (const mode of [true, 'batch', 'train', false] as const) {
      const m = model(file, { tasks: ['country'], classWeights: false, sampleWeights: mode });
      const b = batch(l, 4, { sampleWeights: T.tensor(fixed) });
      const logits = T.scope(() => rows(m.outputs(b.features!).country!));
      const perSample = weightedSmoothedCe(logits, l.country, [1, 1, 1, 1], 0);
      // Countries 2, 0, 2, 3, 2, 0: N = 6, K = 3 present.
      const inBatch = [6 / 9, 6 / 6, 6 / 9, 6 / 3, 6 / 9, 6 / 6];
      const s = mode === false ? [1, 1, 1, 1, 1, 1] : mode === 'train' ? fixed : inBatch;
      const expected = perSample.reduce((a, v, i) => a + s[i]! * v, 0) / s.reduce((a, v) => a + v, 0);
      expect(taskLoss(m, b, 'country')).toBeCloseTo(expected, 5);
      m.dispose();
    }
  }, 300_000);

  it("the released code's cross-entropy: softmax outputs, smoothing 0.1, weights summing to 1, batch mean; uniform in validation", async () => {
    const file = await tinyBackbone('data2vec');
    const l = labels(5);
    const countryWeights = new Float32Array([1, 2, 1, 0.5]);
    const m = model(
      file,
      {
        tasks: ['country'],
        classifierOutput: 'softmax',
        labelSmoothing: 0.1,
        crossEntropyNorm: 'sample-count',
        classWeightScale: 'sum-one',
        validationClassWeights: 'uniform',
      },
      { country: countryWeights },
    );
    const b = batch(l, 6);
    m.head.train(true);
    const probabilities = T.scope(() => rows(m.outputs(b.features!).country!));
    // The head ends in a softmax: its outputs are probabilities, which the cross-entropy then reads as logits.
    for (const r of probabilities) expect(r.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const w = [1 / 4.5, 2 / 4.5, 1 / 4.5, 0.5 / 4.5];
    const train = weightedSmoothedCe(probabilities, l.country, w, 0.1);
    expect(taskLoss(m, b, 'country')).toBeCloseTo(train.reduce((a, v) => a + v, 0) / B, 5);
    m.head.eval();
    const val = weightedSmoothedCe(probabilities, l.country, [0.25, 0.25, 0.25, 0.25], 0);
    expect(taskLoss(m, b, 'country')).toBeCloseTo(val.reduce((a, v) => a + v, 0) / B, 5);
    // Predictions are the head's probabilities (not a second softmax).
    const predicted = T.scope(() => rows(m.predict(b).country!));
    predicted.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(probabilities[i]![j]!, 6)));
    // The default cross-entropy reads logits: predictions are their softmax.
    const plain = model(file, { tasks: ['country'], classWeights: false });
    const logits = T.scope(() => rows(plain.outputs(b.features!).country!));
    const soft = softmaxRows(logits);
    T.scope(() => rows(plain.predict(b).country!)).forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(soft[i]![j]!, 6)));
    plain.dispose();
    m.dispose();
  }, 300_000);

  it("pooling 'padded-mean' averages every frame of the clip zero-padded to padTo", async () => {
    const file = await tinyBackbone('data2vec');
    const padTo = 16000;
    const m = model(file, { tasks: ['high'], pooling: 'padded-mean', padTo });
    const plain = model(file, { tasks: ['high'] });
    m.backbone.eval();
    plain.backbone.eval();
    const rng = new Rng(9);
    const lengths = [8000, 12000];
    const wave = Array.from({ length: 2 * 12000 }, (_, i) => (i % 12000 < lengths[Math.floor(i / 12000)]! ? rng.normal(0, 0.3) : 0));
    const b: DeviceBatch = {
      ids: ['a', 'b'],
      size: 2,
      audioSeconds: 1.25,
      waveforms: T.tensor(wave, { shape: [2, 12000] }),
      lengths: T.tensor(lengths, { dtype: 'int64' }),
      targets: {},
    };
    const got = T.noGrad(() => T.scope(() => rows(m.encode(b))));
    // Reference: the same clips zero-padded to 16,000 samples, every one of the 49 frames averaged.
    const padded = Array.from({ length: 2 * padTo }, (_, i) => (i % padTo < 12000 ? wave[Math.floor(i / padTo) * 12000 + (i % padTo)]! : 0));
    const expected = T.noGrad(() =>
      T.scope(() => {
        const { frames } = m.backbone.forward(T.tensor(padded, { shape: [2, padTo] }), T.tensor(lengths, { dtype: 'int64' }));
        const [, f, h] = frames.shape as [number, number, number];
        expect(f).toBe(49);
        const v = Array.from(frames.toArray() as Float32Array);
        return [0, 1].map((r) => Array.from({ length: h }, (_, k) => v.slice(r * f * h, (r + 1) * f * h).filter((_, i) => i % h === k).reduce((a, x) => a + x, 0) / f));
      }),
    );
    got.forEach((r, i) => r.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 4)));
    // Padding frames count: the masked mean over the clip's own frames differs.
    const own = T.noGrad(() => T.scope(() => rows(plain.encode(b))));
    expect(Math.max(...own[0]!.map((v, k) => Math.abs(v - got[0]![k]!)))).toBeGreaterThan(1e-3);
    b.waveforms!.dispose();
    b.lengths!.dispose();
    m.dispose();
    plain.dispose();
  }, 300_000);
});
