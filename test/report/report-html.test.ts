import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/metrics/evaluation.js';
import type { MetricsRecord } from '../../src/run/metrics-log.js';
import type { ChartData } from '../../src/report/chart-data.js';
import { CLIENT_SCRIPT, type PageData } from '../../src/report/interactive-charts.js';
import { buildReportHtml, writeReportHtml } from '../../src/report/report-html.js';
import type { RunInfo } from '../../src/report/run-info.js';
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
        // the best validation is the 4th (step 400), not the last
        monitor: { name: 'val/loss', value: i === 80 ? 0.001 : 1 / i, mode: 'min', best: i <= 80 },
      });
    }
  }
  return records;
}

const runInfo: RunInfo = {
  version: 1,
  sessions: [
    {
      started: '2024-05-01T10:00:00.000Z',
      updated: '2024-05-01T10:42:00.000Z',
      wallSeconds: 2520,
      fromStep: 0,
      toStep: 600,
      status: 'completed',
      environment: {
        vbt: '9.8.7',
        node: 'v20.99.0',
        libtorch: '2.5.1',
        cudaBuild: true,
        cudaRuntime: '12.4',
        cudnn: '9.1.0',
        device: 'cuda:0',
        deviceName: 'Some GPU',
        precision: 'bf16',
        cpuThreads: 6,
        blas: 'OpenBLAS (pthread)',
        processes: 1,
        platform: 'linux x64',
        cpu: 'Some CPU',
      },
    },
  ],
};

/** The page's embedded data. */
function pageData(html: string): PageData {
  const m = /<script type="application\/json" id="vbt-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as PageData;
}

function chartByTitle(page: PageData, title: string): ChartData {
  const c = page.charts.find((x) => x.title === title);
  expect(c, title).toBeDefined();
  return c!;
}

const uplotJs = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
const uplotCss = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');

describe('report.html', () => {
  const records = fakeRun();
  const config = { recipe: 'avb-mtl', data: { corpus: 'synthetic' }, note: '<b>bold</b> & more' };
  const html = buildReportHtml({ runName: '<script>alert("x")</script>', records, config, runInfo, generatedAt: new Date(0) });
  const page = pageData(html);

  it('embeds the data of every chart, one value per record', () => {
    // training: loss, task losses, lr heads, lr backbone (scales differ 25×), task weights;
    // validation: high, type, country
    expect(page.charts.map((c) => c.title)).toEqual([
      'Loss',
      'Task losses (train, smoothed)',
      'Learning rate: heads',
      'Learning rate: backbone',
      'Task weights',
      'high: mean CCC (validation)',
      'type: UAR (validation)',
      'country: UAR (validation)',
    ]);
    // a block per chart, found by its id
    const blocks = [...html.matchAll(/<div class="chart" id="chart-([^"]+)" data-chart="([^"]+)">/g)].map((m) => m[2]);
    expect(blocks).toEqual(page.charts.map((c) => c.id));

    const loss = chartByTitle(page, 'Loss');
    expect(loss.x).toHaveLength(TRAIN_N); // validations fall on logged steps
    const [train, smoothed, val] = loss.series;
    expect(train!.name).toBe('train');
    expect(train!.y.filter((v) => typeof v === 'number')).toHaveLength(TRAIN_N - 1);
    expect(train!.y[59]).toBe('NaN'); // the NaN loss stays visible as a gap
    expect(train!.nonFinite).toBe(1);
    expect(smoothed!.y.filter((v) => typeof v === 'number')).toHaveLength(TRAIN_N - 1);
    expect(val!.name).toBe('validation');
    expect(val!.y.filter((v) => v !== null)).toHaveLength(VAL_N);
    expect(loss.yInclude).toEqual([0]);
    // the backbone group exists only in stage 2 (records 41..120)
    expect(chartByTitle(page, 'Learning rate: backbone').series[0]!.y.filter((v) => v !== null)).toHaveLength(80);
    for (const title of ['high: mean CCC (validation)', 'type: UAR (validation)', 'country: UAR (validation)']) {
      expect(chartByTitle(page, title).series[0]!.y.filter((v) => typeof v === 'number')).toHaveLength(VAL_N);
    }
  });

  it('marks the stage change and the best validation (by the monitor, not the last)', () => {
    for (const c of page.charts) {
      expect(c.markers).toContainEqual({ x: 205, label: 'stage finetune', color: expect.any(String) as string });
      expect(c.markers).toContainEqual({ x: 400, label: 'best (step 400)', color: expect.any(String) as string });
    }
  });

  it('inlines uPlot and its stylesheet, and loads nothing from elsewhere', () => {
    expect(html).toContain(uplotJs.trim());
    expect(html).toContain(uplotCss.trim());
    expect(html).toContain(CLIENT_SCRIPT);
    for (const needle of ['<link', ' src=', 'href=', '@import', 'url(', 'XMLHttpRequest', 'fetch(', 'import(', '<iframe', '<img']) {
      expect(html, needle).not.toContain(needle);
    }
    // The one address in the page is uPlot's in its licence comment.
    const urls = [...html.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*/gi)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['https://github.com/leeoniya/uPlot']));
    expect(html).toContain('/*! https://github.com/leeoniya/uPlot');
    // Three scripts: the data, uPlot, the page's own.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('has scripts that parse', () => {
    expect(() => new vm.Script(CLIENT_SCRIPT)).not.toThrow();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    for (const s of scripts) expect(() => new vm.Script(s)).not.toThrow();
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
    expect(html).toContain('From: best validation, step 400.');
  });

  it('shows the ExVo table for recipe B', () => {
    const exvo = buildReportHtml({ records, config: {}, recipe: 'exvo-burst2vec', syntheticData: false });
    expect(exvo).toContain('Table 2, row “V1”');
    for (const v of ['0.653', '0.672', '3.672', '0.448', '0.349']) expect(exvo).toContain(v);
    expect(exvo).not.toContain('Synthetic corpus.');
    expect(exvo).toContain('measured on the real, licensed corpora');
  });

  it('records versions, device, precision, threads, BLAS and wall time', () => {
    const run = /<section id="run">([\s\S]*?)<\/section>/.exec(html)![1]!;
    for (const v of ['9.8.7', '2.5.1 (CUDA 12.4, cuDNN 9.1.0)', 'v20.99.0', 'cuda:0 (Some GPU)', 'bf16', '6, BLAS: OpenBLAS (pthread)', '42.0 min', 'linux x64, Some CPU']) {
      expect(run).toContain(v);
    }
    expect(html).toContain('<strong>Training finished</strong>');
  });

  it('escapes HTML in names, the config and the embedded data', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt; &amp; more');
    // a parameter-group name that tries to end the data element
    const evil = '</script><script>alert(1)</script><!--';
    const tricky = records.map((r) => (r.kind === 'train' ? { ...r, lr: { [evil]: 1e-3 } } : r));
    const page2 = buildReportHtml({ records: tricky, config: {} });
    expect(page2.match(/<script/g)).toHaveLength(3);
    expect(pageData(page2).charts.find((c) => c.title === 'Learning rate')!.series[0]!.name).toBe(evil);
  });

  it('reloads itself while the run goes on, and not once it ended', () => {
    const live = buildReportHtml({ records, config, runInfo, status: 'running', reloadSeconds: 7 });
    expect(pageData(live).live).toEqual({ reloadSeconds: 7 });
    expect(live).toContain('<strong>Training is going on</strong>');
    expect(live).toContain('id="auto-reload"');
    expect(live).toContain('<noscript><meta http-equiv="refresh" content="30"></noscript>');
    expect(live).toContain('From: best validation so far, step 400.');
    expect(page.live).toBeNull();
    expect(html).not.toContain('id="auto-reload"');
    expect(html).not.toContain('http-equiv="refresh"');
    const failed = buildReportHtml({ records, config, status: 'failed', statusReason: 'an error ended training' });
    expect(failed).toContain('Training ended with an error before finishing');
    expect(pageData(failed).live).toBeNull();
  });

  it('handles a run with no records', () => {
    const empty = buildReportHtml({ records: [], config: {}, status: 'running' });
    expect(empty).toContain('No validation has been recorded yet.');
    expect(empty).toContain('no step logged yet');
    expect(empty).not.toContain('class="chart"');
    expect(pageData(empty).charts).toEqual([]);
  });

  it('writes the file atomically, leaving no temporary behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vbt-report-'));
    try {
      const path = join(dir, 'report.html');
      writeFileSync(path, 'old');
      writeReportHtml(path, { records, config });
      expect(readFileSync(path, 'utf8')).toContain('id="vbt-data"');
      expect(readdirSync(dir)).toEqual(['report.html']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The page in a real browser, where one is installed (Debian: apt-get install chromium).
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);

describe.skipIf(chromium === undefined)('report.html in a headless browser', () => {
  it('draws every chart, offline, with the last values in the legends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vbt-report-browser-'));
    try {
      const file = join(dir, 'report.html');
      writeReportHtml(file, { records: fakeRun(), config: {}, runInfo });
      const r = spawnSync(
        chromium!,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${join(dir, 'profile')}`,
          '--virtual-time-budget=3000',
          '--dump-dom',
          `file://${file}`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const dom = r.stdout;
      expect(dom.match(/class="uplot/g)).toHaveLength(8);
      expect(dom).not.toMatch(/>chart error:/);
      // the loss legend at rest: the last value of each series and its step
      expect(dom).toMatch(/<td class="u-value">[0-9.]+ @ 600<\/td>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
