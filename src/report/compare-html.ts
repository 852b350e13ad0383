/**
 * The page of `vbt compare`: several runs on one page, one colour per run.
 * A table of the runs sorted by the monitored score (best first) with their
 * final metrics, versions and wall time; the validation curves of every run
 * overlaid (loss, the sort score, each task's metric, S_MTL) and the
 * smoothed training loss; and the config fields in which the runs differ.
 * Self-contained and offline like report.html (interactive-charts.ts).
 */
import { TASKS, TASK_SPECS, type Task } from '../tasks.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { type ChartData, type ChartMarker, type ChartSeries, type ChartSpec, chartData, chartIds, emaBeta, smoothEma } from './chart-data.js';
import type { ComparedMetrics, ComparedValRecord, LoadedRun } from './compare-runs.js';
import { escapeHtml, fmt, formatDuration, paletteColor } from './html.js';
import { CHART_HINT, chartGrid, chartScripts, chartStyles } from './interactive-charts.js';
import { PAGE_STYLE } from './report-html.js';
import { describeDevice, describeLibtorch, runTotals } from './run-info.js';

/** What a monitor is and which way is better. */
export interface MonitorSpec {
  name: string;
  mode: 'min' | 'max';
}

/** One run on the page. */
export interface ComparedRun {
  run: LoadedRun;
  /** Short unique name on the page (the folder name, or more of its path when two share it). */
  label: string;
  /** The sort monitor's value at the run's best validation; NaN when there is none. */
  score: number;
  /** That validation (the one that chose the run's best checkpoint). */
  best: ComparedValRecord | undefined;
  /** The sort monitor's value at each validation, aligned with `run.val`. */
  scoreCurve: number[];
}

export interface ComparisonInput {
  runs: readonly ComparedRun[];
  /** What the table is sorted by: the first run's monitor. */
  sortBy: MonitorSpec;
  /** Page title; default "vbt run comparison". */
  title?: string;
  /** Time stamp shown in the header; default now. */
  generatedAt?: Date;
}

/** Runs best first by `sortBy` (runs without a score last); ties keep the order given. */
export function sortRuns<R extends { score: number }>(runs: readonly R[], sortBy: MonitorSpec): R[] {
  const key = (r: R): number => (Number.isFinite(r.score) ? (sortBy.mode === 'min' ? r.score : -r.score) : Infinity);
  return runs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => key(a.r) - key(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

function metricLabel(task: Task): string {
  const m = TASK_SPECS[task].metric;
  return m === 'ccc' ? (TASK_SPECS[task].size > 1 ? 'mean CCC' : 'CCC') : m === 'uar' ? 'UAR' : 'MAE';
}

/** The run's final metrics: final-metrics.json, else its best validation. */
function finalOf(r: ComparedRun): { metrics: ComparedMetrics | undefined; from: string } {
  if (r.run.final !== null) return { metrics: r.run.final.metrics, from: `final evaluation of the ${r.run.final.checkpoint} checkpoint` };
  if (r.best !== undefined) return { metrics: r.best.metrics, from: `best validation (step ${r.best.step}); no final-metrics.json` };
  return { metrics: undefined, from: 'no validation' };
}

function statusOf(r: ComparedRun): string {
  const last = r.run.runInfo?.sessions[r.run.runInfo.sessions.length - 1];
  if (last !== undefined) return last.status === 'running' ? 'running (or killed)' : last.status;
  return r.run.final !== null ? 'finished' : 'unfinished';
}

function swatch(color: string): string {
  return `<span class="swatch" style="background:${escapeHtml(color)}"></span>`;
}

/** Leaves of a JSON value as dotted paths (arrays by index). */
function leaves(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
    value.forEach((v, i) => leaves(v, prefix === '' ? String(i) : `${prefix}.${i}`, out));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix, JSON.stringify(value) ?? 'undefined');
  }
}

/** Config fields whose values differ between the runs (output.name left out), path → value per run. */
export function configDifferences(configs: readonly unknown[]): [string, (string | undefined)[]][] {
  const flat = configs.map((c) => {
    const m = new Map<string, string>();
    leaves(c, '', m);
    return m;
  });
  const paths = [...new Set(flat.flatMap((m) => [...m.keys()]))].sort();
  return paths
    .filter((p) => p !== 'output.name' && new Set(flat.map((m) => m.get(p))).size > 1)
    .map((p) => [p, flat.map((m) => m.get(p))]);
}

function runsTable(sorted: readonly ComparedRun[], colors: Map<ComparedRun, string>, sortBy: MonitorSpec): string {
  const finals = sorted.map(finalOf);
  const tasks = TASKS.filter((t) => finals.some((f) => f.metrics?.tasks[t] !== undefined));
  const smtl = finals.some((f) => f.metrics?.exvo.smtl !== null && f.metrics?.exvo.smtl !== undefined);
  const better = sortBy.mode === 'min' ? 'lower is better' : 'higher is better';
  const head =
    `<tr><th>#</th><th>Run</th><th title="${better}">${escapeHtml(sortBy.name)} ${sortBy.mode === 'min' ? '↓' : '↑'}</th><th>Best step</th>` +
    tasks.map((t) => `<th>${t}<br>${metricLabel(t)}</th>`).join('') +
    `${smtl ? '<th>S_MTL</th>' : ''}<th>Steps</th><th>Status</th><th>Wall time</th></tr>`;
  const rows = sorted
    .map((r, i) => {
      const f = finals[i]!;
      const info = r.run.runInfo;
      const steps = info !== null ? runTotals(info).steps : Math.max(0, ...r.run.train.map((t) => t.step), ...r.run.val.map((v) => v.step));
      return (
        `<tr><td class="num">${i + 1}</td><td>${swatch(colors.get(r)!)} <strong>${escapeHtml(r.label)}</strong><div class="src">${escapeHtml(r.run.dir)}</div></td>` +
        `<td class="num">${Number.isFinite(r.score) ? r.score.toFixed(4) : '–'}</td><td class="num">${r.best?.step ?? '–'}</td>` +
        tasks.map((t) => `<td class="num">${fmt(f.metrics?.tasks[t]?.value)}</td>`).join('') +
        `${smtl ? `<td class="num">${fmt(f.metrics?.exvo.smtl)}</td>` : ''}<td class="num">${steps}</td>` +
        `<td>${escapeHtml(statusOf(r))}<div class="src">metrics: ${escapeHtml(f.from)}</div></td>` +
        `<td class="num">${info !== null ? escapeHtml(formatDuration(runTotals(info).wallSeconds)) : '–'}</td></tr>`
      );
    })
    .join('');
  return `<div class="scroll"><table class="runs"><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

/** Versions and hardware of each run (its last session), from run-info.json. */
function environmentTable(runs: readonly ComparedRun[], colors: Map<ComparedRun, string>): string {
  const rows = runs
    .map((r) => {
      const info = r.run.runInfo;
      const env = info?.sessions[info.sessions.length - 1]?.environment;
      const cells =
        env === undefined
          ? '<td colspan="6" class="note">no run-info.json (a run written before vbt recorded it)</td>'
          : [env.vbt, describeLibtorch(env), env.node, describeDevice(env), env.precision, `${env.cpuThreads}, ${env.blas}`].map((v) => `<td>${escapeHtml(v)}</td>`).join('');
      return `<tr><td>${swatch(colors.get(r)!)} ${escapeHtml(r.label)}</td>${cells}</tr>`;
    })
    .join('');
  return `<div class="scroll"><table class="env"><thead><tr><th>Run</th><th>vbt</th><th>LibTorch</th><th>Node.js</th><th>Device</th><th>Precision</th><th>CPU threads, BLAS</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const BEST_NOTE = 'Dashed lines: the best validation of each run, in its colour.';

function comparisonCharts(runs: readonly ComparedRun[], colors: Map<ComparedRun, string>, sortBy: MonitorSpec): ChartSpec[] {
  const out: ChartSpec[] = [];
  const perRun = (get: (r: ComparedRun) => { x: number[]; y: number[] }, extra: Partial<ChartSeries> = {}): ChartSeries[] =>
    runs.map((r) => ({ name: r.label, ...get(r), color: colors.get(r)!, width: 2, ...extra })).filter((s) => s.x.length > 0);
  const valPoints = (r: ComparedRun, value: (v: ComparedValRecord, i: number) => number | null | undefined): { x: number[]; y: number[] } => {
    const x: number[] = [];
    const y: number[] = [];
    r.run.val.forEach((v, i) => {
      const value_ = value(v, i);
      if (value_ === null || value_ === undefined) return;
      x.push(v.step);
      y.push(value_);
    });
    return { x, y };
  };
  const add = (title: string, yLabel: string, series: ChartSeries[], extra: Partial<ChartSpec> = {}): void => {
    if (series.length > 0) out.push({ title, xLabel: 'step', yLabel, series, ...extra });
  };

  const bestMarkers: ChartMarker[] = runs.filter((r) => r.best !== undefined).map((r) => ({ x: r.best!.step, label: 'best', color: colors.get(r)! }));
  if (sortBy.name !== 'val/loss') {
    add(`${sortBy.name} (${sortBy.mode === 'min' ? 'lower' : 'higher'} is better; the table’s order)`, sortBy.name, perRun((r) => valPoints(r, (_v, i) => r.scoreCurve[i])), {
      markers: bestMarkers,
      note: BEST_NOTE,
    });
  }
  add('Validation loss', 'loss', perRun((r) => valPoints(r, (v) => v.loss)), {
    yClip: 'robust',
    yInclude: [0],
    ...(sortBy.name === 'val/loss' ? { markers: bestMarkers, note: BEST_NOTE } : {}),
  });
  for (const t of TASKS.filter((t) => runs.some((r) => r.run.val.some((v) => v.metrics.tasks[t] !== undefined)))) {
    add(`${t}: ${metricLabel(t)} (validation)`, metricLabel(t), perRun((r) => valPoints(r, (v) => v.metrics.tasks[t]?.value)));
  }
  if (runs.some((r) => r.run.val.some((v) => v.metrics.exvo.smtl !== null))) {
    add('ExVo S_MTL (validation)', 'S_MTL', perRun((r) => valPoints(r, (v) => v.metrics.exvo.smtl)));
  }
  add(
    'Training loss (smoothed)',
    'loss',
    perRun(
      (r) => {
        const loss = r.run.train.map((t) => t.loss);
        return { x: r.run.train.map((t) => t.step), y: smoothEma(loss, emaBeta(loss.length)) };
      },
      { points: false, width: 1.5 },
    ),
    { yClip: 'robust', yInclude: [0] },
  );
  return out;
}

const COMPARE_STYLE = `
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px}
div.scroll{overflow-x:auto}
table.runs td{white-space:nowrap}table.runs td .src{white-space:normal;max-width:300px}table.runs th{vertical-align:bottom}
table.diff td{max-width:320px;overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px}
`;

/** Build the comparison page as a string; see the module comment. */
export function buildComparisonHtml(input: ComparisonInput): string {
  const title = input.title ?? 'vbt run comparison';
  const generated = input.generatedAt ?? new Date();
  const colors = new Map(input.runs.map((r, i) => [r, paletteColor(i)]));
  const sorted = sortRuns(input.runs, input.sortBy);
  const monitors = input.runs.map((r) => r.run.config.train.monitor);
  const mixed = monitors.some((m) => m.name !== input.sortBy.name || m.mode !== input.sortBy.mode);
  const synthetic = input.runs.some((r) => r.run.config.data.corpus.kind === 'synthetic');

  const specs = comparisonCharts(input.runs, colors, input.sortBy);
  const ids = chartIds(specs.map((s) => s.title));
  const charts: ChartData[] = specs.map((s, i) => chartData(ids[i]!, s));

  const sortNote = mixed
    ? `The runs monitor different values (${input.runs
        .map((r, i) => `${escapeHtml(r.label)}: ${escapeHtml(monitors[i]!.name)}`)
        .join(', ')}); they are sorted by the first run’s, <strong>${escapeHtml(input.sortBy.name)}</strong> (${input.sortBy.mode === 'min' ? 'lower' : 'higher'} is better), computed at each run’s best validation (the one its own monitor chose).`
    : `Sorted by the monitored value of every run, <strong>${escapeHtml(input.sortBy.name)}</strong> (${input.sortBy.mode === 'min' ? 'lower' : 'higher'} is better), at each run’s best validation.`;

  const diffs = configDifferences(input.runs.map((r) => r.run.config));
  const diffTable =
    diffs.length === 0
      ? '<p class="note">The runs’ configs are the same (apart from their names).</p>'
      : `<table class="diff"><thead><tr><th>Field</th>${input.runs.map((r) => `<th>${swatch(colors.get(r)!)} ${escapeHtml(r.label)}</th>`).join('')}</tr></thead><tbody>${diffs
          .map(([p, values]) => `<tr><th>${escapeHtml(p)}</th>${values.map((v) => `<td>${v === undefined ? '<em>absent</em>' : escapeHtml(v.length > 200 ? `${v.slice(0, 200)}…` : v)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;

  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} — ${input.runs.length} runs</title>`,
    `<style>${PAGE_STYLE}${COMPARE_STYLE}</style>`,
    chartStyles(),
    '</head><body>',
    `<header><h1>${escapeHtml(title)}</h1><p class="meta">Written ${escapeHtml(generated.toISOString())} · ${input.runs.length} runs · a snapshot: run <code>vbt compare</code> again to update it</p></header>`,
  ];
  if (synthetic) {
    parts.push(
      '<div class="banner"><strong>Synthetic corpus.</strong> At least one of these runs used the synthetic demo corpus: its numbers say whether the pipeline works, not how well a model reads vocal bursts.</div>',
    );
  }
  parts.push(`<section id="runs"><h2>Runs, best first</h2><p class="note">${sortNote}</p>${runsTable(sorted, colors, input.sortBy)}</section>`);
  parts.push(
    `<section id="curves"><h2>Curves</h2>${charts.length > 0 ? `${CHART_HINT}${chartGrid(charts)}` : '<p class="note">No validation recorded in any run.</p>'}</section>`,
  );
  parts.push(`<section id="config"><h2>Config differences</h2>${diffTable}</section>`);
  parts.push(`<section id="environment"><h2>Versions and hardware</h2>${environmentTable(input.runs, colors)}</section>`);
  parts.push(chartScripts({ charts, live: null, writtenAt: generated.toISOString() }));
  parts.push('</body></html>\n');
  return parts.join('\n');
}

/** Write the comparison page atomically. */
export function writeComparisonHtml(file: string, input: ComparisonInput): void {
  writeFileAtomic(file, buildComparisonHtml(input));
}
