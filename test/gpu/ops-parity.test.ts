/**
 * Ops and gradients on CUDA equal the CPU's, in float32 with TF32 off (TF32
 * keeps only a 10-bit mantissa in matmuls; the training paths turn it on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../src/model/backbone.js';
import * as T from '../../src/torch/index.js';
import { closeTo, cuda, gpuSuite } from './cuda.js';
import { tinyDeterministicBackbone } from './tiny-model.js';

type Op = (x: T.Tensor, y: T.Tensor) => T.Tensor;

describe.skipIf(!cuda.available)(gpuSuite('CUDA ops and gradients equal the CPU'), () => {
  let backbonePath = '';
  beforeAll(async () => {
    T.setAllowTF32(false);
    backbonePath = await tinyDeterministicBackbone();
  }, 300_000);
  afterAll(() => T.setAllowTF32(true));

  it('elementwise ops, reductions, matmul, softmax, norms and losses', () => {
    T.manualSeed(0);
    const x = T.randn([37, 53]);
    const y = T.randn([53, 29]);
    const z = T.randn([37, 53]);
    const targets = T.randint(0, 53, [37]);
    const ops: [string, Op][] = [
      ['add/mul/div', (a) => a.add(2).mul(a).div(3)],
      ['exp/log1p/sqrt', (a) => a.exp().log1p().add(a.abs().sqrt())],
      ['sigmoid/tanh/gelu', (a) => a.sigmoid().add(a.tanh()).add(a.gelu())],
      ['sum/mean/var', (a) => T.cat([a.sum(0), a.mean(1), a.var(0)], 0)],
      ['matmul', (a, b) => a.matmul(b)],
      ['softmax/logsumexp', (a) => T.cat([a.softmax(1).flatten(), a.logsumexp(0)], 0)],
      ['layer norm', (a) => T.layerNorm(a, [53])],
      ['cross-entropy', (a) => T.crossEntropy(a, targets.to(a.device))],
      ['where/clamp', (a) => T.where(a.gt(0), a.clamp(0, 1), a.mul(-1))],
    ];
    for (const [name, op] of ops) {
      T.scope(() => {
        const onCpu = op(x, name === 'matmul' ? y : z);
        const onGpu = op(x.to('cuda'), (name === 'matmul' ? y : z).to('cuda'));
        expect(onGpu.device, name).toMatch(/^cuda/);
        const c = closeTo(onGpu, onCpu, 1e-5, 1e-5);
        expect(c.ok, `${name}: max |diff| ${c.maxDiff} > ${c.bound}`).toBe(true);
      });
    }
  });

  it('gradients of a composite loss', () => {
    T.manualSeed(1);
    const data = T.randn([16, 24]);
    const weight = T.randn([24, 5]).mul(0.3);
    const labels = T.randint(0, 5, [16]);
    const gradsOn = (device: T.Device) => {
      const w = weight.to(device).detach().requiresGrad_(true);
      const x = data.to(device).detach().requiresGrad_(true);
      const logits = T.layerNorm(x, [24]).matmul(w).gelu();
      const loss = T.crossEntropy(logits, labels.to(device)).add(logits.square().mean().mul(0.1));
      loss.backward();
      return { w: w.grad!, x: x.grad!, loss };
    };
    const cpu = gradsOn('cpu');
    const gpu = gradsOn('cuda');
    expect(gpu.w.device).toMatch(/^cuda/);
    for (const key of ['loss', 'w', 'x'] as const) {
      const c = closeTo(gpu[key], cpu[key], 1e-4, 1e-6);
      expect(c.ok, `${key}: max |diff| ${c.maxDiff} > ${c.bound}`).toBe(true);
    }
  });

  it('a TorchScript backbone: forward and parameter gradients', () => {
    const onCpu = Backbone.load(backbonePath).eval();
    const onGpu = Backbone.load(backbonePath, { device: 'cuda' }).eval();
    T.manualSeed(2);
    const waves = T.randn([3, 16000]).mul(0.1);
    const lengths = T.tensor([16000, 11000, 6000], { dtype: 'int64' });
    const run = (bb: Backbone, device: T.Device) => {
      const pooled = bb.pooled(waves.to(device), lengths.to(device));
      pooled.square().mean().backward();
      return pooled;
    };
    const pc = run(onCpu, 'cpu');
    const pg = run(onGpu, 'cuda');
    expect(pg.device).toMatch(/^cuda/);
    const c = closeTo(pg, pc, 1e-4, 1e-5);
    expect(c.ok, `pooled: max |diff| ${c.maxDiff} > ${c.bound}`).toBe(true);
    const gpuParams = onGpu.namedParameters();
    let compared = 0;
    for (const [name, p] of onCpu.namedParameters()) {
      const q = gpuParams.get(name)!;
      expect(q.device).toMatch(/^cuda/);
      const g = closeTo(q.grad!, p.grad!, 1e-3, 1e-6);
      expect(g.ok, `grad of ${name}: max |diff| ${g.maxDiff} > ${g.bound}`).toBe(true);
      compared++;
    }
    expect(compared).toBe(gpuParams.size);
    expect(compared).toBeGreaterThan(10);
    onCpu.dispose();
    onGpu.dispose();
  });
});
