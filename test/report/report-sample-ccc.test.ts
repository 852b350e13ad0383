/**
 * The report shows each CCC task's per-sample CCC (what recipe A's released
 * scripts print) next to its challenge CCC, with a note that they differ.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, sampleConcordance } from '../../src/metrics/index.js';
import { buildReportHtml } from '../../src/report/report-html.js';

describe('report: per-sample CCC', () => {
  it('is a column of the final-metrics table beside the challenge CCC', () => {
    const p = Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) / 10);
    const t = Array.from({ length: 30 }, (_, i) => ((i * 3) % 13) / 12);
    const final = evaluate({ high: { predictions: p, targets: t }, country: { predictions: [0, 1, 2], targets: [0, 1, 1] } });
    const expected = [0, 1, 2].map((i) => sampleConcordance(p.slice(i * 10, i * 10 + 10), t.slice(i * 10, i * 10 + 10))!).reduce((a, b) => a + b, 0) / 3;
    const html = buildReportHtml({ records: [], config: {}, final, syntheticData: false });
    expect(html).toContain('<th title="mean over clips of the CCC across each clip’s outputs (n − 1 variances)">Per-sample CCC</th>');
    const row = /<tr><td>high<\/td><td>[^<]*<\/td><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td>/.exec(html);
    expect(row).not.toBeNull();
    expect(Number(row![1])).toBeCloseTo(final.tasks.high!.value, 3);
    expect(Number(row![2])).toBeCloseTo(expected, 3);
    expect(html).toContain('released training scripts print');
    // A report without CCC tasks has no such column.
    const none = buildReportHtml({ records: [], config: {}, final: evaluate({ country: { predictions: [0, 1], targets: [0, 1] } }), syntheticData: false });
    expect(none).not.toContain('Per-sample CCC');
  });
});
