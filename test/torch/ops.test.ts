import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

/** Compare arrays elementwise within tolerance. */
function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, -Math.log10(tol));
}

describe('tensor creation and data', () => {
  it('round-trips typed arrays and nested arrays with shapes and dtypes', () => {
    const a = T.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.device).toBe('cpu');
    expect(Array.from(a.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    const b = T.tensor(new Int32Array([7, 8]), { dtype: 'int64' });
    expect(b.dtype).toBe('int64');
    expect(b.toArray()).toEqual(BigInt64Array.from([7n, 8n]));
    const c = T.tensor(new Float64Array([0.1, 0.2, 0.3, 0.4]), { shape: [2, 2] });
    expect(c.dtype).toBe('float64');
    expect(Array.from(c.toArray())).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(T.scalar(2.5).item()).toBe(2.5);
    expect(T.scalar(2.5).shape).toEqual([]);
  });

  it('creates filled, ranged and like tensors', () => {
    expect(T.zeros([2, 2]).toNumbers()).toEqual([0, 0, 0, 0]);
    expect(T.ones([3], { dtype: 'int32' }).toNumbers()).toEqual([1, 1, 1]);
    expect(T.full([2], 7).toNumbers()).toEqual([7, 7]);
    expect(T.arange(5).toNumbers()).toEqual([0, 1, 2, 3, 4]);
    expect(T.arange(1, 2, 0.25, { dtype: 'float32' }).toNumbers()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(T.linspace(0, 1, 5).toNumbers()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const t = T.tensor([1, 2, 3]);
    expect(T.zerosLike(t).toNumbers()).toEqual([0, 0, 0]);
    expect(T.fullLike(t, 3).toNumbers()).toEqual([3, 3, 3]);
    expect(T.randn([4, 5]).shape).toEqual([4, 5]);
  });

  it('seeds the generator reproducibly', () => {
    T.manualSeed(42);
    const a = T.randn([5]).toNumbers();
    T.manualSeed(42);
    const b = T.randn([5]).toNumbers();
    expect(a).toEqual(b);
    T.manualSeed(43);
    expect(T.randn([5]).toNumbers()).not.toEqual(a);
  });

  it('converts dtypes, including bfloat16 read back as float32', () => {
    const a = T.tensor([1.5, -2.25, 3]);
    expect(a.to('int64').toNumbers()).toEqual([1, -2, 3]);
    const bf = a.to('bfloat16');
    expect(bf.dtype).toBe('bfloat16');
    expect(bf.toArray()).toBeInstanceOf(Float32Array);
    expect(bf.toNumbers()).toEqual([1.5, -2.25, 3]); // exactly representable in bf16
    expect(T.tensor([0, 2]).bool().toNumbers()).toEqual([0, 1]);
  });
});

describe('elementwise ops against hand-computed values', () => {
  const x = () => T.tensor([-2, -0.5, 0, 1, 3]);
  it('arithmetic with tensors and scalars', () => {
    const y = T.tensor([1, 2, 3, 4, 5]);
    expect(x().add(y).toNumbers()).toEqual([-1, 1.5, 3, 5, 8]);
    expect(x().add(y, 2).toNumbers()).toEqual([0, 3.5, 6, 9, 13]);
    expect(x().sub(1).toNumbers()).toEqual([-3, -1.5, -1, 0, 2]);
    expect(x().mul(y).toNumbers()).toEqual([-2, -1, 0, 4, 15]);
    expect(x().div(2).toNumbers()).toEqual([-1, -0.25, 0, 0.5, 1.5]);
    expect(x().rsub(1).toNumbers()).toEqual([3, 1.5, 1, 0, -2]);
    expect(x().neg().toNumbers()).toEqual([2, 0.5, -0, -1, -3]);
    expect(x().abs().toNumbers()).toEqual([2, 0.5, 0, 1, 3]);
    expect(x().pow(2).toNumbers()).toEqual([4, 0.25, 0, 1, 9]);
    expect(x().square().toNumbers()).toEqual([4, 0.25, 0, 1, 9]);
    expect(x().sign().toNumbers()).toEqual([-1, -1, 0, 1, 1]);
    expect(x().clamp(-1, 2).toNumbers()).toEqual([-1, -0.5, 0, 1, 2]);
    expect(x().clamp(0).toNumbers()).toEqual([0, 0, 0, 1, 3]);
    expect(x().clamp(null, 0).toNumbers()).toEqual([-2, -0.5, 0, 0, 0]);
    expect(x().maximum(T.zeros([5])).toNumbers()).toEqual([0, 0, 0, 1, 3]);
  });

  it('transcendental functions', () => {
    const v = [-2, -0.5, 0, 1, 3];
    close(x().exp().toArray(), v.map(Math.exp), 1e-5);
    close(x().sigmoid().toArray(), v.map((a) => 1 / (1 + Math.exp(-a))));
    close(x().tanh().toArray(), v.map(Math.tanh));
    expect(x().relu().toNumbers()).toEqual([0, 0, 0, 1, 3]);
    // GELU(x) = x·Φ(x); Φ(1) = 0.841344746, Φ(3) = 0.998650102, Φ(−0.5) = 0.308537539, Φ(−2) = 0.022750132
    close(x().gelu().toArray(), [-2 * 0.022750132, -0.5 * 0.308537539, 0, 0.841344746, 3 * 0.998650102], 1e-5);
    const p = T.tensor([0.25, 1, 4]);
    close(p.log().toArray(), [Math.log(0.25), 0, Math.log(4)]);
    close(p.sqrt().toArray(), [0.5, 1, 2]);
    close(p.rsqrt().toArray(), [2, 1, 0.5]);
    close(p.reciprocal().toArray(), [4, 1, 0.25]);
  });

  it('comparisons and logic', () => {
    expect(x().gt(0).toNumbers()).toEqual([0, 0, 0, 1, 1]);
    expect(x().le(0).toNumbers()).toEqual([1, 1, 1, 0, 0]);
    expect(x().eq(T.tensor([-2, 0, 0, 0, 3])).toNumbers()).toEqual([1, 0, 1, 0, 1]);
    expect(x().ne(0).logicalNot().toNumbers()).toEqual([0, 0, 1, 0, 0]);
    expect(T.tensor([1, Number.NaN]).isnan().toNumbers()).toEqual([0, 1]);
    expect(T.tensor([1, Number.POSITIVE_INFINITY]).isfinite().all().item()).toBe(0);
  });
});

describe('reductions', () => {
  const m = () => T.tensor([[1, 2, 3], [4, 5, 9]]);
  it('sum, mean, max, argmax over all and over dims', () => {
    expect(m().sum().item()).toBe(24);
    expect(m().sum(0).toNumbers()).toEqual([5, 7, 12]);
    expect(m().sum(1, true).shape).toEqual([2, 1]);
    expect(m().mean().item()).toBe(4);
    expect(m().mean(1).toNumbers()).toEqual([2, 6]);
    expect(m().max().item()).toBe(9);
    expect(m().min().item()).toBe(1);
    const { values, indices } = m().maxDim(1);
    expect(values.toNumbers()).toEqual([3, 9]);
    expect(indices.toNumbers()).toEqual([2, 2]);
    expect(m().argmax().item()).toBe(5);
    expect(m().argmax(0).toNumbers()).toEqual([1, 1, 1]);
    expect(m().amax(0).toNumbers()).toEqual([4, 5, 9]);
  });

  it('variance and standard deviation with both corrections', () => {
    // row 1: mean 2, squared deviations 1+0+1 = 2; row 2: mean 6, 4+1+9 = 14
    close(m().var(1).toArray(), [1, 7]);
    close(m().var(1, { correction: 0 }).toArray(), [2 / 3, 14 / 3]);
    close(m().std(1).toArray(), [1, Math.sqrt(7)]);
    // all six: mean 4, squared deviations 9+4+1+0+1+25 = 40
    expect(m().var(undefined, { correction: 0 }).item()).toBeCloseTo(40 / 6, 5);
  });

  it('softmax, log-softmax and logsumexp', () => {
    const z = T.tensor([[0, Math.log(3)]]);
    close(z.softmax(1).toArray(), [0.25, 0.75]);
    close(z.logSoftmax(1).toArray(), [Math.log(0.25), Math.log(0.75)]);
    close(z.logsumexp(1).toArray(), [Math.log(4)]);
  });
});

describe('shape and indexing', () => {
  const m = () => T.arange(6, undefined, 1, { dtype: 'float32' }).reshape([2, 3]); // [[0,1,2],[3,4,5]]
  it('reshape, transpose, permute, squeeze, expand, cat, stack', () => {
    expect(m().transpose(0, 1).contiguous().toNumbers()).toEqual([0, 3, 1, 4, 2, 5]);
    expect(m().t().shape).toEqual([3, 2]);
    expect(m().reshape([3, -1]).shape).toEqual([3, 2]);
    expect(m().unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(m().unsqueeze(0).squeeze(0).shape).toEqual([2, 3]);
    expect(m().permute([1, 0]).shape).toEqual([3, 2]);
    expect(m().flatten().shape).toEqual([6]);
    expect(T.tensor([[1], [2]]).expand([2, 3]).toNumbers()).toEqual([1, 1, 1, 2, 2, 2]);
    expect(T.tensor([1, 2]).repeat([2]).toNumbers()).toEqual([1, 2, 1, 2]);
    expect(T.cat([m(), m()], 0).shape).toEqual([4, 3]);
    expect(T.cat([m(), m()], 1).toNumbers()).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    expect(T.stack([T.tensor([1, 2]), T.tensor([3, 4])], 1).toNumbers()).toEqual([1, 3, 2, 4]);
  });

  it('narrow, select, slice, index_select, gather, masked fill, where', () => {
    expect(m().narrow(1, 1, 2).toNumbers()).toEqual([1, 2, 4, 5]);
    expect(m().select(0, 1).toNumbers()).toEqual([3, 4, 5]);
    expect(m().slice(1, 0, null, 2).toNumbers()).toEqual([0, 2, 3, 5]);
    expect(m().indexSelect(1, T.tensor([2, 0], { dtype: 'int64' })).toNumbers()).toEqual([2, 0, 5, 3]);
    expect(m().gather(1, T.tensor([[1], [2]], { dtype: 'int64' })).toNumbers()).toEqual([1, 5]);
    expect(m().maskedFill(m().gt(3), -1).toNumbers()).toEqual([0, 1, 2, 3, -1, -1]);
    expect(T.where(m().lt(2), m(), T.zerosLike(m())).toNumbers()).toEqual([0, 1, 0, 0, 0, 0]);
    expect(T.oneHot(T.tensor([0, 2], { dtype: 'int64' }), 3).toNumbers()).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('matmul and linear', () => {
    const a = T.tensor([[1, 2], [3, 4]]);
    const b = T.tensor([[5, 6], [7, 8]]);
    expect(a.matmul(b).toNumbers()).toEqual([19, 22, 43, 50]);
    // linear(x, W, b) = x·Wᵀ + b
    expect(T.linear(a, b, T.tensor([1, -1])).toNumbers()).toEqual([1 * 5 + 2 * 6 + 1, 1 * 7 + 2 * 8 - 1, 3 * 5 + 4 * 6 + 1, 3 * 7 + 4 * 8 - 1]);
  });
});

describe('neural-network functionals', () => {
  it('cross-entropy with class weights and label smoothing matches the closed form', () => {
    const logits = [
      [2, 0, -1],
      [0.5, 0.5, 1],
    ];
    const target = [0, 2];
    const w = [1, 2, 3];
    const logp = logits.map((row) => {
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      return row.map((v) => v - lse);
    });
    const nll = target.map((t, i) => -(logp[i] as number[])[t]!);
    // Weighted mean: Σ w_t·nll / Σ w_t.
    const weighted = (w[0]! * nll[0]! + w[2]! * nll[1]!) / (w[0]! + w[2]!);
    const ce = T.crossEntropy(T.tensor(logits), T.tensor(target, { dtype: 'int64' }), { weight: T.tensor(w) });
    expect(ce.item()).toBeCloseTo(weighted, 5);
    // Label smoothing ε (no weights): (1−ε)·nll + ε·mean_c(−log p_c).
    const eps = 0.2;
    const smooth =
      target.reduce((s, t, i) => {
        const row = logp[i] as number[];
        return s + (1 - eps) * -row[t]! + (eps * -row.reduce((a, b) => a + b, 0)) / row.length;
      }, 0) / target.length;
    const ls = T.crossEntropy(T.tensor(logits), T.tensor(target, { dtype: 'int64' }), { labelSmoothing: eps });
    expect(ls.item()).toBeCloseTo(smooth, 5);
    const none = T.crossEntropy(T.tensor(logits), T.tensor(target, { dtype: 'int64' }), { reduction: 'none' });
    close(none.toArray(), nll, 1e-5);
  });

  it('mse, l1, layer norm and dropout', () => {
    const a = T.tensor([1, 2, 3]);
    const b = T.tensor([2, 2, 5]);
    expect(T.mseLoss(a, b).item()).toBeCloseTo((1 + 0 + 4) / 3, 6);
    expect(T.l1Loss(a, b).item()).toBeCloseTo((1 + 0 + 2) / 3, 6);
    // layer norm of [1,2,3]: mean 2, var 2/3 → (x−2)/√(2/3+ε)
    const s = Math.sqrt(2 / 3 + 1e-5);
    close(T.layerNorm(a.reshape([1, 3]), [3]).toArray(), [-1 / s, 0, 1 / s], 1e-5);
    const d = T.dropout(T.ones([1000]), 0.5, true).toNumbers();
    expect(new Set(d)).toEqual(new Set([0, 2]));
    expect(T.dropout(T.ones([10]), 0.5, false).toNumbers()).toEqual(Array(10).fill(1));
  });
});

describe('in-place ops', () => {
  it('modify the tensor and return it', () => {
    const a = T.tensor([1, 2, 3]);
    expect(a.mul_(2)).toBe(a);
    expect(a.toNumbers()).toEqual([2, 4, 6]);
    a.add_(T.tensor([1, 1, 1]), -1).clamp_(2, 4);
    expect(a.toNumbers()).toEqual([2, 3, 4]);
    a.copy_(T.tensor([9, 8, 7]));
    expect(a.toNumbers()).toEqual([9, 8, 7]);
    a.fill_(5);
    expect(a.toNumbers()).toEqual([5, 5, 5]);
    a.zero_();
    expect(a.toNumbers()).toEqual([0, 0, 0]);
    const u = T.zeros([2000]).uniform_(-1, 1).toNumbers();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});
