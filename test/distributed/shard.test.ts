/**
 * Sharding of epoch plans and merging of validation shards: pure functions,
 * checked against the single-process view they must reproduce.
 */
import { describe, expect, it } from 'vitest';
import type { BatchPlan } from '../../src/data/batch.js';
import { batchesPerRank, combineShards, shardEpoch, shardForEvaluation } from '../../src/distributed/index.js';
import type { ShardEvaluation } from '../../src/distributed/index.js';
import { MetricsAccumulator, mergeStats } from '../../src/metrics/index.js';
import { Rng } from '../../src/util/rng.js';

const plans = (n: number): BatchPlan[] => Array.from({ length: n }, (_, i) => ({ clipIndices: [2 * i, 2 * i + 1] }));
const ids = (ps: readonly BatchPlan[]) => ps.map((p) => p.clipIndices[0]! / 2);

describe('shardEpoch', () => {
  it('deals the plan out round-robin: disjoint, equal counts, one step of W ranks = W consecutive batches', () => {
    const all = plans(11);
    const shards = [0, 1, 2].map((r) => shardEpoch(all, 0, r, 3));
    expect(shards.map((s) => ids(s.plans))).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5, 8],
    ]);
    for (const s of shards) expect(s).toMatchObject({ start: 0, stride: 3, end: 9 });
    // Batches 9 and 10 (11 mod 3) are left out of this epoch on every rank.
    const seen = shards.flatMap((s) => ids(s.plans)).sort((a, b) => a - b);
    expect(new Set(seen).size).toBe(seen.length);
    expect(batchesPerRank(11, 3)).toBe(3);
  });

  it('is the rest of the plan with one process (single-process behaviour unchanged)', () => {
    const all = plans(7);
    const s = shardEpoch(all, 3);
    expect(ids(s.plans)).toEqual([3, 4, 5, 6]);
    expect(s).toMatchObject({ start: 3, stride: 1, end: 7 });
    expect(batchesPerRank(7)).toBe(7);
  });

  it('resumes a position written by one world size with another: nothing repeated, nothing skipped', () => {
    const all = plans(20);
    // Two ranks took 3 steps: the first 6 batches of the plan are consumed (batchInEpoch = 6).
    const before = [0, 1].flatMap((r) => ids(shardEpoch(all, 0, r, 2).plans.slice(0, 3)));
    expect(before.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    // One process goes on from batch 6 to the end.
    expect(ids(shardEpoch(all, 6).plans)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    // Three processes go on from batch 6: 14 left, 4 each, batches 18 and 19 left out.
    const three = [0, 1, 2].map((r) => shardEpoch(all, 6, r, 3));
    expect(three.map((s) => ids(s.plans))).toEqual([
      [6, 9, 12, 15],
      [7, 10, 13, 16],
      [8, 11, 14, 17],
    ]);
    expect(three[0]!.end).toBe(18);
    // At the very end nothing is left for anyone.
    expect(shardEpoch(all, 19, 1, 2)).toMatchObject({ plans: [], end: 19 });
  });

  it('refuses impossible ranks and positions', () => {
    expect(() => shardEpoch(plans(3), 0, 2, 2)).toThrow(/rank 2 is outside 0\.\.1/);
    expect(() => shardEpoch(plans(3), -1)).toThrow(/start/);
    expect(() => shardEpoch(plans(3), 0, 0, 0)).toThrow(/worldSize/);
  });
});

describe('validation over shards', () => {
  it('every validation batch goes to exactly one rank', () => {
    const all = plans(10);
    const parts = [0, 1, 2].map((r) => ids(shardForEvaluation(all, r, 3)));
    expect(parts).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('merged shard statistics give the single-pass CCC, UAR and loss (not the mean of per-rank values)', () => {
    const rng = new Rng(7);
    const n = 60;
    const pred = Array.from({ length: n * 2 }, () => rng.next());
    // Ranks see differently distributed halves: per-rank CCCs differ from the pooled one.
    const target = pred.map((p, i) => (i < n ? 0.5 * p : p + 0.3) + 0.1 * rng.next());
    const cls = Array.from({ length: n }, () => Math.floor(rng.next() * 3));
    const guess = cls.map((c, i) => (i % 4 === 0 ? (c + 1) % 3 : c));
    const whole = new MetricsAccumulator();
    whole.add('two', { predictions: pred, targets: target });
    whole.add('type', { predictions: guess, targets: cls });
    const batchLosses = [0.5, 0.7, 0.2, 0.9, 0.4];
    const singleLoss = batchLosses.reduce((a, b) => a + b) / batchLosses.length;

    const shard = (rows: [number, number], batches: number[]): ShardEvaluation => {
      const acc = new MetricsAccumulator();
      acc.add('two', { predictions: pred.slice(2 * rows[0], 2 * rows[1]), targets: target.slice(2 * rows[0], 2 * rows[1]) });
      acc.add('type', { predictions: guess.slice(rows[0], rows[1]), targets: cls.slice(rows[0], rows[1]) });
      return {
        stats: acc.stats(),
        lossSum: batches.reduce((a, b) => a + b, 0),
        lossBatches: batches.length,
        taskLossSums: { two: batches.reduce((a, b) => a + b, 0) },
        taskLossCounts: { two: batches.length },
      };
    };
    const shards = [shard([0, 25], [0.5, 0.2, 0.4]), shard([25, 60], [0.7, 0.9])];
    const combined = combineShards(shards, 'population');
    const single = whole.report({ cccVariant: 'population' });
    expect(combined.report.tasks.two!.value).toBeCloseTo(single.tasks.two!.value, 12);
    expect(combined.report.tasks.type!.value).toBeCloseTo(single.tasks.type!.value, 12);
    expect(combined.loss).toBeCloseTo(singleLoss, 12);
    expect(combined.taskLosses.two).toBeCloseTo(singleLoss, 12);
    // The naive average of per-rank CCCs is measurably different: the merge is what makes the two agree.
    const perRank = shards.map((s) => combineShards([s], 'population').report.tasks.two!.value);
    expect(Math.abs((perRank[0]! + perRank[1]!) / 2 - single.tasks.two!.value)).toBeGreaterThan(0.01);
    expect(mergeStats(...shards.map((s) => s.stats)).tasks.two).toBeDefined();
  });
});
