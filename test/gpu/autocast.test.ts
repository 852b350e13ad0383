/** bf16 autocast on CUDA: what it changes (matmul dtypes) and how close it stays to fp32. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../src/model/backbone.js';
import * as T from '../../src/torch/index.js';
import { cuda, differences, gpuSuite } from './cuda.js';
import { disposeDeviceBatch, toDeviceBatch } from '../../src/run/device-batch.js';
import { hostBatch, tinyDeterministicBackbone, tinyRecipeA } from './tiny-model.js';

describe.skipIf(!cuda.available)(gpuSuite('bf16 autocast on CUDA'), () => {
  let backbonePath = '';
  beforeAll(async () => {
    backbonePath = await tinyDeterministicBackbone();
    T.setAllowTF32(false);
  }, 300_000);

  it('runs matmuls in bfloat16 inside the block only; parameters stay float32', () => {
    const layer = new T.nn.Linear(8, 4).to('cuda');
    const x = T.randn([2, 8], { device: 'cuda' });
    const inside = T.withAutocast('cuda', 'bfloat16', () => layer.forward(x));
    expect(inside.dtype).toBe('bfloat16');
    expect(layer.forward(x).dtype).toBe('float32');
    for (const p of layer.parameters()) expect(p.dtype).toBe('float32');
  });

  it('a backbone forward in bf16 stays close to fp32', () => {
    const bb = Backbone.load(backbonePath, { device: 'cuda' }).eval();
    T.manualSeed(3);
    const waves = T.randn([4, 24000], { device: 'cuda' }).mul(0.1);
    const lengths = T.tensor([24000, 20000, 16000, 8000], { dtype: 'int64', device: 'cuda' });
    const fp32 = bb.pooled(waves, lengths).toArray() as Float32Array;
    const bf16Tensor = T.withAutocast('cuda', 'bfloat16', () => bb.pooled(waves, lengths));
    const bf16 = bf16Tensor.float().toArray() as Float32Array;
    const { maxDiff, maxRef } = differences(bf16, fp32);
    let se = 0;
    let ss = 0;
    fp32.forEach((v, i) => {
      se += (bf16[i]! - v) ** 2;
      ss += v * v;
    });
    const relativeL2 = Math.sqrt(se / ss);
    // bf16 keeps 8 bits of mantissa (relative step 2^-8 ≈ 0.4%): two layers stay within a few percent.
    expect(relativeL2).toBeLessThan(0.03);
    expect(maxDiff).toBeLessThan(0.1 * maxRef);
    // And autocast really ran in reduced precision: the results are not bit-identical.
    expect(maxDiff).toBeGreaterThan(0);
    bb.dispose();
  });

  it('the recipe A loss in bf16 is close to fp32, with float32 gradients', () => {
    const model = tinyRecipeA(backbonePath, 'cuda');
    const batch = hostBatch([16000, 12000, 12000, 8000, 6000, 4000], 7);
    const db = toDeviceBatch(batch, { device: 'cuda', sampleRate: 16000 });
    const fp32 = model.loss(db).loss.item();
    const out = T.withAutocast('cuda', 'bfloat16', () => model.loss(db));
    const bf16 = out.loss.item();
    expect(Math.abs(bf16 - fp32) / Math.abs(fp32)).toBeLessThan(0.05);
    out.loss.backward();
    for (const p of model.head.parameters()) {
      expect(p.dtype).toBe('float32');
      expect(p.grad?.dtype).toBe('float32');
    }
    disposeDeviceBatch(db);
  });
});
