/**
 * Time masking of exported backbones (SpecAugment as wav2vec2, HuBERT and
 * data2vec are fine-tuned): set from TypeScript on the TorchScript module,
 * applied in train mode only, masked frames equal to the learned
 * masked_spec_embed, the masked share equal to its closed form, drawn with
 * torch's generator (so the saved random state replays it), and exports
 * from before time masking still load.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Backbone } from '../../src/model/backbone.js';
import * as T from '../../src/torch/index.js';
import { Rng } from '../../src/util/rng.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { runPython } from '../fixtures/python.js';
import { thrown } from '../fixtures/thrown.js';

const NO_DROPOUT = { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 };

function waveforms(lengths: number[], seed: number): { w: T.Tensor; n: T.Tensor } {
  const rng = new Rng(seed);
  const max = Math.max(...lengths);
  const data = new Float32Array(lengths.length * max);
  lengths.forEach((len, b) => {
    for (let i = 0; i < len; i++) data[b * max + i] = rng.normal(0, 0.3);
  });
  return { w: T.tensor(data, { shape: [lengths.length, max] }), n: T.tensor(lengths, { dtype: 'int64' }) };
}

function values(t: T.Tensor): number[] {
  return Array.from(t.float().toArray() as Float32Array);
}

/**
 * Expected masked frames of a clip of n valid frames, written out
 * independently: k spans with k = floor(prob·n/length + u), u ~ U(0, 1)
 * (so k is ⌊x⌋ with probability 1 − frac(x), else ⌈x⌉), at least minMasks,
 * starts drawn without replacement from the m = n − length + 1 positions.
 * Frame i stays unmasked iff none of the w_i starts that cover it is drawn:
 * C(m − w_i, k) / C(m, k) = Π_{j<k} (m − w_i − j) / (m − j).
 */
function expectedMasked(n: number, prob: number, length: number, minMasks: number): number {
  const m = n - length + 1;
  const x = (prob * n) / length;
  const lo = Math.floor(x);
  const options: [number, number][] = [
    [lo, 1 - (x - lo)],
    [lo + 1, x - lo],
  ];
  let total = 0;
  for (const [k0, p] of options) {
    const k = Math.min(Math.max(k0, minMasks), m);
    let covered = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.min(i, m - 1) - Math.max(0, i - length + 1) + 1;
      let none = 1;
      for (let j = 0; j < k; j++) none *= Math.max(0, m - w - j) / (m - j);
      covered += 1 - none;
    }
    total += p * covered;
  }
  return total;
}

describe('time masking', () => {
  it('is off in a random export, settable from TypeScript, and never changes eval outputs', async () => {
    using backbone = Backbone.load(await tinyBackbone('wav2vec2', NO_DROPOUT));
    expect(backbone.timeMaskingAvailable).toBe(true);
    expect(backbone.metadata.time_masking?.mask_time_prob).toBe(0);
    expect(backbone.timeMasking).toEqual({ prob: 0, length: 10, minMasks: 2 });
    const { w, n } = waveforms([16000, 9600, 4800], 1);
    backbone.eval();
    const before = T.noGrad(() => values(backbone.forward(w, n).frames));
    expect(backbone.setTimeMasking({ prob: 0.5, length: 3, minMasks: null })).toEqual({ prob: 0.5, length: 3, minMasks: 2 });
    expect(backbone.timeMasking).toEqual({ prob: 0.5, length: 3, minMasks: 2 });
    const after = T.noGrad(() => values(backbone.forward(w, n).frames));
    expect(after).toEqual(before);
    // In train mode (no dropout anywhere) only the masking can change the output.
    backbone.train();
    const trained = T.noGrad(() => values(backbone.forward(w, n).frames));
    expect(trained).not.toEqual(before);
    backbone.setTimeMasking({ prob: 0, length: null, minMasks: null });
    expect(T.noGrad(() => values(backbone.forward(w, n).frames))).toEqual(before);
    w.dispose();
    n.dispose();
  }, 300_000);

  it('replaces exactly the masked frames by the learned masked_spec_embed, in training only', async () => {
    using backbone = Backbone.load(await tinyBackbone('data2vec', NO_DROPOUT));
    const embed = Array.from(backbone.namedParameters().get('masked_spec_embed')!.toArray() as Float32Array);
    expect(embed.length).toBe(backbone.hiddenSize);
    const { w, n } = waveforms([16000, 8000], 2);
    backbone.eval();
    const [plain, , none] = T.noGrad(() => backbone.module.call('masked_features', w, n)) as [T.Tensor, T.Tensor, T.Tensor];
    expect(values(none).every((v) => v === 0)).toBe(true);
    backbone.setTimeMasking({ prob: 0.4, length: 4, minMasks: 1 });
    backbone.train();
    const [hidden, frameLengths, mask] = T.noGrad(() => backbone.module.call('masked_features', w, n)) as [T.Tensor, T.Tensor, T.Tensor];
    const [b, f, h] = hidden.shape as [number, number, number];
    const hv = values(hidden);
    const pv = values(plain);
    const mv = values(mask);
    const lengths = Array.from(frameLengths.toArray() as BigInt64Array, Number);
    let masked = 0;
    for (let row = 0; row < b; row++) {
      for (let t = 0; t < f; t++) {
        const at = (row * f + t) * h;
        const got = hv.slice(at, at + h);
        if (mv[row * f + t] === 1) {
          masked++;
          expect(t).toBeLessThan(lengths[row]!);
          expect(got).toEqual(embed);
        } else {
          expect(got).toEqual(pv.slice(at, at + h));
        }
      }
    }
    expect(masked).toBeGreaterThan(0);
    for (const t of [w, n, plain, none, hidden, frameLengths, mask]) t.dispose();
  }, 300_000);

  it('masks the share of frames its closed form predicts, in spans inside each clip', async () => {
    using backbone = Backbone.load(await tinyBackbone('wav2vec2'));
    const cases = [
      { prob: 0.3, length: 4, minMasks: 0 },
      { prob: 0.05, length: 10, minMasks: 2 },
    ];
    const frames = [49, 29, 12];
    for (const setting of cases) {
      backbone.setTimeMasking(setting);
      using lengths = T.tensor(frames, { dtype: 'int64' });
      const draws = 400;
      const sums = frames.map(() => 0);
      const squares = frames.map(() => 0);
      T.manualSeed(7);
      for (let d = 0; d < draws; d++) {
        using mask = backbone.module.call('time_mask', lengths, 49) as T.Tensor;
        const mv = values(mask);
        frames.forEach((len, row) => {
          const rowMask = mv.slice(row * 49, (row + 1) * 49);
          // Nothing masked past the clip, and every masked run at least one span long.
          expect(rowMask.slice(len).every((v) => v === 0)).toBe(true);
          let run = 0;
          for (let t = 0; t <= 49; t++) {
            if (t < 49 && rowMask[t] === 1) run++;
            else {
              if (run > 0) expect(run).toBeGreaterThanOrEqual(setting.length);
              run = 0;
            }
          }
          const count = rowMask.reduce((a, v) => a + v, 0);
          sums[row] = sums[row]! + count;
          squares[row] = squares[row]! + count * count;
        });
      }
      frames.forEach((len, row) => {
        const mean = sums[row]! / draws;
        const sd = Math.sqrt(Math.max(squares[row]! / draws - mean * mean, 1e-9));
        const expected = expectedMasked(len, setting.prob, setting.length, setting.minMasks);
        expect(Math.abs(mean - expected)).toBeLessThan(4 * (sd / Math.sqrt(draws)) + 1e-9);
        // prob is an upper bound of the masked share (spans overlap), but for the long clip the share is near it.
        if (len === 49 && setting.minMasks === 0) expect(mean / len).toBeGreaterThan(0.75 * setting.prob);
        if (setting.minMasks === 0) expect(mean / len).toBeLessThanOrEqual(setting.prob + 1 / len);
      });
    }
  }, 300_000);

  it("is drawn with torch's generator, so a saved random state replays the same masks", async () => {
    using backbone = Backbone.load(await tinyBackbone('wav2vec2'));
    backbone.setTimeMasking({ prob: 0.3, length: 3, minMasks: 1 });
    using lengths = T.tensor([49, 30], { dtype: 'int64' });
    const draw = () => {
      using m = backbone.module.call('time_mask', lengths, 49) as T.Tensor;
      return values(m);
    };
    const saved = T.randomState();
    const first = [draw(), draw(), draw()];
    T.setRandomState(saved);
    expect([draw(), draw(), draw()]).toEqual(first);
    T.manualSeed(3);
    const a = draw();
    T.manualSeed(3);
    expect(draw()).toEqual(a);
  }, 300_000);

  it('exports without it still load; asking them to mask is an error naming the fix', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-old-export-'));
    try {
      const old = path.join(dir, 'old.pt');
      // The same archive with the metadata of an exporter before time masking.
      runPython(
        [
          'import json, sys, torch',
          'extra = {"vbt.json": ""}',
          'm = torch.jit.load(sys.argv[1], _extra_files=extra)',
          'meta = json.loads(extra["vbt.json"])',
          'meta.pop("time_masking"); meta.pop("input_normalization_source"); meta["exporter_version"] = "1.0.0"',
          'torch.jit.save(m, sys.argv[2], _extra_files={"vbt.json": json.dumps(meta)})',
        ].join('\n'),
        [await tinyBackbone('hubert'), old],
      );
      using backbone = Backbone.load(old);
      expect(backbone.timeMaskingAvailable).toBe(false);
      expect(backbone.timeMasking).toBeNull();
      expect(backbone.setTimeMasking({ prob: null, length: null, minMasks: null })).toBeNull();
      const error = thrown(T.TorchError, () => backbone.setTimeMasking({ prob: 0.05, length: null, minMasks: null }));
      expect(error.message).toContain('exported without time masking');
      expect(error.message).toContain('vbt export');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
