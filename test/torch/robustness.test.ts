import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { native } from '../../src/torch/native.js';

describe('bad input gives a TorchError, never a crash', () => {
  it('shape mismatches, wrong dtypes and bad arguments in ops', () => {
    const a = T.tensor([[1, 2, 3]]);
    expect(() => a.matmul(T.tensor([[1, 2]]))).toThrow(/shapes cannot be multiplied/);
    expect(() => a.add(T.tensor([1, 2]))).toThrow(/size of tensor a \(3\) must match/);
    expect(() => a.reshape([4])).toThrow(/shape '\[4\]' is invalid for input of size 3/);
    expect(() => a.indexSelect(1, T.tensor([0.5]))).toThrow(T.TorchError); // float index
    expect(() => a.indexSelect(1, T.tensor([7], { dtype: 'int64' }))).toThrow(/out of (range|DATA bounds)/i);
    expect(() => a.select(5, 0)).toThrow(/Dimension out of range/);
    expect(() => T.crossEntropy(a, T.tensor([0]))).toThrow(T.TorchError); // float target
    expect(() => T.crossEntropy(a, T.tensor([9], { dtype: 'int64' }))).toThrow(/out of bounds|Target 9/);
    expect(() => T.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/holds 4 elements but the array has 3/);
    expect(() => T.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => T.tensor([1], { dtype: 'complex64' as T.DType })).toThrow(/unknown dtype 'complex64'/);
    expect(() => T.tensor([1], { device: 'tpu' as T.Device })).toThrow(/invalid device 'tpu'/);
    expect(() => T.zeros([-1])).toThrow(T.TorchError);
    expect(() => T.tensor([1, 2]).item()).toThrow(/exactly one element/);
    expect(() => T.dropout(a, 1.5, true)).toThrow(/p must lie in/);
  });

  it('a disposed tensor is a clear error everywhere', () => {
    const a = T.tensor([1, 2]);
    const b = T.tensor([3, 4]);
    a.dispose();
    a.dispose(); // idempotent
    expect(a.disposed).toBe(true);
    expect(() => a.add(b)).toThrow(/used after dispose/);
    expect(() => b.add(a)).toThrow(/used after dispose/);
    expect(() => a.toArray()).toThrow(/used after dispose/);
    expect(() => T.cat([b, a])).toThrow(/used after dispose/);
    expect(String(a)).toBe('Tensor(disposed)');
  });

  it('out-of-memory requests fail cleanly and the process goes on', () => {
    expect(() => T.empty([1e7, 1e7])).toThrow(T.TorchError);
    expect(T.ones([2]).sum().item()).toBe(2);
  });

  it('every native entry point survives garbage arguments', () => {
    const n = native() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const t = T.tensor([1, 2]);
    const garbage: unknown[] = [
      undefined,
      null,
      0,
      -1,
      1.5,
      Number.NaN,
      1e300,
      'x',
      'float32',
      true,
      {},
      [],
      [1, 'a'],
      [[[]]],
      () => 1,
      Symbol('s'),
      10n,
      new Float32Array(3),
      new Uint8Array([1, 2, 3]),
      t.handle,
      { params: [t.handle] },
    ];
    let calls = 0;
    let threw = 0;
    const skip = new Set(['setErrorClass', 'setNumThreads', 'manualSeed', 'setGradEnabled', 'setAutocast', 'setAllowTF32', 'dispose', 'setData', 'setGrad']);
    for (const [name, fn] of Object.entries(n)) {
      if (typeof fn !== 'function' || skip.has(name)) continue;
      for (const a of garbage) {
        for (const b of [undefined, ...garbage.slice(0, 8)]) {
          calls++;
          try {
            fn(a, b);
          } catch (err) {
            threw++;
            expect((err as Error).name).toMatch(/TorchError|TypeError/);
          }
        }
      }
    }
    expect(calls).toBeGreaterThan(1000);
    expect(threw).toBeGreaterThan(calls / 2);
    // The process and the tensor are intact.
    expect(t.toNumbers()).toEqual([1, 2]);
    expect(T.isGradEnabled()).toBe(true);
  });
});
