/**
 * Long clips and padded-audio budgets: evaluation windows cover a clip
 * whole; training crops are random windows of the maximum length, the same
 * for the same seed and epoch; batches never exceed their padded budget; the
 * producer cuts exactly the planned samples.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchPlan } from '../../src/data/batch.js';
import { BatchProducer } from '../../src/data/loader/batch-producer.js';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';
import { clipWindows, lengthSortedBatches } from '../../src/data/sampling/eval-batches.js';
import { bucketedBatches, shuffledBatches } from '../../src/data/sampling/length-bucketing.js';
import { AudioPreprocessor } from '../../src/audio/preprocessor.js';
import { segmentWeightMatrix } from '../../src/run/device-batch.js';
import { readManifestCorpus } from '../../src/data/index.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir, writeClip, writeCsv } from './corpus-fixtures.js';
import type { Clip } from '../../src/data/corpus/corpus.js';

/** Padded samples of a plan: rows × longest row. */
function padded(plan: BatchPlan, lengths: ArrayLike<number>, maxLength = Infinity): number {
  const rows = plan.segments?.map((s) => s.length) ?? plan.clipIndices.map((c) => Math.min(lengths[c]!, maxLength));
  return rows.length * Math.max(...rows);
}

describe('clipWindows', () => {
  it('covers a clip whole with contiguous windows no longer than the maximum, of equal length ±1', () => {
    for (const [length, max] of [
      [25, 10],
      [20, 10],
      [21, 10],
      [9_600_000, 64_000],
      [64_001, 64_000],
      [5, 10],
    ] as const) {
      const w = clipWindows(length, max);
      expect(w.length).toBe(Math.max(1, Math.ceil(length / max)));
      expect(w[0]!.start).toBe(0);
      w.forEach((x, k) => {
        expect(x.length).toBeGreaterThan(0);
        expect(x.length).toBeLessThanOrEqual(max);
        if (k > 0) expect(x.start).toBe(w[k - 1]!.start + w[k - 1]!.length);
      });
      expect(w.at(-1)!.start + w.at(-1)!.length).toBe(length);
      const sizes = w.map((x) => x.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('evaluation batches with long clips', () => {
  // 40 short clips (1–2 s), one 60 s and one 600 s clip, at 16 kHz.
  const rate = 16000;
  const lengths = [...Array.from({ length: 40 }, (_, i) => rate + i * 400), 60 * rate, 600 * rate];
  const indices = lengths.map((_, i) => i);
  const maxLength = 4 * rate;
  const maxBatchLength = 48 * rate;
  const plans = lengthSortedBatches(indices, lengths, 16, { maxLength, maxBatchLength });

  it('holds every clip once, each covered whole by its rows', () => {
    expect(plans.flatMap((p) => p.clipIndices).sort((a, b) => a - b)).toEqual(indices);
    for (const plan of plans) {
      plan.clipIndices.forEach((clip, k) => {
        const rows = plan.segments ? plan.segments.filter((s) => s.clip === k) : [{ start: 0, length: lengths[clip]! }];
        expect(rows.reduce((n, s) => n + s.length, 0)).toBe(lengths[clip]);
        for (const s of rows) expect(s.length).toBeLessThanOrEqual(maxLength);
      });
    }
  });

  it('keeps rows and padded audio within bounds, a clip too long for one pass getting rows per pass', () => {
    for (const plan of plans) {
      const rows = plan.segments?.length ?? plan.clipIndices.length;
      if (plan.clipIndices.length > 1) {
        expect(rows).toBeLessThanOrEqual(16);
        expect(padded(plan, lengths)).toBeLessThanOrEqual(maxBatchLength);
      }
      const longestRow = Math.max(...(plan.segments?.map((s) => s.length) ?? plan.clipIndices.map((c) => lengths[c]!)));
      const perPass = plan.rowsPerPass ?? rows;
      expect(perPass * longestRow).toBeLessThanOrEqual(maxBatchLength);
    }
    const huge = plans.find((p) => p.clipIndices.includes(41))!;
    expect(huge.clipIndices).toEqual([41]);
    expect(huge.segments).toHaveLength(150);
    expect(huge.rowsPerPass).toBe(12);
  });

  it('changes nothing for short clips', () => {
    const short = indices.slice(0, 40);
    expect(lengthSortedBatches(short, lengths, 16, { maxLength, maxBatchLength })).toEqual(lengthSortedBatches(short, lengths, 16));
  });
});

describe('training plans with long clips', () => {
  const clips = Array.from({ length: 42 }, (_, i) => ({ id: `c${i}`, labels: {} }) as unknown as Clip);
  const rate = 16000;
  const lengths = [...Array.from({ length: 40 }, (_, i) => rate + i * 400), 60 * rate, 600 * rate];
  const indices = lengths.map((_, i) => i);
  const maxLength = 4 * rate;
  const maxBatchLength = 48 * rate;
  const plan = (epoch: number) => planEpoch({ clips, indices, batchSize: 16, seed: 3, epoch, lengths, maxLength, maxBatchLength });

  it('reads a long clip as one window of the maximum length at a random offset, the same for the same epoch', () => {
    const a = plan(0);
    expect(plan(0)).toEqual(a);
    const offsets = (p: BatchPlan[]) =>
      p.flatMap((b) => (b.segments ?? []).filter((s) => lengths[b.clipIndices[s.clip]!]! > maxLength).map((s) => [b.clipIndices[s.clip], s.start]));
    const o0 = offsets(a);
    expect(o0).toHaveLength(2);
    for (const b of a) {
      for (const s of b.segments ?? []) {
        const n = lengths[b.clipIndices[s.clip]!]!;
        expect(s.length).toBe(Math.min(n, maxLength));
        expect(s.start).toBeGreaterThanOrEqual(0);
        expect(s.start + s.length).toBeLessThanOrEqual(n);
      }
    }
    expect(offsets(plan(1))).not.toEqual(o0);
  });

  it('covers every clip once per epoch and keeps each batch within its padded budget', () => {
    const p = plan(2);
    expect(p.flatMap((b) => b.clipIndices).sort((x, y) => x - y)).toEqual(indices);
    for (const b of p) {
      expect(b.clipIndices.length).toBeLessThanOrEqual(16);
      expect(padded(b, lengths, maxLength)).toBeLessThanOrEqual(maxBatchLength);
    }
    // A batch holding a cropped 4 s clip has at most 12 clips; short batches keep 16.
    expect(Math.max(...p.map((b) => b.clipIndices.length))).toBe(16);
  });

  it('leaves plans of short clips exactly as before', () => {
    const short = indices.slice(0, 40);
    const without = planEpoch({ clips, indices: short, batchSize: 16, seed: 3, epoch: 0, lengths });
    expect(planEpoch({ clips, indices: short, batchSize: 16, seed: 3, epoch: 0, lengths, maxLength, maxBatchLength })).toEqual(without);
  });

  it('bounds shuffled (unbucketed) batches too', () => {
    const rowLengths = lengths.map((n) => Math.min(n, maxLength));
    for (const b of shuffledBatches(indices, { batchSize: 16, rng: new Rng(1), maxBatchLength }, rowLengths)) {
      expect(b.length * Math.max(...b.map((i) => rowLengths[i]!))).toBeLessThanOrEqual(maxBatchLength);
    }
    for (const b of bucketedBatches(indices, rowLengths, { batchSize: 16, rng: new Rng(1), maxBatchLength })) {
      expect(b.length * Math.max(...b.map((i) => rowLengths[i]!))).toBeLessThanOrEqual(maxBatchLength);
    }
  });
});

describe('batches of segments', () => {
  it('cut exactly the planned samples from each clip, with the clip of each row', () => {
    const dir = tempDir('segments');
    writeClip(path.join(dir, 'a.wav'), 50_000, 16000, 1, 1);
    writeClip(path.join(dir, 'b.wav'), 8_000, 16000, 1, 2);
    writeCsv(path.join(dir, 'list.csv'), ['path', 'split', 'age'], [
      ['a.wav', 'Train', 30],
      ['b.wav', 'Train', 25],
    ]);
    const corpus = readManifestCorpus(path.join(dir, 'list.csv'));
    const producer = new BatchProducer(corpus.clips, { preprocess: { normalize: false }, collate: { tasks: ['age'] } });
    const whole = new AudioPreprocessor({ normalize: false });
    const a = whole.loadFile(corpus.clips[0]!.audioPath);
    const b = whole.loadFile(corpus.clips[1]!.audioPath);
    const segments = [
      { clip: 0, start: 0, length: 20_000 },
      { clip: 1, start: 0, length: 8_000 },
      { clip: 0, start: 20_000, length: 30_000 },
    ];
    const batch = producer.produce({ clipIndices: [0, 1], segments, rowsPerPass: 2 });
    expect(batch.batchSize).toBe(2);
    expect(batch.rows).toBe(3);
    expect(batch.length).toBe(30_000);
    expect(Array.from(batch.lengths)).toEqual([20_000, 8_000, 30_000]);
    expect(Array.from(batch.segmentClip!)).toEqual([0, 1, 0]);
    expect(batch.rowsPerPass).toBe(2);
    expect(batch.waveforms.subarray(0, 20_000)).toEqual(a.subarray(0, 20_000));
    expect(batch.waveforms.subarray(30_000, 38_000)).toEqual(b);
    expect(batch.waveforms.subarray(60_000, 90_000)).toEqual(a.subarray(20_000, 50_000));
    expect(batch.labels.age!.values.length).toBe(2);
    // Each clip's row weights are its rows' shares of its length.
    const w = segmentWeightMatrix(batch.segmentClip!, batch.lengths, 2);
    expect(Array.from(w)).toEqual([0.4, 0, 0.6, 0, 1, 0].map(Math.fround));
  });

  it('cuts clips planned without segments to the maximum length', () => {
    const dir = tempDir('crop');
    writeClip(path.join(dir, 'a.wav'), 50_000);
    writeCsv(path.join(dir, 'list.csv'), ['path', 'split', 'age'], [['a.wav', 'Train', 30]]);
    const corpus = readManifestCorpus(path.join(dir, 'list.csv'));
    const producer = new BatchProducer(corpus.clips, { preprocess: {}, collate: { tasks: ['age'] }, maxLength: 16_000 });
    expect(producer.produce({ clipIndices: [0] }).length).toBe(16_000);
  });
});
