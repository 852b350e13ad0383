import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../src/model/backbone.js';
import { normalizeWaveforms } from '../../src/model/input-normalization.js';
import { maskedMeanPool } from '../../src/model/pooling.js';
import * as T from '../../src/torch/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const paths: Record<string, string> = {};
beforeAll(async () => {
  for (const f of ['wav2vec2', 'hubert', 'data2vec'] as const) paths[f] = await tinyBackbone(f);
  paths.noDropout = await tinyBackbone('data2vec', { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 });
}, 300_000);

const lengths = (...l: number[]) => T.tensor(l, { dtype: 'int64' });

describe('masked mean pooling', () => {
  it('averages valid frames only, against a hand computation', () => {
    // clip 0: frames [1,2], [3,4], padding [100,100]; clip 1: one valid frame [5,6]
    const frames = T.tensor([
      [[1, 2], [3, 4], [100, 100]],
      [[5, 6], [-7, 7], [9, 9]],
    ]);
    const l = lengths(2, 1);
    const before = T.liveTensors();
    const pooled = maskedMeanPool(frames, l);
    expect(T.liveTensors()).toBe(before + 1); // only the result outlives the call
    expect(pooled.toNumbers()).toEqual([2, 3, 5, 6]);
    const all = maskedMeanPool(frames, lengths(0, 3)).toNumbers();
    [0, 0, 7 / 3, 22 / 3].forEach((v, i) => expect(all[i]).toBeCloseTo(v, 6));
  });
});

describe('input normalisation (do_normalize checkpoints)', () => {
  it('gives zero mean and unit population variance over valid samples and keeps padding at zero', () => {
    // clip 0: [1, 2, 3, pad]: mean 2, var 2/3; clip 1: [4, 4, 4, 4]: var 0 → zeros
    const [w, l] = [T.tensor([[1, 2, 3, 99], [4, 4, 4, 4]]), lengths(3, 4)];
    const before = T.liveTensors();
    const normalized = normalizeWaveforms(w, l);
    expect(T.liveTensors()).toBe(before + 1); // only the result outlives the call
    const out = normalized.toNumbers();
    const s = Math.sqrt(2 / 3 + 1e-7);
    [-1 / s, 0, 1 / s, 0, 0, 0, 0, 0].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
  });
});

describe('Backbone', () => {
  it('reads the metadata of every family', () => {
    for (const family of ['wav2vec2', 'hubert', 'data2vec'] as const) {
      const bb = Backbone.load(paths[family]!);
      expect(bb.metadata.family).toBe(family);
      expect(bb.hiddenSize).toBe(64);
      expect(bb.frameRate).toBe(50);
      expect(bb.sampleRate).toBe(16000);
      expect(bb.parameterCount()).toBe(bb.metadata.parameter_count);
      bb.dispose();
    }
  });

  it('gives frames at 50 per second with the conv arithmetic for lengths', () => {
    const bb = Backbone.load(paths.data2vec!).eval();
    const { frames, frameLengths } = bb.forward(T.randn([2, 16000]), lengths(16000, 8000));
    expect(frames.shape).toEqual([2, 49, 64]);
    // floor((L − 400) / 320) + 1 for the 7-layer, stride-320 encoder
    expect(frameLengths.toNumbers()).toEqual([49, 24]);
  });

  it('respects lengths: padding with zeros or with noise gives the same pooled vector (layer-norm encoders)', () => {
    for (const family of ['hubert', 'data2vec'] as const) {
      const bb = Backbone.load(paths[family]!).eval();
      T.manualSeed(0);
      const clip = T.randn([1, 12000]).mul(0.1);
      const batch = T.cat([T.cat([clip, T.zeros([1, 6000])], 1), T.cat([clip, T.randn([1, 6000])], 1)], 0);
      const pooled = bb.pooled(batch, lengths(12000, 12000));
      expect(pooled.select(0, 0).sub(pooled.select(0, 1)).abs().max().item()).toBeLessThan(1e-6);
    }
  });

  it('frozen parameters get no gradient and do not change after an optimizer step', () => {
    const bb = Backbone.load(paths.data2vec!).train();
    bb.freeze('feature-encoder');
    const prefix = bb.metadata.feature_encoder_prefix;
    const encoder = [...bb.namedParameters()].filter(([n]) => n.startsWith(prefix));
    const rest = [...bb.namedParameters()].filter(([n]) => !n.startsWith(prefix));
    // The first of them that this forward reaches (masked_spec_embed only takes part when time masking is on).
    const reached = rest.filter(([n]) => n !== 'masked_spec_embed');
    expect(encoder.length).toBeGreaterThan(0);
    expect(bb.trainableParameters().length).toBe(rest.length);
    const before = new Map(encoder.map(([n, p]) => [n, p.toNumbers()]));
    const restBefore = reached[0]![1].toNumbers();
    const opt = new T.AdamW(bb.module.parameters(), { lr: 0.1 });
    T.scope(() => bb.pooled(T.randn([2, 8000]), lengths(8000, 6000)).square().sum().backward());
    for (const [, p] of encoder) expect(p.grad).toBeNull();
    opt.step();
    for (const [n, p] of encoder) expect(p.toNumbers()).toEqual(before.get(n));
    expect(reached[0]![1].toNumbers()).not.toEqual(restBefore);

    bb.freeze('all');
    expect(bb.trainableParameters()).toEqual([]);
    bb.freeze('none');
    expect(bb.trainableParameters().length).toBe(bb.module.parameters().length);
  });

  it('train and eval differ only through dropout', () => {
    T.manualSeed(1);
    const x = T.randn([2, 8000]);
    const l = lengths(8000, 7000);
    const noDrop = Backbone.load(paths.noDropout!);
    const a = noDrop.train().pooled(x, l).toNumbers();
    const b = noDrop.eval().pooled(x, l).toNumbers();
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    const withDrop = Backbone.load(paths.data2vec!);
    const c = withDrop.eval().pooled(x, l).toNumbers();
    const d = withDrop.train().pooled(x, l).toNumbers();
    expect(Math.max(...c.map((v, i) => Math.abs(v - d[i]!)))).toBeGreaterThan(1e-3);
  });

  it('saves updated weights and loads them back with metadata', () => {
    const bb = Backbone.load(paths.hubert!).eval();
    const name = [...bb.namedParameters().keys()].at(-1)!;
    T.noGrad(() => bb.namedParameters().get(name)!.add_(1));
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'vbt-bb-')), 'tuned.pt');
    bb.save(out, 'fine-tuned in a test');
    const back = Backbone.load(out).eval();
    expect(back.metadata.source).toMatch(/fine-tuned in a test$/);
    expect(back.namedParameters().get(name)!.toNumbers()).toEqual(bb.namedParameters().get(name)!.toNumbers());
    const x = T.randn([1, 8000]);
    expect(back.pooled(x, lengths(8000)).toNumbers()).toEqual(bb.pooled(x, lengths(8000)).toNumbers());
  });

  it('rejects missing files and archives that are not vbt exports', () => {
    expect(() => Backbone.load('/nonexistent/b.pt')).toThrow(/does not exist \(export one with `vbt export`/);
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-bb-bad-'));
    const notZip = path.join(dir, 'x.pt');
    writeFileSync(notZip, 'nope');
    expect(() => Backbone.load(notZip)).toThrow(/cannot load TorchScript module/);
  });
});
