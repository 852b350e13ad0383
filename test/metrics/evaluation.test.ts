import { describe, expect, it } from 'vitest';
import { TASK_SPECS, TASKS, type Task } from '../../src/tasks.js';
import { ccc } from '../../src/metrics/ccc.js';
import {
  type EvaluationStats,
  type PredictionsByTask,
  MetricsAccumulator,
  evaluate,
  fromStats,
  mergeStats,
} from '../../src/metrics/evaluation.js';
import type { CccTaskReport, MaeTaskReport, UarTaskReport } from '../../src/metrics/task-report.js';
import { Rng } from '../../src/util/rng.js';

/** Random predictions and labels of every task for n samples. */
function randomSplit(rng: Rng, n: number): Required<PredictionsByTask> {
  const out = {} as Required<PredictionsByTask>;
  for (const task of TASKS) {
    const spec = TASK_SPECS[task];
    if (spec.kind === 'classification') {
      const targets = Int32Array.from({ length: n }, () => rng.int(spec.size));
      // scores that favour the true class most of the time
      const scores = new Float32Array(n * spec.size);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < spec.size; k++) scores[i * spec.size + k] = rng.normal() + (k === targets[i] ? 1.2 : 0);
      }
      out[task] = { predictions: scores, targets };
    } else {
      const targets = new Float32Array(n * spec.size);
      const predictions = new Float32Array(n * spec.size);
      for (let i = 0; i < targets.length; i++) {
        const t = task === 'age' ? 20 + 19 * rng.next() : rng.next();
        targets[i] = t;
        predictions[i] = task === 'age' ? t + 4 * rng.normal() : 0.5 * t + 0.2 + 0.2 * rng.normal();
      }
      out[task] = { predictions, targets };
    }
  }
  return out;
}

/** Rows [from, to) of every task's arrays. */
function sliceSplit(all: Required<PredictionsByTask>, from: number, to: number): PredictionsByTask {
  const out: PredictionsByTask = {};
  for (const task of TASKS) {
    const b = all[task];
    const spec = TASK_SPECS[task];
    const predWidth = spec.size; // scores for classification, outputs for regression
    const targetWidth = spec.kind === 'classification' ? 1 : spec.size;
    out[task] = {
      predictions: (b.predictions as Float32Array).slice(from * predWidth, to * predWidth),
      targets: (b.targets as Float32Array).slice(from * targetWidth, to * targetWidth),
    };
  }
  return out;
}

/** Column j of an n × size row-major array. */
function column(values: ArrayLike<number>, size: number, j: number): number[] {
  const out: number[] = [];
  for (let i = j; i < values.length; i += size) out.push(values[i] as number);
  return out;
}

describe('task metric definitions', () => {
  it('agree with TASK_SPECS', () => {
    const byMetric: Record<string, Task[]> = { ccc: ['high', 'culture', 'two'], uar: ['type', 'country'], mae: ['age'] };
    for (const task of TASKS) expect(byMetric[TASK_SPECS[task].metric]).toContain(task);
  });
});

describe('evaluate', () => {
  const all = randomSplit(new Rng(2024), 600);
  const report = evaluate(all);

  it('scores CCC tasks as the mean of independent per-output CCCs', () => {
    for (const task of ['high', 'culture', 'two'] as const) {
      const size = TASK_SPECS[task].size;
      const b = all[task];
      let sum = 0;
      for (let j = 0; j < size; j++) sum += ccc(column(b.predictions, size, j), column(b.targets, size, j));
      const r = report.tasks[task] as CccTaskReport;
      expect(r.metric).toBe('ccc');
      expect(r.value).toBeCloseTo(sum / size, 12);
      expect(r.outputs.map((o) => o.name)).toEqual(TASK_SPECS[task].labels);
      expect(r.n).toBe(600);
    }
  });

  it('reports UAR with per-class counts and the ExVo/A-VB summaries', () => {
    const country = report.tasks.country as UarTaskReport;
    expect(country.classes.map((c) => c.name)).toEqual(['China', 'South Africa', 'United States', 'Venezuela']);
    expect(country.classes.reduce((s, c) => s + c.support, 0)).toBe(600);
    expect(country.confusion.flat().reduce((s, v) => s + v, 0)).toBe(600);
    const age = report.tasks.age as MaeTaskReport;
    expect(age.unit).toBe('years');
    // ExVo: emotion CCC is task high; S_MTL from the three
    expect(report.exvo.emotionCcc).toBe(report.tasks.high?.value);
    expect(report.exvo.smtl).toBeCloseTo(3 / (1 / report.tasks.high!.value + 1 / country.value + age.value), 12);
    expect(report.avb).toEqual({
      high: report.tasks.high!.value,
      culture: report.tasks.culture!.value,
      two: report.tasks.two!.value,
      type: report.tasks.type!.value,
      country: country.value,
    });
    expect(report.cccVariant).toBe('population');
  });

  it('accepts class indices as well as scores', () => {
    const type = all.type;
    const size = TASK_SPECS.type.size;
    const classes = Int32Array.from({ length: 600 }, (_, i) => {
      let best = 0;
      for (let k = 1; k < size; k++) if ((type.predictions[i * size + k] as number) > (type.predictions[i * size + best] as number)) best = k;
      return best;
    });
    const r = evaluate({ type: { predictions: classes, targets: type.targets } });
    expect(r.tasks.type?.value).toBe(report.tasks.type?.value);
  });

  it('covers only the tasks given, with null summaries elsewhere', () => {
    const r = evaluate({ high: all.high, type: all.type });
    expect(Object.keys(r.tasks).sort()).toEqual(['high', 'type']);
    expect(r.exvo).toEqual({ emotionCcc: r.tasks.high!.value, countryUar: null, ageMae: null, smtl: null });
    expect(r.avb.culture).toBeNull();
    expect(r.avb.type).toBe(r.tasks.type!.value);
  });

  it('switches the CCC variant', () => {
    const off = evaluate({ two: all.two }, { cccVariant: 'official' });
    const pop = evaluate({ two: all.two });
    expect(off.cccVariant).toBe('official');
    expect(off.tasks.two!.value).not.toBe(pop.tasks.two!.value);
    // (n − 1)/n ≤ official/population < 1 with n = 600
    expect(off.tasks.two!.value / pop.tasks.two!.value).toBeGreaterThan(599 / 600 - 1e-12);
  });

  it('produces JSON-safe reports', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('masks', () => {
  it('per sample: masked rows do not count', () => {
    const targets = Float32Array.from([0.1, 0.9, 0.2, 0.8, 0.5, 0.5, 0.3, 0.6]);
    const predictions = Float32Array.from([0.2, 0.7, 0.1, 0.9, 99, -99, 0.4, 0.5]);
    const masked = evaluate({ two: { predictions, targets, mask: [1, 1, 0, 1] } });
    const kept = evaluate({
      two: { predictions: Float32Array.from([0.2, 0.7, 0.1, 0.9, 0.4, 0.5]), targets: Float32Array.from([0.1, 0.9, 0.2, 0.8, 0.3, 0.6]) },
    });
    expect(masked.tasks.two!.value).toBeCloseTo(kept.tasks.two!.value, 14);
    expect(masked.tasks.two!.n).toBe(3);
  });

  it('per value: an output with no label is left out of the task mean', () => {
    // 3 samples × 2 outputs; output 1 unlabelled everywhere (NaN labels masked)
    const r = evaluate({
      two: {
        predictions: [0.1, 0.5, 0.5, 0.5, 0.9, 0.5],
        targets: [0.2, Number.NaN, 0.4, Number.NaN, 0.8, Number.NaN],
        mask: [1, 0, 1, 0, 1, 0],
      },
    });
    const two = r.tasks.two as CccTaskReport;
    expect(two.outputs[1]!.n).toBe(0);
    expect(two.outputs[1]!.mae).toBeNull();
    expect(two.value).toBeCloseTo(ccc([0.1, 0.5, 0.9], [0.2, 0.4, 0.8]), 14);
  });

  it('a task with batches but no labelled sample is listed as empty', () => {
    const r = evaluate({ age: { predictions: [30, 31], targets: [0, 0], mask: [0, 0] }, country: { predictions: [0], targets: [1] } });
    expect(r.tasks.age).toBeUndefined();
    expect(r.empty).toEqual(['age']);
    expect(r.exvo.smtl).toBeNull();
  });

  it('refuses inconsistent shapes', () => {
    expect(() => evaluate({ high: { predictions: new Float32Array(20), targets: new Float32Array(19) } })).toThrow(RangeError);
    expect(() => evaluate({ high: { predictions: new Float32Array(20), targets: new Float32Array(20), mask: [1, 1, 1] } })).toThrow(
      RangeError,
    );
    expect(() => evaluate({ type: { predictions: new Float32Array(5), targets: [0, 1] } })).toThrow(RangeError);
  });
});

describe('sharded evaluation', () => {
  const all = randomSplit(new Rng(99), 1000);
  const single = evaluate(all);
  // Uneven shards, one of them empty; stats cross a JSON boundary as between processes.
  const bounds = [0, 137, 137, 640, 1000];
  const shards: EvaluationStats[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const acc = new MetricsAccumulator();
    acc.addAll(sliceSplit(all, bounds[s]!, bounds[s + 1]!));
    shards.push(JSON.parse(JSON.stringify(acc.stats())) as EvaluationStats);
  }
  const merged = fromStats(mergeStats(...shards));

  it('equals the single pass', () => {
    for (const task of TASKS) {
      expect(merged.tasks[task]!.value).toBeCloseTo(single.tasks[task]!.value, 12);
      expect(merged.tasks[task]!.n).toBe(single.tasks[task]!.n);
    }
    expect((merged.tasks.type as UarTaskReport).confusion).toEqual((single.tasks.type as UarTaskReport).confusion);
    const a = merged.tasks.culture as CccTaskReport;
    const b = single.tasks.culture as CccTaskReport;
    a.outputs.forEach((o, j) => {
      expect(o.ccc).toBeCloseTo(b.outputs[j]!.ccc, 12);
      expect(o.pearson).toBeCloseTo(b.outputs[j]!.pearson, 12);
      expect(o.stdPrediction).toBeCloseTo(b.outputs[j]!.stdPrediction, 12);
    });
    expect(merged.exvo.smtl).toBeCloseTo(single.exvo.smtl!, 12);
  });

  it('differs from averaging per-shard CCCs (the mistake merging avoids)', () => {
    const perShard = [0, 2, 3].map((s) => fromStats(shards[s]!).tasks.high!.value);
    const averaged = perShard.reduce((x, y) => x + y, 0) / perShard.length;
    expect(Math.abs(averaged - single.tasks.high!.value)).toBeGreaterThan(1e-4);
  });

  it('is independent of merge order', () => {
    const reversed = fromStats(mergeStats(...[...shards].reverse()));
    expect(reversed.tasks.high!.value).toBeCloseTo(single.tasks.high!.value, 12);
  });

  it('the accumulator can be reset and reused', () => {
    const acc = new MetricsAccumulator();
    acc.addAll(sliceSplit(all, 0, 10));
    acc.reset();
    acc.addAll(all);
    expect(acc.report().tasks.high!.value).toBeCloseTo(single.tasks.high!.value, 12);
  });

  it('refuses to merge mismatched statistics', () => {
    const bad = structuredClone(shards[0]!);
    (bad as { version: number }).version = 2;
    expect(() => mergeStats(shards[1]!, bad)).toThrow(RangeError);
  });
});
