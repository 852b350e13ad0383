/**
 * Build sample pages from realistic fake runs, to look at their layout: two
 * stages, a few hundred training log steps, about twenty validations, five
 * A-VB tasks (high, culture, two, type, country), metrics computed by the
 * real metric code on simulated predictions that improve as training goes on.
 *
 *     npx tsx scripts/sample-report.ts OUT.html [--exvo] [--running]
 *     npx tsx scripts/sample-report.ts --compare OUT.html
 *
 * --exvo simulates recipe B's tasks (high, country, age) instead; --running
 * writes the page of a run still going on (two thirds through, reloading
 * itself). --compare writes three simulated run folders next to OUT.html
 * (OUT.html.runs/) and the `vbt compare` page of them, the third run
 * monitoring another value than the first two.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../src/config/load.js';
import { TASK_SPECS, type Task } from '../src/tasks.js';
import { MetricsAccumulator } from '../src/metrics/evaluation.js';
import { type MetricsRecord, serializeRecord } from '../src/run/metrics-log.js';
import { writeReportHtml } from '../src/report/report-html.js';
import type { RunEnvironment, RunInfo } from '../src/report/run-info.js';
import { writeComparisonHtml } from '../src/report/compare-html.js';
import { readRunForComparison } from '../src/report/compare-runs.js';
import { compareRuns } from '../src/cli/commands/compare.js';
import { Rng } from '../src/util/rng.js';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--'));
if (out === undefined) {
  console.error('usage: npx tsx scripts/sample-report.ts OUT.html [--exvo] [--running] | --compare OUT.html');
  process.exit(2);
}
const exvo = args.includes('--exvo');
const running = args.includes('--running');

const TOTAL_STEPS = 3000;
const LOG_EVERY = 10;
const VAL_EVERY = 150;
const STAGE2_AT = 900;
const VAL_N = 400;
const START = Date.parse('2024-05-01T10:00:00Z');

/** Simulated validation: skill in [0, 1] sets how closely predictions follow labels. */
function validate(rng: Rng, tasks: readonly Task[], skill: number): MetricsAccumulator {
  const acc = new MetricsAccumulator();
  for (const task of tasks) {
    const spec = TASK_SPECS[task];
    if (spec.kind === 'classification') {
      const targets = Int32Array.from({ length: VAL_N }, () => rng.int(spec.size));
      const scores = new Float32Array(VAL_N * spec.size);
      for (let i = 0; i < VAL_N; i++) {
        for (let k = 0; k < spec.size; k++) scores[i * spec.size + k] = rng.normal() + (k === targets[i] ? 2.5 * skill : 0);
      }
      acc.add(task, { predictions: scores, targets });
    } else {
      const targets = new Float32Array(VAL_N * spec.size);
      const predictions = new Float32Array(VAL_N * spec.size);
      for (let i = 0; i < targets.length; i++) {
        const t = task === 'age' ? 20 + 19 * rng.next() : rng.next();
        targets[i] = t;
        if (task === 'age') predictions[i] = 29.5 + skill * (t - 29.5) + (6 - 3 * skill) * rng.normal();
        else {
          const s = task === 'two' ? 0.3 * skill : skill;
          predictions[i] = 0.5 + s * (t - 0.5) + 0.25 * (1.1 - s) * rng.normal();
        }
      }
      acc.add(task, { predictions, targets });
    }
  }
  return acc;
}

interface SimOptions {
  seed: number;
  tasks: readonly Task[];
  /** How far the simulated run gets (fraction of TOTAL_STEPS). */
  until?: number;
  /** Final skill (0.85 by default). */
  skill?: number;
  monitor?: { name: 'val/loss' | 'score'; mode: 'min' | 'max' };
}

/** A simulated metrics log. */
function simulate(o: SimOptions): MetricsRecord[] {
  const rng = new Rng(o.seed);
  const records: MetricsRecord[] = [];
  const monitor = o.monitor ?? { name: 'val/loss', mode: 'min' };
  let best = monitor.mode === 'min' ? Infinity : -Infinity;
  const last = Math.round((o.until ?? 1) * TOTAL_STEPS);
  for (let step = LOG_EVERY; step <= last; step += LOG_EVERY) {
    const stage = step <= STAGE2_AT ? 'heads' : 'finetune';
    const progress = step / TOTAL_STEPS;
    const base = 0.35 + 1.6 * Math.exp(-5 * progress) + (step === LOG_EVERY ? 6 : 0);
    const taskLosses: Partial<Record<Task, number>> = {};
    const taskWeights: Partial<Record<Task, number>> = {};
    o.tasks.forEach((t, i) => {
      taskLosses[t] = Math.max(0.01, base * (0.6 + 0.15 * i) + 0.08 * rng.normal());
      taskWeights[t] = 1 / (0.5 + 0.3 * i * (1 - 0.5 * progress)) ** 2;
    });
    const warm = stage === 'finetune' ? Math.min(1, (step - STAGE2_AT) / 300) : 1;
    const cosine = stage === 'finetune' ? 0.5 * (1 + Math.cos((Math.PI * (step - STAGE2_AT)) / (TOTAL_STEPS - STAGE2_AT))) : 1;
    records.push({
      kind: 'train',
      time: new Date(START + step * 1200).toISOString(),
      step,
      epoch: step / 300,
      stage,
      loss: step === 1500 ? Number.NaN : base + 0.12 * rng.normal(),
      taskLosses,
      taskWeights,
      lr: stage === 'heads' ? { heads: 1e-3 } : { heads: 1e-3 * warm * cosine, backbone: 4e-5 * warm * cosine },
      throughput: { samplesPerSec: 95 + 5 * rng.normal(), audioSecondsPerSec: 240 + 12 * rng.normal() },
    });
    if (step % VAL_EVERY === 0) {
      const skill = Math.min(o.skill ?? 0.85, 0.15 + 0.8 * (1 - Math.exp(-3 * progress)));
      const metrics = validate(rng, o.tasks, skill).report();
      const loss = 0.5 + 1.2 * Math.exp(-4 * progress) + 0.03 * rng.normal() + (progress > 0.85 ? 0.08 * (progress - 0.85) * 10 : 0);
      const values = Object.entries(metrics.tasks).map(([t, r]) => (t === 'age' ? 1 / r!.value : r!.value));
      const value = monitor.name === 'val/loss' ? loss : values.reduce((a, b) => a + b, 0) / values.length;
      const better = monitor.mode === 'min' ? value < best : value > best;
      if (better) best = value;
      records.push({ kind: 'val', time: new Date(START + step * 1200 + 30_000).toISOString(), step, epoch: step / 300, stage, loss, metrics, monitor: { ...monitor, value, best: better } });
    }
  }
  return records;
}

function environment(): RunEnvironment {
  return {
    vbt: '0.1.0',
    node: process.version,
    libtorch: '2.5.1',
    cudaBuild: true,
    cudaRuntime: '12.4',
    cudnn: '9.1.0',
    device: 'cuda:0',
    deviceName: 'NVIDIA A100-SXM4-40GB',
    precision: 'bf16',
    cpuThreads: 8,
    blas: 'MKL',
    processes: 1,
    platform: 'linux x64',
    cpu: 'AMD EPYC 7742 64-Core Processor',
  };
}

function runInfo(records: readonly MetricsRecord[], status: 'running' | 'completed'): RunInfo {
  const last = records[records.length - 1]!;
  return {
    version: 1,
    sessions: [
      {
        started: new Date(START).toISOString(),
        updated: last.time!,
        wallSeconds: (Date.parse(last.time!) - START) / 1000,
        fromStep: 0,
        toStep: last.step,
        status,
        environment: environment(),
      },
    ],
  };
}

const config = {
  recipe: exvo ? 'exvo-burst2vec' : 'avb-mtl',
  data: { corpus: 'synthetic', root: 'data/synthetic <demo>' },
  model: { backbone: 'data2vec-audio-base', heads: { hidden: 256 } },
  train: { stages: [{ name: 'heads', epochs: 30 }, { name: 'finetune', epochs: 30, lr: 4e-5, schedule: 'cosine' }] },
};

if (args.includes('--compare')) {
  const root = `${out}.runs`;
  rmSync(root, { recursive: true, force: true });
  const tasks: Task[] = ['high', 'culture', 'two', 'type', 'country'];
  const sims: { name: string; sim: SimOptions; overrides: [string, unknown][] }[] = [
    { name: 'avb-lr-3e-5', sim: { seed: 1, tasks, skill: 0.8 }, overrides: [['train.stages.1.lr', 3e-5]] },
    { name: 'avb-lr-1e-4', sim: { seed: 2, tasks, skill: 0.86 }, overrides: [['train.stages.1.lr', 1e-4]] },
    {
      name: 'avb-score-monitor',
      sim: { seed: 3, tasks, skill: 0.83, until: 0.7, monitor: { name: 'score', mode: 'max' } },
      overrides: [['train.monitor', { name: 'score', mode: 'max' }]],
    },
  ];
  const dirs = sims.map(({ name, sim, overrides }) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    const records = simulate(sim);
    const cfg = resolveConfig({ recipe: 'avb-mtl', overrides: [['data.corpus', { kind: 'synthetic', layout: 'avb' }], ['output.name', name], ...overrides] });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    writeFileSync(path.join(dir, 'metrics.jsonl'), records.map((r) => `${serializeRecord(r)}\n`).join(''));
    const finished = (sim.until ?? 1) >= 1;
    writeFileSync(path.join(dir, 'run-info.json'), JSON.stringify(runInfo(records, finished ? 'completed' : 'running'), null, 2));
    if (finished) {
      const val = records.filter((r) => r.kind === 'val');
      const best = val.filter((v) => v.monitor.best).pop()!;
      writeFileSync(
        path.join(dir, 'final-metrics.json'),
        JSON.stringify({ checkpoint: 'best', split: 'Val', best: { value: best.monitor.value, stage: best.stage === 'heads' ? 0 : 1, epoch: Math.floor(best.epoch), step: best.step }, metrics: best.metrics }, null, 2),
      );
    }
    return dir;
  });
  const loaded = dirs.map((d) => readRunForComparison(d));
  const sortBy = loaded[0]!.config.train.monitor;
  writeComparisonHtml(out, { runs: compareRuns(loaded, sortBy), sortBy });
  console.log(`wrote ${out} (runs in ${root})`);
} else {
  const tasks: Task[] = exvo ? ['high', 'country', 'age'] : ['high', 'culture', 'two', 'type', 'country'];
  const records = simulate({ seed: 42, tasks, ...(running ? { until: 0.65 } : {}) });
  writeReportHtml(out, {
    runName: exvo ? 'sample-exvo' : 'sample-avb',
    records,
    config,
    runInfo: runInfo(records, running ? 'running' : 'completed'),
  });
  console.log(`wrote ${out} (${records.length} records)`);
}
