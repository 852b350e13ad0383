/**
 * The report and the comparison page from real (tiny) training runs:
 * report.html is written when training starts and rewritten at each
 * validation, with run-info.json beside it; an error or a resume leaves
 * the right record; `vbt compare` writes one page from two runs and names a
 * damaged file and field.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import type { PageData } from '../../src/report/interactive-charts.js';
import { type RunInfo, RunInfoSchema } from '../../src/report/run-info.js';
import { RecordingProgress } from '../../src/report/progress.js';
import { buildInfo, getNumThreads } from '../../src/torch/index.js';
import type { TrainerCallbacks } from '../../src/train/callbacks.js';
import { Trainer } from '../../src/train/trainer.js';
import { runCli } from '../fixtures/cli.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-report-runs-'));
const runs = path.join(root, 'runs');
let backbone: string;

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
}, 300_000);

const EPOCHS = 4;

function config(name: string, train: Partial<RunConfigInput['train']> = {}): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 96, seed: 4, dir: path.join(root, 'corpus') }, batchSize: 16, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbone },
    model: { kind: 'avb-mtl', tasks: ['high', 'type'], headHidden: 16 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      stages: [{ name: 'heads', freeze: 'all', lr: 3e-3, epochs: EPOCHS, patience: 10, cacheFeatures: true }],
      monitor: { name: 'score', mode: 'max' },
      logEvery: 2,
      ...train,
    },
    output: { dir: runs, name },
  };
}

function pageData(html: string): PageData {
  const m = /<script type="application\/json" id="vbt-data">([\s\S]*?)<\/script>/.exec(html);
  if (m === null) throw new Error('no embedded data');
  return JSON.parse(m[1]!) as PageData;
}

function readInfo(dir: string): RunInfo {
  return RunInfoSchema.parse(JSON.parse(readFileSync(path.join(dir, 'run-info.json'), 'utf8')));
}

/** Validations shown in a report: the points of its first validation chart. */
function validationsIn(html: string): number {
  const chart = pageData(html).charts.find((c) => c.title.startsWith('high:'));
  return chart === undefined ? 0 : chart.series[0]!.y.filter((v) => v !== null).length;
}

async function train(name: string, overrides: Partial<RunConfigInput['train']>, callbacks: TrainerCallbacks[] = [], progress = new RecordingProgress()): Promise<string> {
  const trainer = await Trainer.create({ config: config(name, overrides), callbacks, progress });
  try {
    await trainer.fit();
  } finally {
    await trainer.close();
  }
  return path.join(runs, name);
}

describe('report.html during training', () => {
  const seen: { event: string; validations: number; live: boolean; status: string }[] = [];
  const progress = new RecordingProgress();
  let dirA = '';

  beforeAll(async () => {
    const report = path.join(runs, 'a', 'report.html');
    const look = (event: string) => () => {
      const html = readFileSync(report, 'utf8');
      seen.push({ event, validations: validationsIn(html), live: pageData(html).live !== null, status: readInfo(path.join(runs, 'a')).sessions[0]!.status });
    };
    // The run's own report callback comes first, so these see the page it has just written.
    dirA = await train('a', {}, [{ onTrainStart: look('start'), onValidation: look('validation'), onTrainEnd: look('end') }], progress);
  }, 300_000);

  it('prints the path when training starts, with the page already there', () => {
    const logs = progress.calls.filter((c) => c.method === 'log').map((c) => (c as { line: string }).line);
    expect(logs).toContain(`report: ${path.join(dirA, 'report.html')} (rewritten at each validation; open it to follow the run)`);
    expect(seen[0]).toEqual({ event: 'start', validations: 0, live: true, status: 'running' });
  });

  it('is rewritten at each validation, reloading itself until training ends', () => {
    expect(seen.map((s) => s.event)).toEqual(['start', ...Array<string>(EPOCHS).fill('validation'), 'end']);
    seen.slice(1, -1).forEach((s, i) => expect(s).toEqual({ event: 'validation', validations: i + 1, live: true, status: 'running' }));
    expect(seen.at(-1)).toEqual({ event: 'end', validations: EPOCHS, live: false, status: 'completed' });
  });

  it('ends with the final metrics, the versions, the device and the wall time', () => {
    const html = readFileSync(path.join(dirA, 'report.html'), 'utf8');
    expect(html).toContain('From: best checkpoint on the validation split.');
    expect(html).toContain('<strong>Training finished</strong>');
    expect(readdirSync(dirA).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const info = readInfo(dirA);
    expect(info.sessions).toHaveLength(1);
    const [s] = info.sessions;
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(s!.environment).toMatchObject({
      vbt: pkg.version,
      node: process.version,
      libtorch: buildInfo().torchVersion,
      device: 'cpu',
      precision: 'fp32',
      cpuThreads: getNumThreads(),
      processes: 1,
    });
    expect(s!.wallSeconds).toBeGreaterThan(0);
    expect(s!.fromStep).toBe(0);
    expect(s!.toStep).toBeGreaterThan(0);
    const run = /<section id="run">([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect(run).toContain(buildInfo().torchVersion);
    expect(run).toContain(process.version);
  });

  it('says so when an error ends training, and a resume adds a session', async () => {
    let validations = 0;
    const failing: TrainerCallbacks = {
      onValidation: () => {
        validations += 1;
        if (validations === 2) throw new Error('a failure in a callback');
      },
    };
    await expect(train('c', {}, [failing])).rejects.toThrow('a failure in a callback');
    const dirC = path.join(runs, 'c');
    const html = readFileSync(path.join(dirC, 'report.html'), 'utf8');
    expect(html).toContain('Training ended with an error before finishing');
    expect(pageData(html).live).toBeNull();
    expect(readInfo(dirC).sessions.map((s) => s.status)).toEqual(['failed']);

    const trainer = await Trainer.create({ resume: dirC, progress: new RecordingProgress() });
    try {
      await trainer.fit();
    } finally {
      await trainer.close();
    }
    const info = readInfo(dirC);
    expect(info.sessions.map((s) => s.status)).toEqual(['failed', 'completed']);
    expect(info.sessions[1]!.fromStep).toBeGreaterThan(0);
    const resumed = readFileSync(path.join(dirC, 'report.html'), 'utf8');
    expect(resumed).toContain('over 2 sessions');
    // The validation logged again after the resume counts once.
    expect(validationsIn(resumed)).toBe(EPOCHS);
    expect(resumed).toContain(`· ${EPOCHS} validations`);
  }, 300_000);
});

describe('vbt compare', () => {
  let dirA = '';
  let dirB = '';

  beforeAll(async () => {
    dirA = path.join(runs, 'a');
    if (!existsSync(path.join(dirA, 'final-metrics.json'))) dirA = await train('a2', {});
    // Another learning rate, and another monitor: the page sorts by the first run's.
    dirB = await train('b', { stages: [{ name: 'heads', freeze: 'all', lr: 3e-4, epochs: EPOCHS, patience: 10, cacheFeatures: true }], monitor: { name: 'val/loss', mode: 'min' } });
  }, 300_000);

  it('writes one page overlaying the runs, sorted by the first run’s monitor', () => {
    const out = path.join(root, 'cmp', 'comparison.html');
    const r = runCli(['compare', dirA, dirB, '--out', out], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 runs by score (higher is better), the first run’s monitor; the runs monitor different values:');
    expect(r.stdout).toContain(`comparison: ${out}`);
    const html = readFileSync(out, 'utf8');
    const page = pageData(html);
    const names = [path.basename(dirA), 'b'];
    expect(page.charts.map((c) => c.title)).toEqual([
      'score (higher is better; the table’s order)',
      'Validation loss',
      'high: mean CCC (validation)',
      'type: UAR (validation)',
      'Training loss (smoothed)',
    ]);
    for (const c of page.charts) {
      expect(c.series.map((s) => s.name)).toEqual(names);
      expect(new Set(c.series.map((s) => s.color)).size).toBe(2);
      if (c.title !== 'Training loss (smoothed)') for (const s of c.series) expect(s.y.filter((v) => typeof v === 'number')).toHaveLength(EPOCHS);
    }
    expect(html).toContain('they are sorted by the first run’s, <strong>score</strong>');
    // the table lists both, best first by score
    const scores = [...html.matchAll(/<tr><td class="num">(\d)<\/td><td><span class="swatch"[^>]*><\/span> <strong>([^<]+)<\/strong>[\s\S]*?<td class="num">([0-9.]+)<\/td>/g)].map((m) => [m[2], Number(m[3])] as const);
    expect(scores.map((s) => s[0]).sort()).toEqual([...names].sort());
    expect(scores[0]![1]).toBeGreaterThanOrEqual(scores[1]![1]);
    // what differs between the configs, and the versions of each run
    expect(html).toMatch(/<th>train\.monitor\.name<\/th><td>&quot;score&quot;<\/td><td>&quot;val\/loss&quot;<\/td>/);
    expect(html).toContain('train.stages.0.lr');
    expect(html).toContain(buildInfo().torchVersion);
    expect(html.match(/<script/g)).toHaveLength(3);
  });

  it('names the damaged file, line and field', () => {
    const bad = path.join(root, 'damaged');
    cpSync(dirB, bad, { recursive: true });
    const finalFile = path.join(bad, 'final-metrics.json');
    const final = JSON.parse(readFileSync(finalFile, 'utf8')) as { metrics: { tasks: { high: { value: unknown } } } };
    final.metrics.tasks.high.value = 'high';
    writeFileSync(finalFile, JSON.stringify(final));
    let r = runCli(['compare', dirA, bad, '--out', path.join(root, 'x.html')], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^vbt: invalid file \\(${finalFile}\\): metrics\\.tasks\\.high\\.value: `));

    cpSync(path.join(dirB, 'final-metrics.json'), finalFile);
    const log = path.join(bad, 'metrics.jsonl');
    const lines = readFileSync(log, 'utf8').split('\n');
    const v = lines.findIndex((l) => l.includes('"kind":"val"'));
    lines[v] = lines[v]!.replace('"monitor":{"name":"val/loss"', '"monitor":{"name":7');
    writeFileSync(log, lines.join('\n'));
    r = runCli(['compare', bad, '--out', path.join(root, 'x.html')], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^vbt: invalid file \\(${log}\\) line ${v + 1}: monitor\\.name: `));

    r = runCli(['compare', root, '--out', path.join(root, 'x.html')], { cwd: root });
    expect(r.stderr).toContain('is not a vbt run folder (no config.json)');
    expect(existsSync(path.join(root, 'x.html'))).toBe(false);
  });
});
