/**
 * Build a sample report.html from a realistic fake run, to look at the
 * report's layout: two stages, a few hundred training log steps, about
 * twenty validations, five A-VB tasks (high, culture, two, type, country),
 * metrics computed by the real metric code on simulated predictions that
 * improve as training goes on.
 *
 *     npx tsx scripts/sample-report.ts OUT.html [--exvo]
 *
 * --exvo simulates recipe B's tasks (high, country, age) instead.
 */
import { TASK_SPECS, type Task } from '../src/tasks.js';
import { MetricsAccumulator } from '../src/metrics/evaluation.js';
import type { MetricsRecord } from '../src/run/metrics-log.js';
import { writeReportHtml } from '../src/report/report-html.js';
import { Rng } from '../src/util/rng.js';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: npx tsx scripts/sample-report.ts OUT.html [--exvo]');
  process.exit(2);
}
const exvo = process.argv.includes('--exvo');
const tasks: Task[] = exvo ? ['high', 'country', 'age'] : ['high', 'culture', 'two', 'type', 'country'];

const rng = new Rng(42);
const TOTAL_STEPS = 3000;
const LOG_EVERY = 10;
const VAL_EVERY = 150;
const STAGE2_AT = 900;
const VAL_N = 400;

/** Simulated validation: skill in [0, 1] sets how closely predictions follow labels. */
function validate(skill: number): MetricsAccumulator {
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

const records: MetricsRecord[] = [];
const start = Date.parse('2024-05-01T10:00:00Z');
let bestLoss = Infinity;
for (let step = LOG_EVERY; step <= TOTAL_STEPS; step += LOG_EVERY) {
  const stage = step <= STAGE2_AT ? 'heads' : 'finetune';
  const progress = step / TOTAL_STEPS;
  const base = 0.35 + 1.6 * Math.exp(-5 * progress) + (step === LOG_EVERY ? 6 : 0);
  const taskLosses: Partial<Record<Task, number>> = {};
  const taskWeights: Partial<Record<Task, number>> = {};
  tasks.forEach((t, i) => {
    taskLosses[t] = Math.max(0.01, base * (0.6 + 0.15 * i) + 0.08 * rng.normal());
    taskWeights[t] = 1 / (0.5 + 0.3 * i * (1 - 0.5 * progress)) ** 2;
  });
  const warm = stage === 'finetune' ? Math.min(1, (step - STAGE2_AT) / 300) : 1;
  const cosine = stage === 'finetune' ? 0.5 * (1 + Math.cos((Math.PI * (step - STAGE2_AT)) / (TOTAL_STEPS - STAGE2_AT))) : 1;
  records.push({
    kind: 'train',
    time: new Date(start + step * 1200).toISOString(),
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
    const skill = Math.min(0.85, 0.15 + 0.8 * (1 - Math.exp(-3 * progress)));
    const metrics = validate(skill).report();
    const loss = 0.5 + 1.2 * Math.exp(-4 * progress) + 0.03 * rng.normal() + (progress > 0.85 ? 0.08 * (progress - 0.85) * 10 : 0);
    const best = loss < bestLoss;
    if (best) bestLoss = loss;
    records.push({
      kind: 'val',
      time: new Date(start + step * 1200 + 30_000).toISOString(),
      step,
      epoch: step / 300,
      stage,
      loss,
      metrics,
      monitor: { name: 'val/loss', value: loss, mode: 'min', best },
    });
  }
}

const config = {
  recipe: exvo ? 'exvo-burst2vec' : 'avb-mtl',
  data: { corpus: 'synthetic', root: 'data/synthetic <demo>' },
  model: { backbone: 'data2vec-audio-base', heads: { hidden: 256 } },
  train: { stages: [{ name: 'heads', epochs: 30 }, { name: 'finetune', epochs: 30, lr: 4e-5, schedule: 'cosine' }] },
};
writeReportHtml(out, { runName: exvo ? 'sample-exvo' : 'sample-avb', records, config });
console.log(`wrote ${out} (${records.length} records)`);
