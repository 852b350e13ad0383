/**
 * The Burst2Vec model: its loss terms against a hand-built reference, the
 * "-Adv" equivalence at α1 = α2 = 0, mixed (validation) batches,
 * predictions, errors, and a training step that leaks no tensor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_SPECS, type Task } from '../../src/tasks.js';
import { cccLoss, crossEntropyLoss, maeLoss } from '../../src/losses/index.js';
import type { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import { Burst2VecModel } from '../../src/model/burst2vec/burst2vec-model.js';
import type { DeviceBatch } from '../../src/model/multitask-model.js';
import * as T from '../../src/torch/index.js';
import { EXVO_TASKS, disposeBatch, featureBatch, loadTinyBackbone, tinyConfig, tinyModel, withTask } from './tiny-model.js';

let backbone: Backbone;
beforeAll(async () => {
  backbone = await loadTinyBackbone();
}, 300_000);
afterAll(() => backbone?.dispose());

function close(a: number, b: number, tol = 1e-6): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
}

describe('loss terms', () => {
  it('are the paper\'s L_O (three passes), L_D (target = the batch\'s task) and L_Adv (other tasks\' features through head j)', () => {
    const model = tinyModel(backbone, tinyConfig({ emotionLoss: 'ccc', ageLoss: 'mae' }));
    const batch = featureBatch(backbone.hiddenSize, 9, 2, 'high');
    try {
      T.noGrad(() =>
        T.scope(() => {
          const terms = model.lossTerms(batch);
          // Reference: the modules one by one, and the losses of src/losses.
          const h = model.head;
          const projected = h.projection.forward(batch.features!);
          const shared = h.shared.forward(projected);
          const spec = (t: Task) => h.specific.get(t).forward(projected);
          const emotions = (x: T.Tensor) => h.heads.get('high').forward(x).sigmoid();
          const y = batch.targets.high!.values;
          const concat = h.concat.get('high').forward(T.cat([shared, spec('high')], 1));
          const lo = [shared, spec('high'), concat].reduce((sum, x) => sum + cccLoss(emotions(x), y).item(), 0);
          const ld = crossEntropyLoss(h.discriminator!.forward(shared), T.full([9], EXVO_TASKS.indexOf('high'), { dtype: 'int64' })).item();
          const ladv = cccLoss(emotions(spec('age')), y).item() + cccLoss(emotions(spec('country')), y).item();

          expect(Object.keys(terms.output)).toEqual(['high']);
          close(terms.output.high!.item(), lo);
          close(terms.discriminator!.item(), ld);
          close(terms.adversarial!.item(), ladv);
          close(terms.total.item(), lo + 0.5 * ld + 0.25 * ladv);
          close(terms.passes.shared.item() + terms.passes.specific.item() + terms.passes.concat.item(), lo);
        }),
      );
    } finally {
      model.head.dispose();
      disposeBatch(batch);
    }
  });

  it('use MAE for age and cross-entropy for country', () => {
    const model = tinyModel(backbone, tinyConfig());
    const batch = featureBatch(backbone.hiddenSize, 8, 4);
    try {
      T.noGrad(() =>
        T.scope(() => {
          const h = model.head;
          const projected = h.projection.forward(batch.features!);
          const shared = h.shared.forward(projected);
          const age = model.lossTerms(withTask(batch, 'age'));
          close(age.passes.shared.item(), maeLoss(h.heads.get('age').forward(shared).sigmoid(), batch.targets.age!.values).item());
          const country = model.lossTerms(withTask(batch, 'country'));
          close(country.passes.shared.item(), crossEntropyLoss(h.heads.get('country').forward(shared), batch.targets.country!.values).item());
        }),
      );
    } finally {
      model.head.dispose();
      disposeBatch(batch);
    }
  });

  it('of a mixed batch are the sum of every task\'s L_O, without adversarial terms', () => {
    const model = tinyModel(backbone, tinyConfig());
    const batch = featureBatch(backbone.hiddenSize, 10, 6);
    try {
      T.noGrad(() =>
        T.scope(() => {
          const mixed = model.loss(withTask(batch, undefined));
          let sum = 0;
          for (const t of EXVO_TASKS) {
            const one = model.lossTerms(withTask(batch, t)).output[t]!.item();
            close(mixed.taskLosses[t]!.item(), one);
            sum += one;
          }
          close(mixed.loss.item(), sum);
          expect(mixed.extra?.discriminator).toBeUndefined();
          expect(mixed.extra?.adversarial).toBeUndefined();
          // A one-task batch reports its adversarial parts.
          const single = model.loss(withTask(batch, 'age'));
          expect(Object.keys(single.taskLosses)).toEqual(['age']);
          expect(single.extra?.discriminator).toBeDefined();
          expect(single.extra?.adversarial).toBeDefined();
        }),
      );
    } finally {
      model.head.dispose();
      disposeBatch(batch);
    }
  });

  it('refuse a batch of a task the model does not train, or without its labels', () => {
    const model = tinyModel(backbone, tinyConfig({ tasks: ['high', 'age'] }));
    const batch = featureBatch(backbone.hiddenSize, 4, 1, 'country');
    try {
      expect(() => model.loss(batch)).toThrow(/task 'country'/);
      const { age: _drop, ...targets } = batch.targets;
      expect(() => model.loss({ ...batch, task: 'age', targets })).toThrow(/no 'age' labels/);
    } finally {
      model.head.dispose();
      disposeBatch(batch);
    }
  });
});

describe('α1 = α2 = 0', () => {
  it('trains exactly like the -Adv variant: same loss, same gradients, same predictions', () => {
    const zero = tinyModel(backbone, tinyConfig({ alpha1: 0, alpha2: 0, dropout: 0.2 }), 7, false);
    const noAdv = tinyModel(backbone, tinyConfig({ adversarial: false, dropout: 0.2 }), 8, false);
    const batch = featureBatch(backbone.hiddenSize, 12, 3, undefined, 'float32');
    try {
      // Same weights for every parameter the two share (-Adv has no discriminator).
      noAdv.head.loadStateDict(zero.head.stateDict(), { strict: false });
      expect([...zero.head.namedParameters().keys()].filter((k) => !noAdv.head.namedParameters().has(k)).every((k) => k.startsWith('discriminator.'))).toBe(true);
      for (const task of EXVO_TASKS) {
        const step = (m: Burst2VecModel) => {
          m.head.train(true);
          for (const p of m.head.parameters()) p.grad = null;
          T.manualSeed(11); // same dropout masks
          return T.scope(() => {
            const out = m.loss(withTask(batch, task));
            out.loss.backward();
            return out.loss.item();
          });
        };
        const a = step(zero);
        const b = step(noAdv);
        expect(a).toBe(b);
        const gradsB = noAdv.head.namedParameters();
        for (const [name, p] of zero.head.namedParameters()) {
          T.scope(() => {
            const g = p.grad;
            if (name.startsWith('discriminator.')) {
              // Multiplied by α1 = 0: it learns nothing.
              expect(g === null || g.abs().max().item() === 0).toBe(true);
              return;
            }
            const other = gradsB.get(name)!.grad;
            // No gradient and an all-zero one are the same update (the zero comes from α·L = 0·L).
            const size = (x: T.Tensor | null) => (x === null ? 0 : x.abs().max().item());
            if (g === null || other === null) {
              expect(size(g) + size(other)).toBe(0);
              return;
            }
            expect(g.sub(other).abs().max().item()).toBeLessThanOrEqual(1e-7);
          });
        }
      }
      T.noGrad(() =>
        T.scope(() => {
          zero.head.eval();
          noAdv.head.eval();
          const pa = zero.predict(batch);
          const pb = noAdv.predict(batch);
          for (const t of EXVO_TASKS) expect(pa[t]!.sub(pb[t]!).abs().max().item()).toBe(0);
        }),
      );
    } finally {
      zero.head.dispose();
      noAdv.head.dispose();
      disposeBatch(batch);
    }
  });
});

describe('predictions', () => {
  it('hold [0, 1] emotions and age and country probabilities, from the pass predictFrom names', () => {
    const batch = featureBatch(backbone.hiddenSize, 6, 12);
    const models = (['concat', 'shared', 'specific', 'mean'] as const).map((predictFrom) => tinyModel(backbone, tinyConfig({ predictFrom }), 21));
    try {
      T.noGrad(() =>
        T.scope(() => {
          const passes = models[0]!.passPredictions(batch);
          models.forEach((m, i) => {
            m.head.eval();
            const p = m.predict(batch);
            for (const t of EXVO_TASKS) {
              expect(p[t]!.shape).toEqual([6, TASK_SPECS[t].size]);
              const expected =
                i === 3
                  ? passes.shared![t]!.add(passes.specific![t]!).add(passes.concat![t]!).div(3)
                  : passes[(['concat', 'shared', 'specific'] as const)[i]!]![t]!;
              expect(p[t]!.sub(expected).abs().max().item()).toBeLessThan(1e-12);
            }
            expect(p.high!.min().item()).toBeGreaterThanOrEqual(0);
            expect(p.high!.max().item()).toBeLessThanOrEqual(1);
            const rowSums = p.country!.sum(1).toNumbers();
            for (const s of rowSums) expect(s).toBeCloseTo(1, 10);
          });
          // The three passes differ: predictFrom matters.
          expect(passes.shared!.high!.sub(passes.concat!.high!).abs().max().item()).toBeGreaterThan(1e-6);
        }),
      );
    } finally {
      for (const m of models) m.head.dispose();
      disposeBatch(batch);
    }
  });
});

describe('buildModel', () => {
  it('builds Burst2Vec models; -Adv has no discriminator', () => {
    const adv = buildModel(tinyConfig(), backbone);
    const noAdv = buildModel(tinyConfig({ adversarial: false }), backbone);
    try {
      expect(adv).toBeInstanceOf(Burst2VecModel);
      const names = [...adv.head.namedParameters().keys()];
      for (const prefix of ['projection.', 'shared.', 'specific.high.', 'specific.age.', 'specific.country.', 'concat.age.', 'heads.country.', 'discriminator.']) {
        expect(names.some((n) => n.startsWith(prefix))).toBe(true);
      }
      expect([...noAdv.head.namedParameters().keys()].some((n) => n.startsWith('discriminator.'))).toBe(false);
      expect(adv.taskWeights()).toEqual({ high: 1, age: 1, country: 1 });
    } finally {
      adv.head.dispose();
      noAdv.head.dispose();
    }
  });
});

describe('a training step', () => {
  it('on audio through the backbone leaves the number of live tensors unchanged', () => {
    const model = new Burst2VecModel(backbone, { config: tinyConfig({ dropout: 0.1 }) });
    backbone.freeze('none');
    backbone.train(true);
    const params = [...model.head.parameters(), ...backbone.trainableParameters()];
    const optimizer = new T.Adam(params, { lr: 1e-4 });
    T.manualSeed(0);
    const waveforms = T.keep(T.randn([3, 8000]).mul(0.1));
    const lengths = T.keep(T.tensor([8000, 6000, 7000], { dtype: 'int64' }));
    const base = featureBatch(backbone.hiddenSize, 3, 1, undefined, 'float32');
    const { features: _f, ...labels } = base;
    const step = (task: Task) => {
      const batch: DeviceBatch = { ...labels, waveforms, lengths, task };
      T.scope(() => {
        const out = model.loss(batch);
        out.loss.backward();
        for (const v of Object.values(out.taskLosses)) v!.item();
      });
      optimizer.step();
      optimizer.zeroGrad();
    };
    try {
      step('high'); // the first step creates Adam's state
      const before = T.liveTensors();
      for (const task of EXVO_TASKS) step(task);
      expect(T.liveTensors()).toBe(before);
    } finally {
      optimizer.dispose();
      model.head.dispose();
      waveforms.dispose();
      lengths.dispose();
      disposeBatch(base);
    }
  });
});
