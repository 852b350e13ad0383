/**
 * Ensembles (Burst2Vec Sec. 4.2): mean of regression outputs, mean of class
 * probabilities then arg-max; written as raw predictions and an ExVo
 * submission; scored against a corpus's labels.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Clip } from '../../src/data/corpus/corpus.js';
import { readExvoCorpus } from '../../src/data/index.js';
import type { Task } from '../../src/tasks.js';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import { EnsembleError, combinePredictions, runEnsemble, scorePredictions } from '../../src/ensemble/index.js';
import type { MetricsReport } from '../../src/metrics/index.js';
import { type ClipPredictions, readRawPredictions } from '../../src/predict/raw-predictions.js';
import { BAD, GOOD, exvoRun, labelledClips, shuffled, writeRun } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vbt-ensemble-'));
const corpusDir = path.join(dir, 'exvo');
/** Labelled clips for the averaging tests (enough per country for stable UARs). */
const clips = labelledClips(400, 1);
/** The Val clips of a small synthetic ExVo corpus on disk, for the file-level tests. */
let val: Clip[];
beforeAll(() => {
  writeSyntheticCorpus({ dir: corpusDir, layout: 'exvo', clips: 150, seed: 3 });
  val = readExvoCorpus(corpusDir, { probeAudio: false }).clips.filter((c) => c.split === 'Val');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function report(p: ClipPredictions): MetricsReport {
  return scorePredictions(p, clips)!.report;
}

/** Every ExVo number, with "higher is better" for each. */
function numbers(r: MetricsReport): { name: string; value: number }[] {
  return [
    { name: 'emotion CCC', value: r.exvo.emotionCcc! },
    { name: 'country UAR', value: r.exvo.countryUar! },
    { name: 'age MAE', value: r.exvo.ageMae! },
    { name: 'S_MTL', value: r.exvo.smtl! },
  ];
}

describe('combinePredictions', () => {
  it('of identical runs equals each run', () => {
    const run = exvoRun(clips, GOOD, 1);
    const { predictions, tasks, droppedTasks } = combinePredictions([run, shuffled(run, 5), run]);
    expect(tasks).toEqual(['high', 'country', 'age']);
    expect(droppedTasks).toEqual([]);
    expect(predictions.ids).toEqual(run.ids);
    for (const t of tasks) {
      predictions.byTask[t]!.values.forEach((v, i) => expect(v).toBeCloseTo(run.byTask[t]!.values[i]!, 12));
    }
    const a = numbers(report(predictions));
    numbers(report(run)).forEach((n, i) => expect(a[i]!.value).toBeCloseTo(n.value, 10));
  });

  it('of a good and a bad run lands between them on every metric', () => {
    const good = exvoRun(clips, GOOD, 2);
    const bad = exvoRun(clips, BAD, 3);
    const g = numbers(report(good));
    const b = numbers(report(bad));
    // The fixtures differ clearly on every metric, so "between" says something.
    g.forEach((n, i) => expect(Math.abs(n.value - b[i]!.value)).toBeGreaterThan(0.03));
    // Rows in another order in the bad run: combining must match clips by id.
    const e = numbers(report(combinePredictions([good, shuffled(bad, 9)]).predictions));
    e.forEach((n, i) => {
      const lo = Math.min(g[i]!.value, b[i]!.value);
      const hi = Math.max(g[i]!.value, b[i]!.value);
      expect(n.value, n.name).toBeGreaterThanOrEqual(lo);
      expect(n.value, n.name).toBeLessThanOrEqual(hi);
    });
  });

  it('averages country probabilities before the arg-max (not a majority vote)', () => {
    const run = (p: number[]): ClipPredictions => ({ ids: ['a'], byTask: { country: { size: 4, values: p } } });
    // Two hesitant runs say class 1, one confident run says class 0: the mean favours 0.
    const { predictions } = combinePredictions([run([0.9, 0.1, 0, 0]), run([0.4, 0.6, 0, 0]), run([0.4, 0.6, 0, 0])]);
    const p = predictions.byTask.country!.values;
    [0.5666666, 0.4333333, 0, 0].forEach((v, k) => expect(p[k]).toBeCloseTo(v, 6));
    const scored = scorePredictions(predictions, [{ ...clips[0]!, id: 'a', labels: { country: 0 } }])!;
    expect(scored.report.tasks.country!.value).toBe(1);
  });

  it('averages recipe A\'s tasks too: regressions by mean, classes by mean probability', () => {
    const a: ClipPredictions = {
      ids: ['x', 'y'],
      byTask: { two: { size: 2, values: [0.2, 0.4, 0.6, 0.8] }, type: { size: 8, values: [...[1, 0, 0, 0, 0, 0, 0, 0], ...[0, 0.5, 0.5, 0, 0, 0, 0, 0]] } },
    };
    const b: ClipPredictions = {
      ids: ['y', 'x'],
      byTask: { two: { size: 2, values: [0.0, 0.2, 0.4, 0.6] }, type: { size: 8, values: [...[0, 0, 1, 0, 0, 0, 0, 0], ...[0, 1, 0, 0, 0, 0, 0, 0]] } },
    };
    const { predictions } = combinePredictions([a, b]);
    expect(predictions.ids).toEqual(['x', 'y']);
    [0.3, 0.5, 0.3, 0.5].forEach((v, i) => expect(predictions.byTask.two!.values[i]).toBeCloseTo(v, 12));
    expect(predictions.byTask.type!.values).toEqual([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.25, 0.75, 0, 0, 0, 0, 0]);
  });

  it('keeps the tasks every run predicts and refuses runs of different clips', () => {
    const full = exvoRun(clips, GOOD, 4);
    const { age: _a, ...noAge } = full.byTask;
    const partial: ClipPredictions = { ids: full.ids, byTask: noAge };
    const r = combinePredictions([full, partial]);
    expect(r.tasks).toEqual(['high', 'country']);
    expect(r.droppedTasks).toEqual<Task[]>(['age']);
    const fewer: ClipPredictions = { ids: full.ids.slice(1), byTask: { high: { size: 10, values: full.byTask.high!.values.slice(10) } } };
    expect(() => combinePredictions([full, fewer], ['a.csv', 'b.csv'])).toThrow(/b\.csv .*lacks/);
    expect(() => combinePredictions([{ ids: ['1', '1'], byTask: {} }])).toThrow(EnsembleError);
    expect(() => combinePredictions([])).toThrow(/at least one/);
  });
});

describe('runEnsemble', () => {
  it('writes raw predictions, an ExVo submission and a summary, and scores the ensemble and each run', () => {
    const runs = [
      writeRun(path.join(dir, 'runs', 'good'), 'Val', exvoRun(val, GOOD, 6)),
      writeRun(path.join(dir, 'runs', 'bad'), 'Val', shuffled(exvoRun(val, BAD, 7), 2)),
    ];
    const out = path.join(dir, 'runs', 'ens');
    const result = runEnsemble({ members: runs, split: 'Val', out, corpus: { layout: 'exvo', root: corpusDir } });
    expect(result.clips).toBe(val.length);
    expect(result.files.raw).toBe(path.join(out, 'predictions', 'Val', 'predictions.csv'));
    const back = readRawPredictions(result.files.raw);
    expect(back.ids).toEqual(result.predictions.ids);

    // Submission: File_ID bracketed, Country the arg-max class, Age in years, then the emotions.
    const lines = readFileSync(result.files.submission!, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('File_ID,Country,Age,Awe,Excitement,Amusement,Awkwardness,Fear,Horror,Distress,Triumph,Sadness,Surprise');
    expect(lines).toHaveLength(val.length + 1);
    const first = lines[1]!.split(',');
    const row = 0;
    const probs = result.predictions.byTask.country!.values.slice(row * 4, row * 4 + 4);
    expect(first[0]).toBe(`[${result.predictions.ids[row]}]`);
    expect(Number(first[1])).toBe(probs.indexOf(Math.max(...probs)));
    expect(Number(first[2])).toBeCloseTo(result.predictions.byTask.age!.values[row]!, 10);
    expect(Number(first[2])).toBeGreaterThan(5); // years, not the 0–1 scale
    expect(first.slice(3).map(Number)).toEqual(result.predictions.byTask.high!.values.slice(0, 10));

    const summary = JSON.parse(readFileSync(result.files.summary, 'utf8')) as { metrics: MetricsReport; memberMetrics: MetricsReport[] };
    expect(summary.metrics.exvo.smtl).toBeCloseTo(result.score!.report.exvo.smtl!, 12);
    expect(summary.memberMetrics).toHaveLength(2);
    const [g, b] = result.memberScores!.map((s) => s!.report.exvo.smtl!);
    expect(result.score!.report.exvo.smtl!).toBeGreaterThanOrEqual(Math.min(g!, b!));
    expect(result.score!.report.exvo.smtl!).toBeLessThanOrEqual(Math.max(g!, b!));

    // Never overwrites without being asked; an ensemble folder can be a member.
    expect(() => runEnsemble({ members: runs, split: 'Val', out })).toThrow(/exists/);
    const again = runEnsemble({ members: [out, out], split: 'Val', out: path.join(dir, 'runs', 'ens2') });
    expect(again.score).toBeNull();
    expect(again.predictions.byTask.age!.values).toEqual(result.predictions.byTask.age!.values);
  });

  it('names what is wrong: a run without predictions of the split, or clips of another split', () => {
    const run = writeRun(path.join(dir, 'runs', 'val-only'), 'Val', exvoRun(val, GOOD, 8));
    expect(() => runEnsemble({ members: [run], split: 'Test', out: path.join(dir, 'runs', 'x') })).toThrow(/predictions\/Test\/predictions\.csv/);
    const file = path.join(run, 'predictions', 'Val', 'predictions.csv');
    expect(() => runEnsemble({ members: [file], split: 'Train', out: path.join(dir, 'runs', 'y'), corpus: { layout: 'exvo', root: corpusDir } })).toThrow(
      /not in the corpus split/,
    );
    expect(existsSync(path.join(dir, 'runs', 'y'))).toBe(false);
  });
});

describe('vbt ensemble', () => {
  it('prints each run\'s and the ensemble\'s metrics', async () => {
    const runs = [
      writeRun(path.join(dir, 'cli', 'a'), 'Val', exvoRun(val, GOOD, 10)),
      writeRun(path.join(dir, 'cli', 'b'), 'Val', exvoRun(val, BAD, 11)),
    ];
    const out = path.join(dir, 'cli', 'ens');
    const logs: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    try {
      await main(['ensemble', ...runs, '--out', out, '--data', corpusDir, '--layout', 'exvo']);
    } finally {
      spy.mockRestore();
    }
    const text = logs.join('\n');
    expect(text).toMatch(/ensemble of 2 runs/);
    expect(text).toMatch(/ExVo S_MTL/);
    expect(text).toMatch(/exvo-submission\.csv/);
    expect(existsSync(path.join(out, 'predictions', 'Val', 'exvo-submission.csv'))).toBe(true);
  });
});
