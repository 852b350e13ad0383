import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/metrics/evaluation.js';
import type { MetricsRecord } from '../../src/run/metrics-log.js';
import { buildReportHtml, smoothEma, writeReportHtml } from '../../src/report/report-html.js';
import { Rng } from '../../src/util/rng.js';

const TRAIN_N = 120;
const VAL_N = 6;

/** A small fake run: two stages, 120 train records (one NaN loss), 6 validations of high, type, country. */
function fakeRun(): MetricsRecord[] {
  const rng = new Rng(5);
  const records: MetricsRecord[] = [];
  for (let i = 1; i <= TRAIN_N; i++) {
    const step = i * 5;
    const stage = i <= 40 ? 'heads' : 'finetune';
    records.push({
      kind: 'train',
      step,
      epoch: i / 40,
      stage,
      loss: i === 60 ? Number.NaN : 2 / Math.sqrt(i) + 0.05 * rng.next(),
      taskLosses: { high: 1 / i, type: 2 / i, country: 1.5 / i },
      taskWeights: { high: 1, type: 0.5, country: 0.25 },
      lr: stage === 'heads' ? { heads: 1e-3 } : { heads: 1e-3, backbone: 4e-5 },
      throughput: { samplesPerSec: 100, audioSecondsPerSec: 250 },
    });
    if (i % 20 === 0) {
      const n = 40;
      const targets = Float32Array.from({ length: n * 10 }, () => rng.next());
      records.push({
        kind: 'val',
        step,
        epoch: i / 40,
        stage,
        loss: 1 / i,
        metrics: evaluate({
          high: { predictions: targets.map((t) => t + 0.2 * rng.normal()), targets },
          type: { predictions: Int32Array.from({ length: n }, () => rng.int(8)), targets: Int32Array.from({ length: n }, () => rng.int(8)) },
          country: { predictions: Int32Array.from({ length: n }, () => rng.int(4)), targets: Int32Array.from({ length: n }, (_, k) => k % 4) },
        }),
        monitor: { name: 'val/loss', value: 1 / i, mode: 'min', best: true },
      });
    }
  }
  return records;
}

/** Polylines by series name: list of point counts. */
function polylineCounts(svg: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of svg.matchAll(/<polyline data-series="([^"]*)" points="([^"]*)"/g)) {
    const name = m[1] as string;
    out.set(name, [...(out.get(name) ?? []), (m[2] as string).split(' ').length]);
  }
  return out;
}

function charts(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('smoothEma', () => {
  it('is bias-corrected and passes NaN through', () => {
    // β = 0.5: first value kept; second (0.5·0 + 0.5·... ) = (0.25·2 + 0.5·4)/(0.75)
    const s = smoothEma([2, 4, Number.NaN, 4], 0.5);
    expect(s[0]).toBe(2);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 * 2 + 0.5 * 4) / 0.75, 12);
    expect(s[2]).toBeNaN();
    expect(s[3]).toBeGreaterThan(s[1]!);
  });
});

describe('report.html', () => {
  const records = fakeRun();
  const config = { recipe: 'avb-mtl', data: { corpus: 'synthetic' }, note: '<b>bold</b> & more' };
  const html = buildReportHtml({ runName: '<script>alert("x")</script>', records, config, generatedAt: new Date(0) });

  it('has one <svg per chart, with one point per value', () => {
    const svgs = charts(html);
    // training: loss, task losses, lr heads, lr backbone (scales differ 25×), task weights;
    // validation: high, type, country
    expect(html.match(/<svg/g)).toHaveLength(8);
    expect(svgs).toHaveLength(8);
    const titles = svgs.map((s) => /aria-label="([^"]*)"/.exec(s)?.[1]);
    expect(titles).toEqual([
      'Loss',
      'Task losses (train, smoothed)',
      'Learning rate: heads',
      'Learning rate: backbone',
      'Task weights',
      'high: mean CCC (validation)',
      'type: UAR (validation)',
      'country: UAR (validation)',
    ]);
    const loss = polylineCounts(svgs[0]!);
    // 120 train losses, one NaN: the line breaks there (59 + 60 points)
    expect(loss.get('train')).toEqual([59, 60]);
    expect(loss.get('train (smoothed)')).toEqual([59, 60]);
    expect(loss.get('validation')).toEqual([VAL_N]);
    expect(polylineCounts(svgs[1]!).get('type')).toEqual([TRAIN_N]);
    expect(polylineCounts(svgs[2]!).get('heads')).toEqual([TRAIN_N]);
    // the backbone group exists only in stage 2 (records 41..120)
    expect(polylineCounts(svgs[3]!).get('backbone')).toEqual([80]);
    for (const [i, task] of [
      [5, 'high'],
      [6, 'type'],
      [7, 'country'],
    ] as const) {
      expect(polylineCounts(svgs[i]!).get(task)).toEqual([VAL_N]);
    }
  });

  it('marks the stage change and the best validation', () => {
    expect(charts(html)[0]).toContain('stage finetune');
    expect(charts(html)[0]).toContain('>best<');
  });

  it('compares with the paper values, names their sources, and says the corpus is synthetic', () => {
    expect(html).toContain('Synthetic corpus.');
    expect(html).toContain('not comparable');
    expect(html).toContain('Table I, row “-SM”');
    expect(html).toContain('0.654'); // -SM High CCC
    expect(html).toContain('0.584'); // -SM Type UAR
    expect(html).toContain('0.564'); // baseline High CCC
    expect(html).toContain('Table II');
    expect(html).not.toContain('Table 2,'); // no ExVo table without age
  });

  it('shows the ExVo table for recipe B', () => {
    const exvo = buildReportHtml({ records, config: {}, recipe: 'exvo-burst2vec', syntheticData: false });
    expect(exvo).toContain('Table 2, row “V1”');
    for (const v of ['0.653', '0.672', '3.672', '0.448', '0.349']) expect(exvo).toContain(v);
    expect(exvo).not.toContain('Synthetic corpus.');
    expect(exvo).toContain('measured on the real, licensed corpora');
  });

  it('escapes HTML in names and the config', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt; &amp; more');
  });

  it('is self-contained', () => {
    for (const needle of ['<script', '<link', 'src=', 'href=', 'http://', 'https://', '@import', 'url(']) {
      expect(html).not.toContain(needle);
    }
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('handles a run with no records', () => {
    const empty = buildReportHtml({ records: [], config: {} });
    expect(empty).toContain('No validation has been recorded yet.');
    expect(empty).not.toContain('<svg');
  });

  it('writes the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vbt-report-'));
    try {
      const path = join(dir, 'report.html');
      writeReportHtml(path, { records, config });
      expect(readFileSync(path, 'utf8')).toContain('<svg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
