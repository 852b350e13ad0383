import { describe, expect, it } from 'vitest';
import { FixedWeighting, LossInputError, type TaskWeighting, UncertaintyWeighting, createTaskWeighting } from '../../src/losses/index.js';
import * as T from '../../src/torch/index.js';
import { thrown } from '../fixtures/thrown.js';

const scalar64 = (v: number, requiresGrad = false) => T.scalar<'float64'>(v, { dtype: 'float64', requiresGrad });

/** Closed forms per form: the total's term, its derivative in the parameter, and the task weight. */
const FORMS = {
  'log-sigma': {
    term: (L: number, p: number) => L * Math.exp(-2 * p) + p,
    dTermDp: (L: number, p: number) => -2 * L * Math.exp(-2 * p) + 1,
    weight: (p: number) => Math.exp(-2 * p),
    sigma: (p: number) => Math.exp(p),
    prefix: 'logSigma',
  },
  'log-variance': {
    term: (L: number, s: number) => L / (2 * Math.exp(s)) + s / 2,
    dTermDp: (L: number, s: number) => -L / (2 * Math.exp(s)) + 0.5,
    weight: (s: number) => Math.exp(-s) / 2,
    sigma: (s: number) => Math.exp(s / 2),
    prefix: 'logVariance',
  },
} as const;

const TASKS = ['high', 'culture', 'type'];
const INIT = { high: 0.3, culture: -0.2, type: 0.05 };
const LOSS = { high: 0.4, culture: 0.7, type: 1.9 };

for (const form of ['log-sigma', 'log-variance'] as const) {
  const closed = FORMS[form];
  describe(`UncertaintyWeighting, form '${form}'`, () => {
    it('holds one learned scalar per task, named in the state dict', () => {
      using w = new UncertaintyWeighting(TASKS, { form, init: INIT });
      expect([...w.stateDict().keys()]).toEqual(TASKS.map((t) => `${closed.prefix}.${t}`));
      for (const p of w.parameters()) {
        expect(p.shape).toEqual([]);
        expect(p.requiresGrad).toBe(true);
      }
      expect(w.parameterOf('culture').item()).toBeCloseTo(-0.2, 6);
    });

    it('combines to the closed form; its gradients in each parameter and each loss are the closed-form derivatives', () => {
      using w = new UncertaintyWeighting(TASKS, { form, init: INIT, dtype: 'float64' });
      T.scope(() => {
        const losses = Object.fromEntries(TASKS.map((t) => [t, scalar64(LOSS[t as keyof typeof LOSS], true)]));
        const total = w.combine(losses);
        const expected = TASKS.reduce((s, t) => s + closed.term(LOSS[t as keyof typeof LOSS], INIT[t as keyof typeof INIT]), 0);
        expect(total.item()).toBeCloseTo(expected, 14);
        const params = TASKS.map((t) => w.parameterOf(t));
        const grads = T.grad(total, [...params, ...TASKS.map((t) => losses[t]!)]);
        TASKS.forEach((t, i) => {
          const L = LOSS[t as keyof typeof LOSS];
          const p = INIT[t as keyof typeof INIT];
          expect(grads[i]!.item()).toBeCloseTo(closed.dTermDp(L, p), 14);
          expect(grads[TASKS.length + i]!.item()).toBeCloseTo(closed.weight(p), 14);
        });
      });
      const weights = w.taskWeights();
      const sigmas = w.taskUncertainties();
      for (const t of TASKS) {
        expect(weights[t]).toBeCloseTo(closed.weight(INIT[t as keyof typeof INIT]), 14);
        expect(sigmas[t]).toBeCloseTo(closed.sigma(INIT[t as keyof typeof INIT]), 14);
      }
    });

    it('leaves an absent task out entirely, regulariser included: no term, no gradient, and Adam does not move it', () => {
      using w = new UncertaintyWeighting(TASKS, { form, init: INIT, dtype: 'float64' });
      T.scope(() => {
        const total = w.combine({ high: scalar64(LOSS.high), type: scalar64(LOSS.type), culture: null });
        expect(total.item()).toBeCloseTo(closed.term(LOSS.high, INIT.high) + closed.term(LOSS.type, INIT.type), 14);
        const [gHigh, gCulture] = T.grad(total, [w.parameterOf('high'), w.parameterOf('culture')]);
        expect(gHigh).not.toBeNull();
        expect(gCulture).toBeNull();
      });
      // Adam keeps momentum: a parameter that had a gradient would keep moving
      // on a zero gradient. Without any gradient it is skipped.
      const adam = new T.Adam(w.parameters(), { lr: 0.1 });
      for (let step = 0; step < 3; step++) {
        adam.zeroGrad();
        T.scope(() => w.combine({ high: scalar64(1), culture: scalar64(1), type: scalar64(1) }).backward());
        adam.step();
      }
      const cultureBefore = w.parameterOf('culture').item();
      const highBefore = w.parameterOf('high').item();
      adam.zeroGrad();
      T.scope(() => w.combine({ high: scalar64(1) }).backward());
      expect(w.parameterOf('culture').grad).toBeNull();
      adam.step();
      expect(w.parameterOf('culture').item()).toBe(cultureBefore);
      expect(w.parameterOf('high').item()).not.toBe(highBefore);
      adam.dispose();
    });

    it("moves the weights as the formula says: task A's loss 10× task B's ends with A's weight below B's", () => {
      // d/dlogσ (L/σ² + log σ) = −2L/σ² + 1 (and d/ds (L/(2eˢ) + s/2) = −L/(2eˢ) + 1/2):
      // a larger L makes the derivative more negative, so gradient descent
      // raises σ (lowers the weight) more for A than for B. Both forms settle
      // at weight = 1/(2L): here 1/(2·2) = 0.25 for A and 1/(2·0.2) = 2.5 for B,
      // on either side of both starting weights (1 and 1/2).
      using w = new UncertaintyWeighting(['a', 'b'], { form });
      const start = w.taskWeights();
      expect(start.a).toBe(start.b);
      const adam = new T.Adam(w.parameters(), { lr: 0.05 });
      const step = () => {
        adam.zeroGrad();
        T.scope(() => w.combine({ a: T.scalar(2.0), b: T.scalar(0.2) }).backward());
        adam.step();
      };
      for (let i = 0; i < 5; i++) step();
      const early = w.taskWeights();
      expect(early.a!).toBeLessThan(start.a!);
      expect(early.b!).toBeGreaterThan(start.b!);
      expect(early.a!).toBeLessThan(early.b!);
      for (let i = 0; i < 400; i++) step();
      const late = w.taskWeights();
      expect(late.a!).toBeCloseTo(0.25, 3);
      expect(late.b!).toBeCloseTo(2.5, 3);
      adam.dispose();
    });

    it('keeps no intermediate tensor alive', () => {
      using w = new UncertaintyWeighting(TASKS, { form });
      const losses = { high: T.scalar(0.5), culture: T.scalar(0.25) };
      const before = T.liveTensors();
      const total = w.combine(losses);
      expect(T.liveTensors()).toBe(before + 1);
      total.dispose();
      T.scope(() => w.combine(losses).backward());
      expect(T.liveTensors()).toBe(before);
      losses.high.dispose();
      losses.culture.dispose();
    });
  });
}

describe('FixedWeighting', () => {
  it('sums the weighted losses of the present tasks; gradients in the losses are the weights', () => {
    using w = new FixedWeighting({ high: 1, culture: 0.5, two: 2 });
    expect(w.parameters()).toEqual([]);
    expect(w.taskWeights()).toEqual({ high: 1, culture: 0.5, two: 2 });
    T.scope(() => {
      const high = scalar64(0.4, true);
      const two = scalar64(0.9, true);
      const total = w.combine({ high, two });
      expect(total.item()).toBeCloseTo(0.4 + 2 * 0.9, 14);
      const [gHigh, gTwo] = T.grad(total, [high, two]);
      expect(gHigh!.item()).toBe(1);
      expect(gTwo!.item()).toBe(2);
    });
    using uniform = FixedWeighting.uniform(['a', 'b']);
    expect(uniform.taskWeights()).toEqual({ a: 1, b: 1 });
  });

  it('keeps no intermediate tensor alive', () => {
    using w = new FixedWeighting({ a: 0.5, b: 2 });
    const a = T.scalar(1);
    const b = T.scalar(2);
    const before = T.liveTensors();
    w.combine({ a, b }).dispose();
    expect(T.liveTensors()).toBe(before);
    a.dispose();
    b.dispose();
  });
});

describe('task weighting: factory and bad input', () => {
  it('createTaskWeighting builds either kind', () => {
    using u = createTaskWeighting({ kind: 'uncertainty', tasks: ['a', 'b'], form: 'log-variance', init: 1 });
    expect(u).toBeInstanceOf(UncertaintyWeighting);
    expect((u as UncertaintyWeighting).form).toBe('log-variance');
    expect(u.taskWeights().a).toBeCloseTo(Math.exp(-1) / 2, 6);
    using f = createTaskWeighting({ kind: 'fixed', weights: { a: 3 } });
    expect(f.taskWeights()).toEqual({ a: 3 });
    expect(() => createTaskWeighting({ kind: 'learned' } as never)).toThrow(/'spec.kind' must be 'uncertainty' or 'fixed'/);
  });

  it('names the bad argument', () => {
    const argumentOf = (fn: () => unknown): string => thrown(LossInputError, fn).argument;
    using w: TaskWeighting = new UncertaintyWeighting(['a', 'b']);
    const one = T.scalar(1);
    expect(() => w.combine({ a: one, c: one })).toThrow(/UncertaintyWeighting.combine: 'losses.c' is not one of this combiner's tasks \(a, b\)/);
    expect(() => w.combine({})).toThrow(/'losses' has no task loss/);
    expect(() => w.combine({ a: null, b: undefined })).toThrow(/'losses' has no task loss/);
    T.scope(() => expect(argumentOf(() => w.combine({ a: T.ones([2]) }))).toBe('losses.a'));
    T.scope(() => expect(argumentOf(() => w.combine({ a: T.ones([1]) }))).toBe('losses.a'));
    expect(argumentOf(() => new UncertaintyWeighting([]))).toBe('tasks');
    expect(() => new UncertaintyWeighting(['a', 'a'])).toThrow(/'tasks' names task 'a' twice/);
    expect(argumentOf(() => new UncertaintyWeighting(['a.b']))).toBe('tasks');
    expect(argumentOf(() => new UncertaintyWeighting(['a'], { form: 'kendall' as never }))).toBe('options.form');
    expect(argumentOf(() => new UncertaintyWeighting(['a'], { init: { b: 1 } }))).toBe('options.init.b');
    expect(argumentOf(() => new UncertaintyWeighting(['a'], { init: Number.NaN }))).toBe('options.init');
    expect(argumentOf(() => (w as UncertaintyWeighting).parameterOf('c'))).toBe('task');
    expect(argumentOf(() => new FixedWeighting({ a: Number.POSITIVE_INFINITY }))).toBe('weights.a');
    expect(argumentOf(() => new FixedWeighting({}))).toBe('weights');
    one.dispose();
  });
});
