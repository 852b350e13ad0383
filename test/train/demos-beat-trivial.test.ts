/**
 * Both demos, exactly as `vbt train` and `vbt train --recipe demo-exvo`
 * run them (their own corpus, seed and settings; only the folders are
 * private), beat every task's trivial predictor on Val by a margin:
 * - CCC (emotions, culture, valence/arousal): predicting the Train means
 *   scores 0; the demo must score clearly above;
 * - UAR (type, country): predicting the majority class scores 1/K
 *   (chance); the demo must beat it;
 * - MAE (age): predicting the Train median, the best constant for MAE; the
 *   demo's error must be lower.
 * The trivial predictors are scored here, on the same Val clips, by the
 * project's metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { type Clip, readAvbCorpus, readExvoCorpus } from '../../src/data/index.js';
import { type MetricsReport, evaluate } from '../../src/metrics/index.js';
import { TASK_SPECS, type Task } from '../../src/tasks.js';
import { Trainer } from '../../src/train/trainer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vbt-demos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Each task's trivial predictor, fitted on Train and scored on Val. */
function trivialReport(clips: readonly Clip[], tasks: readonly Task[]): MetricsReport {
  const train = clips.filter((c) => c.split === 'Train');
  const val = clips.filter((c) => c.split === 'Val');
  const input: Parameters<typeof evaluate>[0] = {};
  for (const task of tasks) {
    const spec = TASK_SPECS[task];
    if (spec.kind === 'classification') {
      const counts = new Array<number>(spec.size).fill(0);
      for (const c of train) counts[c.labels[task] as number]! += 1;
      const majority = counts.indexOf(Math.max(...counts));
      input[task] = { predictions: val.map(() => majority), targets: val.map((c) => c.labels[task] as number) };
    } else if (task === 'age') {
      const m = median(train.map((c) => c.labels.age as number));
      input[task] = { predictions: val.map(() => m), targets: val.map((c) => c.labels.age as number) };
    } else {
      const rows = (c: Clip) => Array.from(c.labels[task] as ArrayLike<number>);
      const means = Array.from({ length: spec.size }, (_, k) => train.reduce((s, c) => s + rows(c)[k]!, 0) / train.length);
      input[task] = { predictions: val.flatMap(() => means), targets: val.flatMap(rows) };
    }
  }
  return evaluate(input);
}

async function runDemo(recipe: 'demo' | 'demo-exvo'): Promise<{ final: MetricsReport; corpusDir: string }> {
  const base = resolveConfig({ recipe });
  const corpus = base.data.corpus;
  if (corpus.kind !== 'synthetic') throw new Error('the demos train on the synthetic corpus');
  const corpusDir = path.join(dir, `${recipe}-corpus`);
  const config = resolveConfig({
    recipe,
    overrides: [
      ['data.corpus', { ...corpus, dir: corpusDir }],
      ['data.cacheDir', path.join(dir, 'cache')],
      ['output.dir', path.join(dir, 'runs')],
      ['output.name', recipe],
      ['train.progress', 'none'],
    ],
  });
  const trainer = await Trainer.create({ config });
  try {
    const result = await trainer.fit();
    expect(result.status).toBe('completed');
    return { final: result.final!, corpusDir };
  } finally {
    await trainer.close();
  }
}

function expectBeatsTrivial(recipe: string, final: MetricsReport, trivial: MetricsReport, tasks: readonly Task[]): void {
  const lines = tasks.map((t) => `${t} ${final.tasks[t]!.value.toFixed(3)} (trivial ${trivial.tasks[t]!.value.toFixed(3)})`);
  console.log(`${recipe} on Val: ${lines.join(', ')}`);
  for (const task of tasks) {
    const got = final.tasks[task]!.value;
    const baseline = trivial.tasks[task]!.value;
    const metric = TASK_SPECS[task].metric;
    if (metric === 'ccc') {
      expect(baseline).toBeCloseTo(0, 6);
      expect(got, `${recipe} ${task} CCC`).toBeGreaterThan(0.15);
    } else if (metric === 'uar') {
      expect(baseline).toBeCloseTo(1 / TASK_SPECS[task].size, 6);
      expect(got, `${recipe} ${task} UAR`).toBeGreaterThan(baseline + 0.08);
    } else {
      expect(got, `${recipe} ${task} MAE`).toBeLessThan(baseline - 0.2);
    }
  }
}

describe('the demos beat every trivial predictor on Val', () => {
  it(
    'demo (recipe A, synthetic A-VB): high, culture, two, type, country',
    async () => {
      const { final, corpusDir } = await runDemo('demo');
      const tasks = resolveConfig({ recipe: 'demo' }).model.tasks;
      const trivial = trivialReport(readAvbCorpus(corpusDir, { probeAudio: false }).clips, tasks);
      expectBeatsTrivial('demo', final, trivial, tasks);
    },
    900_000,
  );

  it(
    'demo-exvo (recipe B, synthetic ExVo): emotions, country, age',
    async () => {
      const { final, corpusDir } = await runDemo('demo-exvo');
      const tasks = resolveConfig({ recipe: 'demo-exvo' }).model.tasks;
      const trivial = trivialReport(readExvoCorpus(corpusDir, { probeAudio: false }).clips, tasks);
      expectBeatsTrivial('demo-exvo', final, trivial, tasks);
      expect(final.exvo.smtl!).toBeGreaterThan(trivial.exvo.smtl ?? 0);
    },
    900_000,
  );
});
