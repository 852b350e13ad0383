/**
 * Integration: the `demo-exvo` recipe trains on the CPU (tiny wav2vec2,
 * synthetic ExVo corpus) and beats the trivial predictor (the Train means
 * and the majority country) on the held-out Val speakers. Along the way the
 * trainer must hand the model one-task batches in turn and log the ExVo
 * report after every validation.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { readExvoCorpus } from '../../src/data/index.js';
import { EMOTIONS, type Task } from '../../src/tasks.js';
import { type MetricsReport, evaluate } from '../../src/metrics/index.js';
import type { DeviceBatch } from '../../src/model/multitask-model.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vbt-demo-exvo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Metrics of predicting the Train means (emotions, age) and the majority country for every Val clip. */
function trivialReport(corpusDir: string): MetricsReport {
  const clips = readExvoCorpus(corpusDir, { probeAudio: false }).clips;
  const train = clips.filter((c) => c.split === 'Train');
  const val = clips.filter((c) => c.split === 'Val');
  const meanEmotions = EMOTIONS.map((_, k) => train.reduce((s, c) => s + c.labels.high![k]!, 0) / train.length);
  const meanAge = train.reduce((s, c) => s + c.labels.age!, 0) / train.length;
  const counts = [0, 0, 0, 0];
  for (const c of train) counts[c.labels.country!]!++;
  const majority = counts.indexOf(Math.max(...counts));
  return evaluate({
    high: { predictions: val.flatMap(() => meanEmotions), targets: val.flatMap((c) => [...c.labels.high!]) },
    age: { predictions: val.map(() => meanAge), targets: val.map((c) => c.labels.age!) },
    country: { predictions: val.map(() => majority), targets: val.map((c) => c.labels.country!) },
  });
}

describe('demo-exvo', () => {
  it(
    'trains on the CPU and beats the trivial predictor on S_MTL',
    async () => {
      const corpusDir = path.join(dir, 'corpus');
      const config = resolveConfig({
        recipe: 'demo-exvo',
        overrides: [
          ['data.corpus', { kind: 'synthetic', layout: 'exvo', clips: 360, seed: 0, dir: corpusDir }],
          ['data.cacheDir', path.join(dir, 'cache')],
          ['backbone.path', await tinyBackbone('wav2vec2')],
          ['output.dir', path.join(dir, 'runs')],
          ['output.name', 'demo-exvo'],
          ['train.progress', 'none'],
        ],
      });
      const trainer = await Trainer.create({ config });
      // Watch what the trainer feeds the model.
      const trainingTasks = new Map<Task, number>();
      const model = trainer.model;
      const loss = model.loss.bind(model);
      model.loss = (batch: DeviceBatch) => {
        if (model.head.training) {
          expect(batch.task).toBeDefined();
          trainingTasks.set(batch.task!, (trainingTasks.get(batch.task!) ?? 0) + 1);
        } else {
          expect(batch.task).toBeUndefined();
        }
        return loss(batch);
      };
      let final: MetricsReport | null;
      try {
        final = (await trainer.fit()).final;
      } finally {
        await trainer.close();
      }

      // One task per batch, every task as often as the others: within each of the two stages the turn runs on
      // across epochs, and a stop mid-round leaves at most one behind, so at most two over the run.
      expect([...trainingTasks.keys()].sort()).toEqual(['age', 'country', 'high']);
      const counts = [...trainingTasks.values()];
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);

      // The ExVo report after every validation.
      const records = readFileSync(path.join(dir, 'runs', 'demo-exvo', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; metrics?: MetricsReport });
      const validations = records.filter((r) => r.kind === 'val');
      expect(validations.length).toBeGreaterThan(5);
      for (const v of validations) expect(v.metrics?.exvo.smtl).toEqual(expect.any(Number));

      const trivial = trivialReport(corpusDir).exvo;
      const got = final!.exvo;
      console.log(`demo-exvo on Val: ${JSON.stringify(got)}; trivial: ${JSON.stringify(trivial)}`);
      expect(got.smtl!).toBeGreaterThan(trivial.smtl! + 0.15);
      expect(got.emotionCcc!).toBeGreaterThan(trivial.emotionCcc! + 0.15);
      expect(got.countryUar!).toBeGreaterThan(trivial.countryUar! + 0.05);
      // Age is barely learnable from a random tiny backbone on ~36 speakers; it must not collapse.
      expect(got.ageMae!).toBeLessThan(trivial.ageMae! + 1);
    },
    240_000,
  );
});
