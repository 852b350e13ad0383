import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

/** f(x, w) = mean(softplus-ish composite) — exercises matmul, tanh, exp, log, div, pow, sum. */
function composite(x: T.Tensor, w: T.Tensor): T.Tensor {
  const h = x.matmul(w).tanh(); // [3, 2]
  const s = h.exp().add(1).log(); // softplus(h)
  return s.pow(2).sum(1).div(h.square().sum(1).add(1)).mean();
}

describe('gradients', () => {
  it('match central finite differences on a composite function (float64)', () => {
    T.manualSeed(7);
    const x = T.randn([3, 4], { dtype: 'float64' });
    const w = T.randn([4, 2], { dtype: 'float64', requiresGrad: true });
    const loss = composite(x, w);
    loss.backward();
    const analytic = w.grad!.toNumbers();
    const base = w.detach().toNumbers();
    const h = 1e-6;
    const numeric = base.map((_, i) => {
      const plus = base.slice();
      const minus = base.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const f = (vals: number[]) =>
        T.scope(() => T.noGrad(() => composite(x, T.tensor(Float64Array.from(vals), { shape: [4, 2] })).item()));
      return (f(plus) - f(minus)) / (2 * h);
    });
    for (let i = 0; i < base.length; i++) expect(analytic[i]).toBeCloseTo(numeric[i]!, 6);
  });

  it('functional grad() agrees with backward() and leaves .grad alone', () => {
    const w = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const [g] = T.grad(w.pow(3).sum(), [w]);
    expect(g!.toNumbers()).toEqual([3, 12, 27]); // d/dw w³ = 3w²
    expect(w.grad).toBeNull();
  });

  it('accumulate across backward calls and clear with setGrad(null)', () => {
    const w = T.tensor([1, 2], { requiresGrad: true });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(w.grad!.toNumbers()).toEqual([6, 6]);
    w.grad = null;
    expect(w.grad).toBeNull();
  });

  it('are not recorded under noGrad, and enableGrad turns recording back on', () => {
    const w = T.tensor([1, 2], { requiresGrad: true });
    const y = T.noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(T.isGradEnabled()).toBe(true);
    const z = T.noGrad(() => T.enableGrad(() => w.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(() => y.sum().backward()).toThrow(T.TorchError);
  });

  it('detach cuts the graph', () => {
    const w = T.tensor([2], { requiresGrad: true });
    const y = w.mul(w.detach()); // d/dw = w.detach() = 2, not 2w = 4
    y.sum().backward();
    expect(w.grad!.toNumbers()).toEqual([2]);
  });
});

describe('gradient reversal', () => {
  it('is the identity forward and flips and scales the gradient backward', () => {
    const w = T.tensor([1, -2, 3], { requiresGrad: true });
    const r = T.gradReverse(w, 0.5);
    expect(r.toNumbers()).toEqual([1, -2, 3]);
    r.mul(T.tensor([1, 2, 3])).sum().backward();
    expect(w.grad!.toNumbers()).toEqual([-0.5, -1, -1.5]);
  });

  it('reverses only what lies behind it', () => {
    // loss = (a·b) with reversal between a and b: b gets +a, a gets −factor·b.
    const a = T.tensor([2], { requiresGrad: true });
    const b = T.tensor([3], { requiresGrad: true });
    T.gradReverse(a, 2).mul(b).sum().backward();
    expect(a.grad!.toNumbers()).toEqual([-6]);
    expect(b.grad!.toNumbers()).toEqual([2]);
  });
});

describe('gradient clipping', () => {
  it('the tensor variant clips the same and returns the norm as a tensor', () => {
    const make = () => {
      const a = T.tensor([3, 0], { requiresGrad: true });
      const b = T.tensor([4], { requiresGrad: true });
      a.sum().mul(3).backward();
      b.sum().mul(4).backward();
      return [a, b];
    };
    const [a1, b1] = make();
    const [a2, b2] = make();
    const n1 = T.clipGradNorm([a1!, b1!], 2);
    const n2 = T.clipGradNormTensor([a2!, b2!], 2);
    expect(n2.shape).toEqual([]);
    expect(n2.item()).toBeCloseTo(n1, 5);
    expect(a2!.grad!.toNumbers()).toEqual(a1!.grad!.toNumbers());
    expect(b2!.grad!.toNumbers()).toEqual(b1!.grad!.toNumbers());
    // Below the limit nothing changes.
    const [a3, b3] = make();
    T.clipGradNormTensor([a3!, b3!], 100);
    expect(a3!.grad!.toNumbers()).toEqual([3, 3]);
  });

  it('scales gradients to the max norm and returns the norm before', () => {
    const a = T.tensor([3, 0], { requiresGrad: true });
    const b = T.tensor([4], { requiresGrad: true });
    a.sum().mul(3).backward(); // grad a = [3, 3]
    b.sum().mul(4).backward(); // grad b = [4]
    const norm = T.clipGradNorm([a, b], 1);
    expect(norm).toBeCloseTo(Math.sqrt(9 + 9 + 16), 5);
    const after = Math.hypot(...a.grad!.toNumbers(), ...b.grad!.toNumbers());
    expect(after).toBeCloseTo(1, 4);
  });
});
