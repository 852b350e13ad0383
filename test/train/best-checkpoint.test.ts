/**
 * train.bestCheckpoint: 'run' keeps the best validation of the whole run;
 * 'last-stage' (recipe A's released scripts) lets each stage search its own
 * best, so the last stage's best is the checkpoint kept even where an
 * earlier stage validated better. A second stage that only harms (a far too
 * high learning rate) tells them apart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { readMetricsLog } from '../../src/run/metrics-log.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-best-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(name: string, bestCheckpoint: 'run' | 'last-stage') {
  const config: RunConfigInput = {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 120, seed: 5, dir: path.join(root, 'corpus') }, batchSize: 16, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: await tinyBackbone('data2vec') },
    model: { kind: 'avb-mtl', tasks: ['high', 'type'], headHidden: 32 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      stages: [
        { name: 'heads', freeze: 'all', lr: 3e-3, epochs: 6, patience: 6, cacheFeatures: true },
        // Heads only, at a rate that wrecks them: every validation of this stage is worse than stage 1's best.
        { name: 'wreck', freeze: 'all', optimizer: 'adam', lr: 5, epochs: 2, patience: 5, cacheFeatures: true },
      ],
      monitor: { name: 'val/loss', mode: 'min' },
      bestCheckpoint,
    },
    output: { dir: path.join(root, 'runs'), name },
  };
  const trainer = await Trainer.create({ config });
  try {
    const result = await trainer.fit();
    const log = readMetricsLog(path.join(result.runDir, 'metrics.jsonl')).filter((r) => r.kind === 'val');
    const final = JSON.parse(readFileSync(path.join(result.runDir, 'final-metrics.json'), 'utf8')) as {
      best: { stage: number; value: number };
      metrics: { tasks: { high: { value: number; sampleCcc: number } } };
      perSampleCcc: Record<string, { challengeCcc: number; perSampleCcc: number }>;
    };
    // final-metrics.json puts the per-sample CCC (what recipe A's scripts print) beside the challenge CCC.
    expect(Object.keys(final.perSampleCcc)).toEqual(['high']);
    expect(final.perSampleCcc.high!.challengeCcc).toBe(final.metrics.tasks.high.value);
    expect(final.perSampleCcc.high!.perSampleCcc).toBe(final.metrics.tasks.high.sampleCcc);
    expect(Number.isFinite(final.perSampleCcc.high!.perSampleCcc)).toBe(true);
    return { result, log, final };
  } finally {
    await trainer.close();
  }
}

describe('train.bestCheckpoint', () => {
  it("'run' keeps the better first stage; 'last-stage' keeps the last stage's best", async () => {
    const whole = await run('run', 'run');
    const stage1 = whole.log.filter((r) => r.stage === 'heads').map((r) => r.loss!);
    const stage2 = whole.log.filter((r) => r.stage === 'wreck').map((r) => r.loss!);
    expect(Math.min(...stage2)).toBeGreaterThan(Math.min(...stage1));
    expect(whole.result.best?.stage).toBe(0);
    expect(whole.final.best.stage).toBe(0);

    const last = await run('last-stage', 'last-stage');
    expect(last.result.best?.stage).toBe(1);
    expect(last.final.best.stage).toBe(1);
    expect(last.final.best.value).toBeCloseTo(Math.min(...last.log.filter((r) => r.stage === 'wreck').map((r) => r.loss!)), 9);
  }, 600_000);
});
