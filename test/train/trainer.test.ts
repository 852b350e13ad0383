import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { readAvbCorpus, splitIndices } from '../../src/data/index.js';
import { BURST_TYPES, COUNTRIES } from '../../src/tasks.js';
import { evaluate } from '../../src/metrics/index.js';
import * as T from '../../src/torch/index.js';
import { readCheckpoint } from '../../src/run/checkpoint.js';
import { readMetricsLog } from '../../src/run/metrics-log.js';
import { RunDir } from '../../src/run/run-dir.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-trainer-'));
const corpusDir = path.join(root, 'corpus');
let backbone: string;
let noDropoutBackbone: string;

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
  noDropoutBackbone = await tinyBackbone('data2vec', { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 });
}, 300_000);

function config(name: string, overrides: Partial<RunConfigInput['train']> = {}, backbonePath = backbone): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 240, seed: 3, dir: corpusDir }, batchSize: 16, numWorkers: 1, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbonePath },
    model: { kind: 'avb-mtl', tasks: ['high', 'two', 'type', 'country'], headHidden: 64 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      stages: [
        { name: 'heads', freeze: 'all', lr: 3e-3, epochs: 15, patience: 5, cacheFeatures: true },
        { name: 'finetune', freeze: 'none', lr: 3e-3, epochs: 6, patience: 3, schedule: 'cosine', warmupEpochs: 1 },
      ],
      monitor: { name: 'score', mode: 'max' },
      logEvery: 5,
      ...overrides,
    },
    output: { dir: path.join(root, 'runs'), name },
  };
}

describe('Trainer on the synthetic corpus', () => {
  it('trains recipe A end to end and beats the trivial predictor on held-out data by a clear margin', async () => {
    const trainer = await Trainer.create({ config: config('learn') });
    const result = await trainer.fit();
    await trainer.close();
    expect(result.status).toBe('completed');
    const final = result.final!;

    // The trivial predictor: training-set means and the majority class, scored on the same Val clips.
    const corpus = readAvbCorpus(corpusDir);
    const train = splitIndices(corpus.clips, 'Train');
    const val = splitIndices(corpus.clips, 'Val');
    const mean = (task: 'high' | 'two', k: number, size: number) =>
      train.reduce((s, i) => s + corpus.clips[i]!.labels[task]![k]!, 0) / train.length;
    const majority = (task: 'type' | 'country', classes: number) => {
      const counts = new Array<number>(classes).fill(0);
      for (const i of train) counts[corpus.clips[i]!.labels[task]!]!++;
      return counts.indexOf(Math.max(...counts));
    };
    const constant = (task: 'high' | 'two', size: number) => val.flatMap(() => Array.from({ length: size }, (_, k) => mean(task, k, size)));
    const trivial = evaluate({
      high: { predictions: constant('high', 10), targets: val.flatMap((i) => [...corpus.clips[i]!.labels.high!]) },
      two: { predictions: constant('two', 2), targets: val.flatMap((i) => [...corpus.clips[i]!.labels.two!]) },
      type: { predictions: val.map(() => majority('type', BURST_TYPES.length)), targets: val.map((i) => corpus.clips[i]!.labels.type!) },
      country: { predictions: val.map(() => majority('country', COUNTRIES.length)), targets: val.map((i) => corpus.clips[i]!.labels.country!) },
    });
    expect(trivial.tasks.high!.value).toBeLessThan(0.01); // a constant has CCC 0
    expect(final.tasks.high!.value).toBeGreaterThan(trivial.tasks.high!.value + 0.15);
    expect(final.tasks.two!.value).toBeGreaterThan(trivial.tasks.two!.value + 0.2);
    expect(final.tasks.type!.value).toBeGreaterThan(trivial.tasks.type!.value + 0.1);
    expect(final.tasks.country!.value).toBeGreaterThan(trivial.tasks.country!.value + 0.05);

    // The run folder holds what the docs promise, and the training loss went down.
    const run = RunDir.open(result.runDir);
    for (const f of ['config.json', 'metrics.jsonl', 'report.html', 'final-metrics.json', 'checkpoints/best/heads.safetensors', 'checkpoints/last/trainer.json']) {
      expect(existsSync(run.file(f)), f).toBe(true);
    }
    expect(existsSync(run.file('checkpoints/best/backbone.pt'))).toBe(readCheckpoint(run, 'best')!.state.backboneTrained);
    const losses = readMetricsLog(run.file('metrics.jsonl')).filter((r) => r.kind === 'train').map((r) => r.loss);
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(tail).toBeLessThan(head);
    expect(readFileSync(run.file('report.html'), 'utf8')).toContain('id="vbt-data"');
  }, 240_000);

  it('resumes an interrupted run at the same step with the same optimizer state, ending where an uninterrupted run ends', async () => {
    // Dropout off so both runs draw nothing from the random generator after start.
    const base = (name: string): RunConfigInput => ({
      ...config(name, { stages: [{ name: 'finetune', freeze: 'none', lr: 2e-3, epochs: 2, patience: 5, schedule: 'cosine', warmupEpochs: 0.5 }] }, noDropoutBackbone),
      data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 240, seed: 3, dir: corpusDir }, batchSize: 16, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    });
    // After fit() the model holds the best checkpoint; compare where each run ended: checkpoints/last.
    const lastWeights = (runDir: string) => {
      const ckpt = readCheckpoint(RunDir.open(runDir), 'last')!;
      const heads = T.loadSafetensors(ckpt.heads).tensors;
      const out = new Map([...heads].map(([k, t]) => [`head.${k}`, t.toNumbers()]));
      for (const t of heads.values()) t.dispose();
      const bb = T.ScriptModule.load(ckpt.backbone!);
      for (const [k, t] of bb.namedParameters()) out.set(`backbone.${k}`, t.toNumbers());
      bb.dispose();
      return { out, state: ckpt.state };
    };
    const straight = await Trainer.create({ config: base('straight') });
    const s = await straight.fit();
    await straight.close();

    const stopAt = 13; // mid-epoch: epochs have 9 batches of 16 over 144 training clips
    const first = await Trainer.create({
      config: base('interrupted'),
      callbacks: [{ onStepEnd: (ctx) => (ctx.globalStep >= stopAt ? false : undefined) }],
    });
    const r1 = await first.fit();
    await first.close();
    expect(r1.status).toBe('stopped');
    const last = readCheckpoint(RunDir.open(r1.runDir), 'last')!;
    expect(last.state.globalStep).toBe(stopAt);
    expect(last.state.epoch).toBe(1);
    expect(last.optimizer).not.toBeNull();

    const steps: number[] = [];
    const second = await Trainer.create({ resume: r1.runDir, callbacks: [{ onStepEnd: (ctx) => void steps.push(ctx.globalStep) }] });
    const r2 = await second.fit();
    await second.close();
    expect(steps[0]).toBe(stopAt + 1);
    expect(r2.globalStep).toBe(s.globalStep);
    const a = lastWeights(s.runDir);
    const b = lastWeights(r2.runDir);
    expect(b.state.globalStep).toBe(a.state.globalStep);
    expect([...b.out.keys()]).toEqual([...a.out.keys()]);
    let maxDiff = 0;
    for (const [k, values] of a.out) values.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - b.out.get(k)![i]!))));
    expect(maxDiff).toBeLessThan(1e-5);
  }, 240_000);

  it('evaluates the best checkpoint with its own backbone when a later fine-tuning stage only made things worse', async () => {
    // Stage 2 fine-tunes the backbone at an absurd rate: it cannot beat stage 1, whose
    // checkpoint has no backbone file (the backbone was frozen) and so means the initial export.
    const trainer = await Trainer.create({
      config: config('worse-later', {
        stages: [
          { name: 'heads', freeze: 'all', lr: 3e-3, epochs: 6, patience: 6, cacheFeatures: true },
          { name: 'finetune', freeze: 'none', lr: 0.3, epochs: 2, patience: 2, gradClip: 1 },
        ],
      }),
    });
    const result = await trainer.fit();
    await trainer.close();
    expect(result.best!.stage).toBe(0);
    const records = readMetricsLog(path.join(result.runDir, 'metrics.jsonl'));
    const bestVal = records.filter((r) => r.kind === 'val' && r.monitor.best).at(-1)!;
    expect(bestVal.kind).toBe('val');
    if (bestVal.kind !== 'val') return;
    for (const [task, r] of Object.entries(bestVal.metrics.tasks)) {
      expect(result.final!.tasks[task as 'high']!.value, task).toBeCloseTo(r!.value, 5);
    }
  }, 180_000);

  it('validates after every epoch, the last included, and once per step interval without duplicates', async () => {
    const trainer = await Trainer.create({
      config: config('validation-points', {
        stages: [
          { name: 'heads', freeze: 'all', lr: 3e-3, epochs: 3, patience: 10, cacheFeatures: true },
          { name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 5, patience: 10, maxSteps: 6, validateEvery: 3 },
        ],
      }),
    });
    const result = await trainer.fit();
    await trainer.close();
    const vals = readMetricsLog(path.join(result.runDir, 'metrics.jsonl')).filter((r) => r.kind === 'val');
    // 9 batches per epoch: stage 1 validates at steps 9, 18, 27; stage 2 at 27 + 3 and 27 + 6.
    expect(vals.map((v) => [v.stage, v.step])).toEqual([
      ['heads', 9],
      ['heads', 18],
      ['heads', 27],
      ['finetune', 30],
      ['finetune', 33],
    ]);
  }, 120_000);

  it('a training step leaves the live-tensor count unchanged, and close() frees every tensor of the run', async () => {
    const counts: number[] = [];
    const before = T.liveTensors();
    // A failure names where the tensors left behind were created.
    T.traceTensors(true);
    try {
      const trainer = await Trainer.create({
        config: config('leaks', { stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 1, patience: 1, maxSteps: 8 }] }),
        callbacks: [{ onStepEnd: () => void counts.push(T.liveTensors()) }],
      });
      await trainer.fit();
      await trainer.close();
      expect(counts.length).toBe(8);
      expect(new Set(counts).size, `live tensors per step: ${counts.join(', ')}\n${T.formatLiveTensorSites()}`).toBe(1);
      expect(T.liveTensors(), T.formatLiveTensorSites()).toBe(before);
    } finally {
      T.traceTensors(false);
    }
  }, 120_000);

  it('refuses to overwrite a run folder and names the fix', async () => {
    await expect(Trainer.create({ config: config('learn') })).rejects.toThrow(/already exists: pick another --name, continue it with --resume .* or replace it with --overwrite/);
    await expect(Trainer.create({ resume: path.join(root, 'nope') })).rejects.toThrow(/is not a vbt run folder/);
  });
});
