/**
 * The per-sample CCC: each clip's CCC across its outputs (n − 1
 * variances, n covariance), averaged over clips. What recipe A's released
 * scripts print as validation CCC; vbt reports it beside the challenge CCC.
 */
import { describe, expect, it } from 'vitest';
import { emptyStats, evaluate, fromStats, mergeStats, sampleConcordance, taskStatsOf } from '../../src/metrics/index.js';

describe('per-sample CCC', () => {
  it('matches a hand-computed value for one clip', () => {
    // x = [0, 1, 2], y = [0, 2, 4]: means 1 and 2; var_x = 1, var_y = 4 (n − 1); cov = 4/3 (n).
    // CCC = 2·(4/3) / (1 + 4 + 1) = 8/18.
    expect(sampleConcordance([0, 1, 2], [0, 2, 4])).toBeCloseTo(8 / 18, 12);
    expect(sampleConcordance([1, 1], [1, 1])).toBeNull();
    expect(sampleConcordance([1], [1])).toBeNull();
  });

  it('is the mean over clips in the task report, beside the challenge CCC, and merges over shards', () => {
    const high = (rows: number) => Array.from({ length: rows * 10 }, (_, i) => ((i * 7) % 11) / 10);
    const truth = (rows: number) => Array.from({ length: rows * 10 }, (_, i) => ((i * 3) % 13) / 12);
    const p = high(4);
    const t = truth(4);
    const r = evaluate({ high: { predictions: p, targets: t } }).tasks.high;
    expect(r?.metric).toBe('ccc');
    const perClip = [0, 1, 2, 3].map((i) => sampleConcordance(p.slice(i * 10, i * 10 + 10), t.slice(i * 10, i * 10 + 10))!);
    const expected = perClip.reduce((a, b) => a + b, 0) / 4;
    expect(r?.metric === 'ccc' ? r.sampleCcc : null).toBeCloseTo(expected, 12);
    expect(r?.metric === 'ccc' ? r.sampleCcc : null).not.toBeCloseTo(r!.value, 3);
    const merged = fromStats(
      mergeStats(
        { ...emptyStats(), tasks: { high: taskStatsOf('high', { predictions: p.slice(0, 20), targets: t.slice(0, 20) }) } },
        { ...emptyStats(), tasks: { high: taskStatsOf('high', { predictions: p.slice(20), targets: t.slice(20) }) } },
      ),
    ).tasks.high;
    expect(merged?.metric === 'ccc' ? merged.sampleCcc : null).toBeCloseTo(expected, 12);
  });
});
