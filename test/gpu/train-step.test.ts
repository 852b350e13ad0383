/**
 * A recipe A training step on CUDA: everything lives on the GPU, the first
 * loss equals the CPU's for the same weights and batch, the step updates the
 * weights, and it leaks no tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MultitaskModel } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { disposeDeviceBatch, toDeviceBatch } from '../../src/run/device-batch.js';
import { closeTo, cuda, gpuSuite } from './cuda.js';
import { hostBatch, tinyDeterministicBackbone, tinyRecipeA } from './tiny-model.js';

function trainable(model: MultitaskModel): T.Tensor[] {
  return [...model.head.parameters(), ...model.backbone.trainableParameters()];
}

describe.skipIf(!cuda.available)(gpuSuite('a training step on CUDA'), () => {
  let backbonePath = '';
  beforeAll(async () => {
    backbonePath = await tinyDeterministicBackbone();
  }, 300_000);

  it('keeps model, batch, gradients and optimizer on the GPU and matches the CPU loss', () => {
    T.setAllowTF32(false);
    const batch = hostBatch([16000, 14000, 12000, 9000], 0);
    const lossOn = (model: MultitaskModel, device: T.Device) =>
      T.scope(() => {
        const db = toDeviceBatch(batch, { device, sampleRate: 16000 });
        const loss = model.loss(db).loss;
        const value = T.keep(loss.detach());
        disposeDeviceBatch(db);
        return value;
      });
    const cpuModel = tinyRecipeA(backbonePath, 'cpu');
    const gpuModel = tinyRecipeA(backbonePath, 'cuda');
    for (const p of trainable(gpuModel)) expect(p.device).toMatch(/^cuda/);
    const c = closeTo(lossOn(gpuModel, 'cuda'), lossOn(cpuModel, 'cpu'), 1e-4, 1e-6);
    expect(c.ok, `first loss: |diff| ${c.maxDiff} > ${c.bound}`).toBe(true);
    T.setAllowTF32(true);

    const params = trainable(gpuModel);
    const before = params.map((p) => T.keep(p.detach().clone()));
    const optimizer = new T.AdamW([{ params, lr: 1e-3 }]);
    const step = () =>
      T.scope(() => {
        optimizer.zeroGrad();
        const db = toDeviceBatch(batch, { device: 'cuda', sampleRate: 16000 });
        const out = T.withAutocast('cuda', 'bfloat16', () => gpuModel.loss(db));
        out.loss.backward();
        for (const p of params) if (p.grad) expect(p.grad.device).toMatch(/^cuda/);
        optimizer.step();
        disposeDeviceBatch(db);
        return out.loss.item();
      });
    const first = step();
    const live = T.liveTensors();
    const losses = [first];
    for (let i = 0; i < 5; i++) losses.push(step());
    expect(T.liveTensors()).toBe(live);
    expect(losses.every(Number.isFinite)).toBe(true);
    // Every trainable tensor moved, and stayed float32 on the GPU (fp32 master weights).
    params.forEach((p, i) => {
      expect(p.device).toMatch(/^cuda/);
      expect(p.dtype).toBe('float32');
      expect(p.sub(before[i]!).abs().max().item(), `parameter ${i} did not change`).toBeGreaterThan(0);
    });
    // Six steps on one batch must bring its loss down.
    expect(losses.at(-1)!).toBeLessThan(first);
    optimizer.dispose();
  });
});
