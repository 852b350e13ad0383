/**
 * The multi-tensor (foreach) Adam and AdamW equal LibTorch's per-parameter
 * update: several steps over parameters of different shapes and groups,
 * some missing a gradient on some steps (so their step counts differ),
 * with weight decay and AMSGrad, and through a state save and load.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { resolveConfig } from '../../src/config/load.js';
import { Rng } from '../../src/util/rng.js';

const SHAPES = [[7, 5], [5], [3, 2, 4], [1], [16, 8]];

function makeParams(seed: number): T.Tensor[] {
  const rng = new Rng(seed);
  return SHAPES.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return T.keep(T.tensor(Float32Array.from({ length: n }, () => rng.normal()), { shape, requiresGrad: true }));
  });
}

/** Give each parameter a seeded gradient; parameter `skip` gets none on odd steps. */
function setGrads(params: T.Tensor[], step: number, skip: number): void {
  const rng = new Rng(1000 + step);
  params.forEach((p, i) => {
    const g = T.tensor(Float32Array.from({ length: p.numel }, () => rng.normal() * (i + 1)), { shape: p.shape });
    p.grad = i === skip && step % 2 === 1 ? null : g;
    g.dispose();
  });
}

function run(kind: 'adam' | 'adamw', foreach: boolean, settings: T.AdamSettings, steps: number, reloadAt?: number): number[][] {
  const params = makeParams(3);
  const groups = [
    { params: params.slice(0, 3), lr: 0.01, ...settings },
    { params: params.slice(3), lr: 0.003, ...settings },
  ];
  let opt = kind === 'adamw' ? new T.AdamW(groups, {}, { foreach }) : new T.Adam(groups, {}, { foreach });
  for (let s = 0; s < steps; s++) {
    if (s === reloadAt) {
      // A checkpoint in the middle: the state written by one optimizer loads into a fresh one.
      const state = opt.saveState();
      opt.dispose();
      opt = kind === 'adamw' ? new T.AdamW(groups, {}, { foreach }) : new T.Adam(groups, {}, { foreach });
      opt.loadState(state);
    }
    setGrads(params, s, 2);
    opt.step();
  }
  opt.dispose();
  const out = params.map((p) => p.toNumbers());
  for (const p of params) p.dispose();
  return out;
}

describe('multi-tensor Adam and AdamW', () => {
  const cases: [string, 'adam' | 'adamw', T.AdamSettings][] = [
    ['AdamW with decoupled decay', 'adamw', { weightDecay: 0.05 }],
    ['Adam with L2 decay', 'adam', { weightDecay: 0.01 }],
    ['AdamW with AMSGrad', 'adamw', { amsgrad: true, betas: [0.8, 0.95], eps: 1e-6 }],
    ['Adam without decay', 'adam', { weightDecay: 0 }],
  ];
  it.each(cases)('%s equals the per-parameter update over 6 steps with uneven step counts', (_name, kind, settings) => {
    const reference = run(kind, false, settings, 6);
    const foreach = run(kind, true, settings, 6);
    reference.forEach((values, i) => {
      values.forEach((v, j) => expect(Math.abs(foreach[i]![j]! - v), `param ${i}[${j}]`).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(v))));
    });
    // Not a no-op: the parameters moved.
    expect(reference).not.toEqual(run(kind, false, settings, 0));
  });

  it('keeps equal through a state saved by one optimizer and loaded by another, either way', () => {
    const settings = { weightDecay: 0.05 };
    const reference = run('adamw', false, settings, 6);
    const reloaded = run('adamw', true, settings, 6, 3);
    reference.forEach((values, i) => values.forEach((v, j) => expect(Math.abs(reloaded[i]![j]! - v)).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(v)))));
  });

  it('equals the per-parameter update for parameters larger than a CPU slice (updated in pieces)', () => {
    // The CPU update runs over slices of 2^18 elements: 600,000 spans three, 300,001 two, with small ones between.
    const shapes = [[600, 1000], [3], [300_001], [7, 5]];
    const go = (foreach: boolean, amsgrad: boolean): number[][] => {
      const rng = new Rng(11);
      const params = shapes.map((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return T.keep(T.tensor(Float32Array.from({ length: n }, () => rng.normal()), { shape, requiresGrad: true }));
      });
      const opt = new T.AdamW(params, { lr: 0.01, weightDecay: 0.05, amsgrad }, { foreach });
      for (let s = 0; s < 3; s++) {
        const g = new Rng(500 + s);
        params.forEach((p) => {
          const grad = T.tensor(Float32Array.from({ length: p.numel }, () => g.normal()), { shape: p.shape });
          p.grad = grad;
          grad.dispose();
        });
        opt.step();
      }
      opt.dispose();
      const out = params.map((p) => Array.from(p.toArray() as Float32Array));
      for (const p of params) p.dispose();
      return out;
    };
    for (const amsgrad of [false, true]) {
      const reference = go(false, amsgrad);
      const sliced = go(true, amsgrad);
      reference.forEach((values, i) => {
        let worst = 0;
        values.forEach((v, j) => (worst = Math.max(worst, Math.abs(sliced[i]![j]! - v) / Math.max(1, Math.abs(v)))));
        expect(worst, `param ${i}, amsgrad ${amsgrad}`).toBeLessThanOrEqual(1e-7);
      });
    }
  });

  it('is the default, for optimizers and for runs', () => {
    const params = makeParams(4);
    const implicit = new T.AdamW([{ params: [params[0]!] }]);
    const explicit = new T.Adam([{ params: [params[1]!] }], {}, { foreach: false });
    expect(implicit.foreach).toBe(true);
    expect(explicit.foreach).toBe(false);
    implicit.dispose();
    explicit.dispose();
    for (const p of params) p.dispose();
    expect(resolveConfig({}).train.foreachOptimizer).toBe(true);
  });
});
