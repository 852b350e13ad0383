/**
 * Raw predictions of made-up runs for a corpus's clips: a good run (small
 * errors), a bad run (large errors), written in run-folder layout.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Clip } from '../../src/data/corpus/corpus.js';
import type { Split } from '../../src/tasks.js';
import { type ClipPredictions, writeRawPredictions } from '../../src/predict/raw-predictions.js';
import { Rng } from '../../src/util/rng.js';

export interface RunQuality {
  /** Std of the emotion errors. */
  emotion: number;
  /** Std of the age errors (years). */
  age: number;
  /** Chance that the country probabilities favour the true class. */
  countryHit: number;
}

export const GOOD: RunQuality = { emotion: 0.08, age: 2, countryHit: 0.85 };
export const BAD: RunQuality = { emotion: 0.35, age: 9, countryHit: 0.3 };

/** `n` Val clips with random ExVo labels (no audio), for scoring predictions. */
export function labelledClips(n: number, seed: number): Clip[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: String(10000 + i),
    split: 'Val' as const,
    audioPath: `/corpus/wav/${10000 + i}.wav`,
    labels: { high: Float32Array.from({ length: 10 }, () => rng.next()), age: 20 + rng.int(20), country: rng.int(4) },
    source: { file: 'data_info.csv', row: i + 2, column: 'File_ID' },
  }));
}

/** ExVo predictions (emotions, age in years, country probabilities) for `clips`. */
export function exvoRun(clips: readonly Clip[], quality: RunQuality, seed: number): ClipPredictions {
  const rng = new Rng(seed);
  const high: number[] = [];
  const age: number[] = [];
  const country: number[] = [];
  for (const c of clips) {
    for (const v of c.labels.high!) high.push(v + rng.normal(0, quality.emotion));
    age.push(c.labels.age! + rng.normal(0, quality.age));
    const favoured = rng.next() < quality.countryHit ? c.labels.country! : rng.int(4);
    // Confidence varies per clip, so when runs disagree either may win the average.
    const top = rng.uniform(0.35, 0.9);
    const p = [0, 1, 2, 3].map((k) => (k === favoured ? top : (1 - top) / 3));
    country.push(...p);
  }
  return { ids: clips.map((c) => c.id), byTask: { high: { size: 10, values: high }, age: { size: 1, values: age }, country: { size: 4, values: country } } };
}

/** The same predictions with the clips in another order. */
export function shuffled(p: ClipPredictions, seed: number): ClipPredictions {
  const rng = new Rng(seed);
  const order = p.ids.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const byTask: ClipPredictions['byTask'] = {};
  for (const [t, e] of Object.entries(p.byTask)) {
    byTask[t as keyof typeof byTask] = { size: e!.size, values: order.flatMap((r) => e!.values.slice(r * e!.size, (r + 1) * e!.size)) };
  }
  return { ids: order.map((r) => p.ids[r]!), byTask };
}

/** Write predictions as `vbt predict` does: <run>/predictions/<split>/predictions.csv. */
export function writeRun(runDir: string, split: Split, p: ClipPredictions): string {
  const file = path.join(runDir, 'predictions', split, 'predictions.csv');
  mkdirSync(path.dirname(file), { recursive: true });
  writeRawPredictions(file, p);
  return runDir;
}
