/**
 * The `exvo-burst2vec` and `demo-exvo` recipes: the paper's settings, the
 * variants as flags, and one-task batches that give every task its turn.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { Burst2VecModelSchema, type RunConfig } from '../../src/config/schema.js';
import type { Clip } from '../../src/data/corpus/corpus.js';
import { planEpoch } from '../../src/data/index.js';
import type { Task } from '../../src/tasks.js';

function burst2vec(config: RunConfig) {
  if (config.model.kind !== 'burst2vec') throw new Error('not a burst2vec config');
  return config.model;
}

describe('exvo-burst2vec', () => {
  it('holds the paper\'s settings (Burst2Vec WL, Appendix C)', () => {
    const c = resolveConfig({ recipe: 'exvo-burst2vec' });
    const m = burst2vec(c);
    expect(m.tasks).toEqual(['high', 'age', 'country']);
    expect([m.alpha1, m.alpha2, m.adversarial]).toEqual([0.5, 0.25, true]);
    expect([m.emotionLoss, m.ageLoss]).toEqual(['ccc', 'mae']);
    expect(c.backbone).toMatchObject({ family: 'wav2vec2', config: 'large' });
    expect(c.data).toMatchObject({ batchSize: 32, oversample: false, preprocess: { normalize: true, targetDbfs: -3 } });
    expect(c.data.corpus.kind).toBe('exvo');
    expect(c.train.stages).toHaveLength(1);
    expect(c.train.stages[0]).toMatchObject({ optimizer: 'adam', lr: 1e-5, epochs: 100, validateEvery: 800, patience: 20, schedule: 'constant' });
    expect(c.train.monitor).toEqual({ name: 'high', mode: 'max' });
  });

  it('takes its variants as flags: -Adv, +Oversampling, α, HuBERT backbones', () => {
    const noAdv = resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['model.adversarial', false]] });
    expect(burst2vec(noAdv).adversarial).toBe(false);
    const over = resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['data.oversample', true]] });
    expect(over.data.oversample).toBe(true);
    const alphas = resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['model.alpha1', 0.1], ['model.alpha2', 0]] });
    expect([burst2vec(alphas).alpha1, burst2vec(alphas).alpha2]).toEqual([0.1, 0]);
    const hl = resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['backbone.path', 'hubert-large-ls960-ft.pt'], ['backbone.family', 'hubert']] });
    expect(hl.backbone).toMatchObject({ path: 'hubert-large-ls960-ft.pt', family: 'hubert', config: 'large' });
    expect(() => resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['model.alpha1', -1]] })).toThrow(/model\.alpha1/);
    expect(() => resolveConfig({ recipe: 'exvo-burst2vec', overrides: [['model.predictFrom', 'best']] })).toThrow(/model\.predictFrom/);
  });

  it('accepts a model block written before the optional fields existed', () => {
    const m = Burst2VecModelSchema.parse({ kind: 'burst2vec', tasks: ['high', 'age', 'country'] });
    expect(m).toMatchObject({ reverseInto: 'extractors', predictFrom: 'concat', regressionOutput: 'sigmoid', classWeights: false, cccLoss: 'batch' });
  });
});

describe('demo-exvo', () => {
  it('is recipe B on the synthetic ExVo corpus, on the CPU', () => {
    const c = resolveConfig({ recipe: 'demo-exvo' });
    expect(burst2vec(c).adversarial).toBe(true);
    expect(c.data.corpus).toMatchObject({ kind: 'synthetic', layout: 'exvo' });
    expect(c.train.device).toBe('cpu');
    // Unlike the paper (emotion CCC), the demo stops and keeps its checkpoint on S_MTL, which counts age too.
    expect(c.train.monitor.name).toBe('exvo/smtl');
    expect(resolveConfig({ recipe: 'exvo-burst2vec' }).train.monitor.name).toBe('high');
  });
});

describe('task rotation as the trainer plans it for recipe B', () => {
  /** ExVo-like clips: every clip has every label. */
  const clips: Clip[] = Array.from({ length: 103 }, (_, i) => ({
    id: String(i),
    split: 'Train',
    audioPath: `/corpus/wav/${i}.wav`,
    labels: { high: new Float32Array(10).fill(0.5), age: 20 + (i % 20), country: i % 4 },
    source: { file: 'data_info.csv', row: i + 2, column: 'File_ID' },
  }));
  const indices = clips.map((_, i) => i);
  const tasks = burst2vec(resolveConfig({ recipe: 'exvo-burst2vec' })).tasks;

  for (const oversample of [false, true]) {
    it(`gives every task the same number of batches, in turn${oversample ? ' (with oversampling)' : ''}`, () => {
      for (let epoch = 0; epoch < 3; epoch++) {
        const plans = planEpoch({ clips, indices, batchSize: 8, seed: 4, epoch, taskRotation: tasks, oversample });
        const counts = new Map<Task, number>();
        for (const p of plans) counts.set(p.task!, (counts.get(p.task!) ?? 0) + 1);
        expect([...counts.keys()].sort()).toEqual([...tasks].sort());
        expect(new Set(counts.values()).size).toBe(1);
        // Round after round: high, age, country, high, ...
        plans.forEach((p, i) => expect(p.task).toBe(tasks[i % tasks.length]));
      }
    });
  }
});
