/** The default random generators' states: read, set back, encoded as bytes. */
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { native } from '../../src/torch/native.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseRandomState } from '../../src/run/checkpoint.js';

describe('random generator state', () => {
  it('setting a saved state back repeats the draws made after it, on the CPU generator', () => {
    T.manualSeed(7);
    const saved = T.randomState();
    expect(saved.cpu).toBeInstanceOf(Uint8Array);
    expect(saved.cuda.length).toBe(T.cudaDeviceCount());
    using x = T.ones([256]);
    using a = T.rand([64]);
    using d1 = T.dropout(x, 0.5, true);
    T.setRandomState(saved);
    using b = T.rand([64]);
    using d2 = T.dropout(x, 0.5, true);
    expect(b.toNumbers()).toEqual(a.toNumbers());
    expect(d2.toNumbers()).toEqual(d1.toNumbers());
    // Reading the state draws nothing.
    T.setRandomState(saved);
    T.randomState();
    using c = T.rand([64]);
    expect(c.toNumbers()).toEqual(a.toNumbers());
  });

  it('encodes to bytes and back, and rejects bytes that are not such a state', () => {
    const state = { cpu: Uint8Array.from([1, 2, 3]), cuda: [Uint8Array.from([4, 5]), new Uint8Array(0)] };
    const bytes = T.encodeRandomState(state);
    expect(T.decodeRandomState(bytes)).toEqual(state);
    const real = T.randomState();
    expect(T.decodeRandomState(T.encodeRandomState(real))).toEqual(real);
    expect(() => T.decodeRandomState(new Uint8Array(12))).toThrow(/wrong header/);
    expect(() => T.decodeRandomState(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => T.decodeRandomState(Uint8Array.from([...bytes, 0]))).toThrow(/past its end/);
    expect(() => T.decodeRandomState(new Uint8Array(3))).toThrow(T.TorchError);
    // A damaged checkpoint file is a ConfigError naming it.
    expect(() => parseRandomState(new Uint8Array(3), '/runs/x/checkpoints/last/random-state.bin')).toThrow(ConfigError);
    expect(() => parseRandomState(new Uint8Array(3), '/runs/x/checkpoints/last/random-state.bin')).toThrow(/^\/runs\/x\/checkpoints\/last\/random-state\.bin: /);
  });

  it('a wrong state is a TorchError and changes no generator', () => {
    T.manualSeed(3);
    const saved = T.randomState();
    using a = T.rand([8]);
    T.setRandomState(saved);
    expect(() => T.setRandomState({ cpu: saved.cpu.subarray(1), cuda: [] })).toThrow(/state\.cpu must be \d+ bytes/);
    expect(() => native().setRngState({ cpu: new Float32Array(saved.cpu.length / 4) as unknown as Uint8Array })).toThrow(/must be a Uint8Array/);
    expect(() => native().setRngState(null as never)).toThrow(T.TorchError);
    expect(() => native().setRngState({ cpu: saved.cpu, cuda: 3 as never })).toThrow(/state\.cuda must be an array/);
    // A CUDA state for a device this build or machine lacks.
    const tooMany = Array.from({ length: T.cudaDeviceCount() + 1 }, () => new Uint8Array(16));
    expect(() => T.setRandomState({ cpu: saved.cpu, cuda: tooMany })).toThrow(/CUDA generator states but this (build|machine)/);
    using b = T.rand([8]);
    expect(b.toNumbers()).toEqual(a.toNumbers());
  });
});
