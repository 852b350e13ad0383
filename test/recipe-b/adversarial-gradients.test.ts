/**
 * The sign convention of Burst2Vec's adversarial training, checked against
 * finite differences of the loss values (forward passes only, where the
 * reversal layers do nothing). For a one-task batch of task j:
 *
 * - L_D's gradient reaches the discriminator as +∂L_D and the shared
 *   extractor as −λ·∂L_D (opposite signs);
 * - L_Adv's gradient reaches head j as +∂L_Adv and the other tasks'
 *   specific extractors as −λ·∂L_Adv; task j's own extractor not at all;
 * - back-propagating the model's total gives every extractor the gradient
 *   of the paper's L_j = L_O − α1·L_D − α2·L_Adv (λ = 1) and the
 *   adversaries the gradient of what they minimise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Burst2VecModelConfig } from '../../src/config/schema.js';
import type { Backbone } from '../../src/model/backbone.js';
import type { Burst2VecLossTerms, Burst2VecModel } from '../../src/model/burst2vec/burst2vec-model.js';
import type { DeviceBatch } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { disposeBatch, featureBatch, loadTinyBackbone, tinyConfig, tinyModel } from './tiny-model.js';

let backbone: Backbone;
beforeAll(async () => {
  backbone = await loadTinyBackbone();
}, 300_000);
afterAll(() => backbone?.dispose());

const ENTRIES = [0, 3, 7, 11, 17, 23];

interface Values {
  O: number;
  D: number;
  Adv: number;
}

/** Loss values of the batch (no gradients). */
function values(model: Burst2VecModel, batch: DeviceBatch): Values {
  return T.noGrad(() =>
    T.scope(() => {
      const t = model.lossTerms(batch);
      const O = Object.values(t.output).reduce((a, l) => a + l!.item(), 0);
      return { O, D: t.discriminator?.item() ?? 0, Adv: t.adversarial?.item() ?? 0 };
    }),
  );
}

/** The entries of ENTRIES a parameter has. */
function entriesOf(p: T.Tensor): number[] {
  return ENTRIES.filter((i) => i < p.numel);
}

/** Central differences of `f` with respect to some entries (entriesOf) of a float64 parameter. */
function finiteDifferences(param: T.Tensor, f: () => number, h = 1e-6): number[] {
  const entries = entriesOf(param);
  const base = param.toNumbers();
  const set = (i: number, v: number) =>
    T.noGrad(() =>
      T.scope(() => {
        const vals = Float64Array.from(base);
        vals[i] = v;
        param.copy_(T.tensor(vals, { shape: param.shape, dtype: 'float64' }));
      }),
    );
  return entries.map((i) => {
    set(i, base[i]! + h);
    const plus = f();
    set(i, base[i]! - h);
    const minus = f();
    set(i, base[i]!);
    return (plus - minus) / (2 * h);
  });
}

/** Autograd gradients of one term (through the model's reversal layers), at entriesOf; null where the term does not reach. */
function gradients(model: Burst2VecModel, batch: DeviceBatch, term: (t: Burst2VecLossTerms) => T.Tensor | null, params: T.Tensor[]): (number[] | null)[] {
  return T.scope(() => {
    const out = term(model.lossTerms(batch));
    if (out === null) throw new Error('the term is absent');
    return T.grad(out, params).map((g, k) => (g === null ? null : entriesOf(params[k]!).map((i) => g.toNumbers()[i]!)));
  });
}

function param(model: Burst2VecModel, name: string): T.Tensor {
  const p = model.head.namedParameters().get(name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p;
}

function expectClose(actual: readonly number[] | null, expected: readonly number[], scale = 1): void {
  expect(actual).not.toBeNull();
  expect(actual!.length).toBe(expected.length);
  actual!.forEach((a, k) => {
    const e = expected[k]! * scale;
    expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(e));
  });
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i]!, 0);
}

/** Some finite differences are clearly non-zero, so sign checks mean something. */
function expectNonTrivial(fd: readonly number[]): void {
  expect(Math.max(...fd.map(Math.abs))).toBeGreaterThan(1e-5);
}

describe.each(['extractors', 'backbone'] as const)('gradient reversal (reverseInto %s)', (reverseInto) => {
  const reversal = 0.7;
  let model: Burst2VecModel;
  let batch: DeviceBatch;
  const config = (): Burst2VecModelConfig => tinyConfig({ reversalFactor: reversal, reverseInto });

  beforeAll(() => {
    model = tinyModel(backbone, config());
    batch = featureBatch(backbone.hiddenSize, 12, 5, 'age');
  });
  afterAll(() => {
    model.head.dispose();
    disposeBatch(batch);
  });

  it('L_D reaches the discriminator as +∂L_D and the shared extractor as −λ·∂L_D', () => {
    const shared = param(model, 'shared.0.weight');
    const disc = param(model, 'discriminator.0.weight');
    const proj = param(model, 'projection.0.weight');
    const [gShared, gDisc, gProj] = gradients(model, batch, (t) => t.discriminator, [shared, disc, proj]);
    const fdShared = finiteDifferences(shared, () => values(model, batch).D);
    const fdDisc = finiteDifferences(disc, () => values(model, batch).D);
    expectNonTrivial(fdShared);
    expectNonTrivial(fdDisc);
    expectClose(gDisc!, fdDisc);
    expectClose(gShared!, fdShared, -reversal);
    // Opposite signs: the discriminator descends L_D, the shared extractor ascends it.
    expect(dot(gDisc!, fdDisc)).toBeGreaterThan(0);
    expect(dot(gShared!, fdShared)).toBeLessThan(0);
    if (reverseInto === 'backbone') {
      expectClose(gProj!, finiteDifferences(proj, () => values(model, batch).D), -reversal);
    } else {
      expect(gProj).toBeNull();
    }
  });

  it('L_Adv reaches head j as +∂L_Adv and the other tasks\' specific extractors as −λ·∂L_Adv', () => {
    // The batch is of task age: high's and country's specific features go through age's head.
    const specHigh = param(model, 'specific.high.0.weight');
    const specCountry = param(model, 'specific.country.2.weight');
    const specAge = param(model, 'specific.age.0.weight');
    const headAge = param(model, 'heads.age.0.weight');
    const [gHigh, gCountry, gAge, gHead] = gradients(model, batch, (t) => t.adversarial, [specHigh, specCountry, specAge, headAge]);
    const fdHigh = finiteDifferences(specHigh, () => values(model, batch).Adv);
    const fdCountry = finiteDifferences(specCountry, () => values(model, batch).Adv);
    const fdHead = finiteDifferences(headAge, () => values(model, batch).Adv);
    expectNonTrivial(fdHigh);
    expectNonTrivial(fdHead);
    expectClose(gHead!, fdHead);
    expectClose(gHigh!, fdHigh, -reversal);
    expectClose(gCountry!, fdCountry, -reversal);
    expect(dot(gHead!, fdHead)).toBeGreaterThan(0);
    expect(dot(gHigh!, fdHigh)).toBeLessThan(0);
    // Task j's own specific features take no part in L_Adv^j.
    expect(gAge).toBeNull();
  });
});

describe.each(['extractors', 'backbone'] as const)('the back-propagated total (reverseInto %s, λ = 1)', (reverseInto) => {
  const alpha1 = 0.5;
  const alpha2 = 0.25;
  let model: Burst2VecModel;
  let batch: DeviceBatch;

  beforeAll(() => {
    model = tinyModel(backbone, tinyConfig({ alpha1, alpha2, reverseInto }), 3);
    batch = featureBatch(backbone.hiddenSize, 10, 9, 'country');
  });
  afterAll(() => {
    model.head.dispose();
    disposeBatch(batch);
  });

  /** L_j of Eq. 8, and what the adversaries minimise. */
  const paperObjective = () => {
    const v = values(model, batch);
    return v.O - alpha1 * v.D - alpha2 * v.Adv;
  };
  const outputOnly = () => values(model, batch).O;

  it('gives the extractors the gradient of L_O − α1·L_D − α2·L_Adv', () => {
    for (const name of ['shared.0.weight', 'shared.2.bias', 'specific.high.0.weight', 'specific.age.2.weight', 'specific.country.0.weight']) {
      const p = param(model, name);
      const [g] = gradients(model, batch, (t) => t.total, [p]);
      const fd = finiteDifferences(p, paperObjective);
      expectClose(g!, fd);
    }
  });

  it('gives the discriminator α1·∂L_D and head j ∂L_O + α2·∂L_Adv', () => {
    const disc = param(model, 'discriminator.2.weight');
    const head = param(model, 'heads.country.0.weight');
    const [gDisc, gHead] = gradients(model, batch, (t) => t.total, [disc, head]);
    const d = finiteDifferences(disc, () => alpha1 * values(model, batch).D);
    expectClose(gDisc!, d);
    expectClose(gHead!, finiteDifferences(head, () => {
      const v = values(model, batch);
      return v.O + alpha2 * v.Adv;
    }));
  });

  it(reverseInto === 'backbone' ? 'gives the projection the gradient of the paper\'s L_j too' : 'gives the projection the gradient of L_O alone', () => {
    const p = param(model, 'projection.0.weight');
    const [g] = gradients(model, batch, (t) => t.total, [p]);
    expectClose(g!, finiteDifferences(p, reverseInto === 'backbone' ? paperObjective : outputOnly));
  });
});
