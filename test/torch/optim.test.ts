import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

/** One Adam step from zero state, written out: m = (1−β1)g, v = (1−β2)g², bias-corrected. */
function adamStep(p: number, g: number, lr: number, b1: number, b2: number, eps: number): number {
  const m = (1 - b1) * g;
  const v = (1 - b2) * g * g;
  const mHat = m / (1 - b1);
  const vHat = v / (1 - b2);
  return p - (lr * mHat) / (Math.sqrt(vHat) + eps);
}

function paramWithGrad(values: number[], grads: number[]): T.Tensor {
  const p = T.tensor(values, { dtype: 'float64', requiresGrad: true });
  p.mul(T.tensor(grads, { dtype: 'float64' })).sum().backward(); // grad = grads
  return p;
}

describe('Adam and AdamW', () => {
  const values = [0.5, -1, 2];
  const grads = [0.1, -3, 0.02];

  it('Adam: one step equals the closed form, with L2 weight decay added to the gradient', () => {
    const lr = 0.01;
    const wd = 0.1;
    const p = paramWithGrad(values, grads);
    const opt = new T.Adam([p], { lr, weightDecay: wd, betas: [0.8, 0.99], eps: 1e-6 });
    opt.step();
    const expected = values.map((v, i) => adamStep(v, grads[i]! + wd * v, lr, 0.8, 0.99, 1e-6));
    p.toNumbers().forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 10));
  });

  it('AdamW: one step equals the closed form with decoupled decay', () => {
    const lr = 0.05;
    const wd = 0.2;
    const p = paramWithGrad(values, grads);
    const opt = new T.AdamW([p], { lr, weightDecay: wd });
    opt.step();
    // p ← p·(1 − lr·wd), then the Adam update on the raw gradient.
    const expected = values.map((v, i) => adamStep(v * (1 - lr * wd), grads[i]!, lr, 0.9, 0.999, 1e-8));
    p.toNumbers().forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 10));
  });

  it('per-group learning rates are set and read back, and a zero lr freezes a group', () => {
    const a = paramWithGrad([1], [1]);
    const b = paramWithGrad([1], [1]);
    const opt = new T.AdamW([
      { params: [a], lr: 0.1, name: 'heads' },
      { params: [b], lr: 0.1, name: 'backbone' },
    ]);
    expect(opt.groupCount).toBe(2);
    expect(opt.groupNames).toEqual(['heads', 'backbone']);
    opt.setLr(0, 1);
    opt.setLr(0.5, 0);
    expect(opt.getLr(0)).toBe(0.5);
    expect(opt.getLr(1)).toBe(0);
    opt.step();
    expect(b.toNumbers()).toEqual([1]);
    expect(a.item()).toBeCloseTo(adamStep(1 * (1 - 0.5 * 0.01), 1, 0.5, 0.9, 0.999, 1e-8), 10);
    expect(() => opt.setLr(0.1, 5)).toThrow(/group 5 does not exist/);
  });

  it('zeroGrad clears gradients', () => {
    const p = paramWithGrad([1, 2], [3, 4]);
    const opt = new T.Adam([p]);
    opt.zeroGrad(false);
    expect(p.grad!.toNumbers()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('state saved and loaded continues exactly like an uninterrupted run', () => {
    const run = (interrupt: boolean): number[] => {
      const p = T.tensor([1, -1, 0.5], { dtype: 'float64', requiresGrad: true });
      let opt = new T.AdamW([p], { lr: 0.1 });
      const step = (k: number) => {
        opt.zeroGrad();
        p.mul(T.tensor([k, -k, 2 * k], { dtype: 'float64' })).pow(2).sum().backward();
        opt.step();
      };
      step(1);
      step(2);
      if (interrupt) {
        const bytes = opt.saveState();
        opt.dispose();
        opt = new T.AdamW([p], { lr: 0.1 });
        opt.loadState(bytes);
      }
      step(3);
      return p.toNumbers();
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects bad settings and non-leaf parameters with clear errors', () => {
    const p = T.tensor([1], { requiresGrad: true });
    expect(() => new T.Adam([p], { lr: -1 })).toThrow(/lr must be a finite non-negative/);
    expect(() => new T.Adam([p], { betas: [1.5, 0.9] })).toThrow(/betas must lie in/);
    expect(() => new T.Adam([p.mul(2)])).toThrow(/not a leaf tensor/);
    const opt = new T.Adam([p]);
    expect(() => opt.loadState(new Uint8Array([1, 2, 3]))).toThrow(T.TorchError);
    opt.dispose();
    expect(() => opt.step()).toThrow(/after dispose/);
  });
});
