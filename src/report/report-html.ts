/**
 * report.html: one self-contained page (its styles, its chart library and
 * its data inlined; nothing is fetched, so it opens offline) summarising a
 * run from its metrics log, its resolved config, its run info and its final
 * metrics:
 * - where the run stands: going on (the page reloads itself), or how it ended;
 * - versions, device, precision, CPU threads and BLAS, wall time (run-info.ts);
 * - the final metrics against the papers' published values
 *   (src/metrics/paper-results.ts), with a plain statement that the
 *   synthetic demo corpus is not comparable to them;
 * - interactive charts (interactive-charts.ts): loss curves (train per step,
 *   raw and smoothed; validation per validation), per-task train losses,
 *   learning rates and task weights, per-task validation metric curves (and
 *   ExVo S_MTL when all three tasks run), stage changes and the best
 *   validation marked;
 * - per-output and per-class tables, and the config.
 *
 * The trainer rewrites it at each validation and at the end
 * (src/train/report-callback.ts).
 */
import { writeFileAtomic } from '../util/atomic-write.js';
import { TASKS, TASK_SPECS, type Task } from '../tasks.js';
import type { MetricsReport } from '../metrics/evaluation.js';
import { type PaperMetricKey, type PaperResult, PAPER_RESULTS } from '../metrics/paper-results.js';
import type { TaskReport } from '../metrics/task-report.js';
import type { MetricsRecord, TrainRecord, ValRecord } from '../run/metrics-log.js';
import { type ChartData, type ChartMarker, type ChartSeries, type ChartSpec, chartData, chartIds, emaBeta, smoothEma } from './chart-data.js';
import { configJson, containsSynthetic, escapeHtml, fmt, formatDuration, paletteColor } from './html.js';
import { CHART_HINT, chartGrid, chartScripts, chartStyles } from './interactive-charts.js';
import { type RunInfo, type RunStatus, runInfoHtml, runTotals } from './run-info.js';

export { smoothEma };

/** What the report is built from. */
export interface ReportInput {
  /** Page title; default "vbt run report". */
  title?: string;
  /** Run name (runs/<name>). */
  runName?: string;
  /** Records of metrics.jsonl, in file order. */
  records: readonly MetricsRecord[];
  /** The resolved config, shown as JSON. */
  config: unknown;
  /** Final metrics; default: the best validation by the monitor, else the last. */
  final?: MetricsReport;
  /** What `final` is, e.g. "best checkpoint on the validation split". */
  finalLabel?: string;
  /** Which paper tables to compare with; default: inferred from the tasks evaluated. */
  recipe?: 'avb-mtl' | 'exvo-burst2vec';
  /**
   * Whether the run used the synthetic corpus. Default: true when any
   * string in the config equals "synthetic" (the demo recipe's corpus kind).
   */
  syntheticData?: boolean;
  /** Paper rows to show, by id; default those marked `inReport`. */
  paperRowIds?: readonly string[];
  /** Time stamp shown in the header; default now. */
  generatedAt?: Date;
  /** Versions, device, wall time (run-info.json); the section is left out without it. */
  runInfo?: RunInfo;
  /**
   * Where the run stands; default: the last session's status in `runInfo`,
   * else 'completed'. While 'running' the page reloads itself.
   */
  status?: RunStatus;
  /** Why training stopped early or failed, when it did. */
  statusReason?: string;
  /** Seconds between reloads while running; default 10. */
  reloadSeconds?: number;
}

function metricName(task: Task): string {
  const m = TASK_SPECS[task].metric;
  return m === 'ccc' ? (TASK_SPECS[task].size > 1 ? 'mean CCC' : 'CCC') : m === 'uar' ? 'UAR' : 'MAE (years)';
}

interface RunSeries {
  train: TrainRecord[];
  val: ValRecord[];
  markers: ChartMarker[];
}

const STAGE_COLOR = '#6f6f6f';
const BEST_COLOR = '#2a7d2a';

/** Records by step, one per step: a step logged again (after a resume from an earlier checkpoint) replaces the earlier record. */
export function latestPerStep<R extends { step: number }>(records: readonly R[]): R[] {
  return [...new Map(records.map((r) => [r.step, r])).values()].sort((a, b) => a.step - b.step);
}

function splitRecords(records: readonly MetricsRecord[]): RunSeries {
  const byStep = <T extends MetricsRecord>(a: T, b: T): number => a.step - b.step;
  const train = latestPerStep(records.filter((r): r is TrainRecord => r.kind === 'train'));
  const val = latestPerStep(records.filter((r): r is ValRecord => r.kind === 'val'));
  const markers: ChartMarker[] = [];
  const all = [...records].sort(byStep);
  for (let i = 1; i < all.length; i++) {
    const prev = all[i - 1] as MetricsRecord;
    const cur = all[i] as MetricsRecord;
    if (cur.stage !== prev.stage) markers.push({ x: cur.step, label: `stage ${cur.stage}`, color: STAGE_COLOR });
  }
  const best = bestValidation(val);
  if (best !== undefined) markers.push({ x: best.step, label: `best (step ${best.step})`, color: BEST_COLOR });
  return { train, val, markers };
}

/** The validation marked best last, else the best by the monitor's mode. */
export function bestValidation(val: readonly ValRecord[]): ValRecord | undefined {
  const marked = val.filter((v) => v.monitor.best === true);
  if (marked.length > 0) return marked[marked.length - 1];
  let best: ValRecord | undefined;
  for (const v of val) {
    if (!Number.isFinite(v.monitor.value)) continue;
    if (best === undefined) best = v;
    else if (v.monitor.mode === 'min' ? v.monitor.value < best.monitor.value : v.monitor.value > best.monitor.value) best = v;
  }
  return best;
}

function tasksIn(maps: readonly Partial<Record<Task, unknown>>[]): Task[] {
  return TASKS.filter((t) => maps.some((m) => m[t] !== undefined));
}

function taskColor(task: Task): string {
  return paletteColor(TASKS.indexOf(task));
}

/**
 * Steps and values of the records where `get` finds a value. A value that is
 * absent (a parameter group not yet created, a task not in this batch) is
 * left out; a value that is present but NaN is kept, so the chart shows the gap.
 */
function present<R extends MetricsRecord>(records: readonly R[], get: (r: R) => number | undefined): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const r of records) {
    const v = get(r);
    if (v === undefined) continue;
    x.push(r.step);
    y.push(v);
  }
  return { x, y };
}

interface SectionChart {
  section: 'training' | 'validation';
  spec: ChartSpec;
}

/** Every chart of the report, in page order. */
function charts(run: RunSeries): SectionChart[] {
  const out: SectionChart[] = [];
  const { train, val, markers } = run;
  const steps = train.map((r) => r.step);
  const chart = (section: SectionChart['section'], title: string, yLabel: string, series: ChartSeries[], extra: Pick<ChartSpec, 'yClip' | 'yInclude'> = {}): void => {
    out.push({ section, spec: { title, xLabel: 'step', yLabel, series, markers, ...extra } });
  };

  // Loss: train raw and smoothed, validation.
  const lossSeries: ChartSeries[] = [];
  if (train.length > 0) {
    const loss = train.map((r) => r.loss);
    lossSeries.push(
      { name: 'train', x: steps, y: loss, color: '#4e79a7', width: 1, alpha: 0.35, points: false },
      { name: 'train (smoothed)', x: steps, y: smoothEma(loss, emaBeta(loss.length)), color: '#4e79a7', width: 2, points: false },
    );
  }
  const valWithLoss = val.filter((v) => v.loss !== undefined);
  if (valWithLoss.length > 0) {
    lossSeries.push({ name: 'validation', x: valWithLoss.map((v) => v.step), y: valWithLoss.map((v) => v.loss as number), color: '#e15759', width: 2, points: true });
  }
  if (lossSeries.length > 0) chart('training', 'Loss', 'loss', lossSeries, { yClip: 'robust', yInclude: [0] });

  // Per-task train losses (smoothed).
  const lossTasks = tasksIn(train.map((r) => r.taskLosses));
  if (lossTasks.length > 0) {
    chart(
      'training',
      'Task losses (train, smoothed)',
      'loss',
      lossTasks.map((t) => {
        const { x, y } = present(train, (r) => r.taskLosses[t]);
        return { name: t, x, y: smoothEma(y, emaBeta(y.length)), color: taskColor(t), points: false };
      }),
      { yClip: 'robust', yInclude: [0] },
    );
  }

  // Learning rate per parameter group; groups whose scales differ a lot
  // (heads vs backbone) get a chart each, or the smaller would lie flat.
  const groups = [...new Set(train.flatMap((r) => Object.keys(r.lr)))];
  const lrSeries: ChartSeries[] = groups.map((g, i) => ({ name: g, ...present(train, (r) => r.lr[g]), color: paletteColor(i), points: false }));
  const peaks = lrSeries.map((s) => Array.from(s.y).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0)).filter((p) => p > 0);
  const separate = peaks.length > 1 && Math.max(...peaks) > 5 * Math.min(...peaks);
  if (separate) {
    for (const s of lrSeries) chart('training', `Learning rate: ${s.name}`, 'learning rate', [s], { yInclude: [0] });
  } else if (lrSeries.length > 0) {
    chart('training', 'Learning rate', 'learning rate', lrSeries, { yInclude: [0] });
  }

  // Task weights.
  const weightTasks = tasksIn(train.map((r) => r.taskWeights));
  if (weightTasks.length > 0) {
    chart(
      'training',
      'Task weights',
      'weight',
      weightTasks.map((t) => ({ name: t, ...present(train, (r) => r.taskWeights[t]), color: taskColor(t), points: false })),
    );
  }

  // The monitored value, when it is not a curve of its own below (the combined score).
  const monitor = val[val.length - 1]?.monitor;
  if (monitor !== undefined && monitor.name === 'score') {
    chart('validation', `Monitored: ${monitor.name} (${monitor.mode === 'max' ? 'higher' : 'lower'} is better)`, monitor.name, [
      { name: monitor.name, ...present(val, (v) => v.monitor.value), color: '#333333', width: 2, points: true },
    ]);
  }

  // Validation metric per task.
  for (const t of tasksIn(val.map((v) => v.metrics.tasks))) {
    chart('validation', `${t}: ${metricName(t)} (validation)`, metricName(t), [
      { name: t, ...present(val, (v) => v.metrics.tasks[t]?.value), color: taskColor(t), width: 2, points: true },
    ]);
  }
  if (val.some((v) => v.metrics.exvo.smtl !== null)) {
    chart('validation', 'ExVo S_MTL (validation)', 'S_MTL', [
      { name: 'S_MTL', ...present(val, (v) => v.metrics.exvo.smtl ?? undefined), color: '#b07aa1', width: 2, points: true },
    ]);
  }
  return out;
}

const AVB_COLUMNS: { key: PaperMetricKey; label: string; get: (m: MetricsReport) => number | null }[] = [
  { key: 'high', label: 'High CCC', get: (m) => m.avb.high },
  { key: 'culture', label: 'Culture CCC', get: (m) => m.avb.culture },
  { key: 'two', label: 'Two CCC', get: (m) => m.avb.two },
  { key: 'type', label: 'Type UAR', get: (m) => m.avb.type },
  { key: 'country', label: 'Country UAR', get: (m) => m.avb.country },
];

const EXVO_COLUMNS: { key: PaperMetricKey; label: string; get: (m: MetricsReport) => number | null }[] = [
  { key: 'emotionCcc', label: 'Emotion CCC', get: (m) => m.exvo.emotionCcc },
  { key: 'countryUar', label: 'Country UAR', get: (m) => m.exvo.countryUar },
  { key: 'ageMae', label: 'Age MAE (years)', get: (m) => m.exvo.ageMae },
  { key: 'smtl', label: 'S_MTL', get: (m) => m.exvo.smtl },
];

function comparisonTable(
  caption: string,
  columns: typeof AVB_COLUMNS,
  final: MetricsReport | undefined,
  finalLabel: string,
  rows: readonly PaperResult[],
): string {
  const head = `<tr><th>Source</th><th>Split</th>${columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('')}</tr>`;
  const runRow =
    final === undefined
      ? ''
      : `<tr class="run"><td>This run (${escapeHtml(finalLabel)})</td><td>validation</td>${columns
          .map((c) => `<td class="num">${fmt(c.get(final))}</td>`)
          .join('')}</tr>`;
  const doubts: string[] = [];
  const paperRows = rows
    .map((r) => {
      const src = `Seed ${r.source.seed}, ${r.source.table}, row “${r.source.row}”`;
      let mark = '';
      if (r.doubt !== undefined) {
        doubts.push(r.doubt);
        mark = ` <sup class="doubt" title="${escapeHtml(r.doubt)}">(?${doubts.length})</sup>`;
      }
      return `<tr><td>${escapeHtml(r.label)}${mark}<div class="src">${escapeHtml(src)}</div></td><td>${r.split}</td>${columns
        .map((c) => `<td class="num">${fmt(r.values[c.key])}</td>`)
        .join('')}</tr>`;
    })
    .join('');
  const notes =
    doubts.length > 0
      ? `<ol class="doubts">${doubts.map((d, i) => `<li value="${i + 1}">(?${i + 1}) ${escapeHtml(d)}</li>`).join('')}</ol>`
      : '';
  return `<table class="cmp"><caption>${escapeHtml(caption)}</caption><thead>${head}</thead><tbody>${runRow}${paperRows}</tbody></table>${notes}`;
}

/** A CCC task's per-sample CCC (the recipe A scripts' printed CCC), or null (other tasks, older reports). */
function sampleCccOf(r: TaskReport): number | null {
  return r.metric === 'ccc' ? (r.sampleCcc ?? null) : null;
}

function summaryTable(final: MetricsReport): string {
  const reports = TASKS.filter((t) => final.tasks[t] !== undefined).map((t) => final.tasks[t] as TaskReport);
  const perSample = reports.some((r) => sampleCccOf(r) !== null);
  const rows = reports
    .map((r) => {
      const t = r.task;
      const sample = perSample ? `<td class="num">${sampleCccOf(r) === null ? '' : fmt(sampleCccOf(r))}</td>` : '';
      return `<tr><td>${t}</td><td>${metricName(t)}</td><td class="num">${fmt(r.value)}</td>${sample}<td class="num">${r.n}</td></tr>`;
    })
    .join('');
  const empty = final.empty.length > 0 ? `<p class="note">No labelled sample for: ${final.empty.map((t) => escapeHtml(t)).join(', ')}.</p>` : '';
  const sampleHead = perSample ? '<th title="mean over clips of the CCC across each clip’s outputs (n − 1 variances)">Per-sample CCC</th>' : '';
  const sampleNote = perSample
    ? '<p class="note">Per-sample CCC: each clip’s CCC across its outputs (the 10 emotions of High, the 40 columns of Culture), averaged over clips. It is what recipe A’s released training scripts print as their validation CCC, and perhaps what its paper’s Table I reports; the challenge metric (Value) is the CCC of each output over the clips, averaged over outputs.</p>'
    : '';
  return `<table class="summary"><thead><tr><th>Task</th><th>Metric</th><th>Value</th>${sampleHead}<th>n</th></tr></thead><tbody>${rows}</tbody></table>${sampleNote}${empty}`;
}

function taskDetails(r: TaskReport): string {
  const open = r.task === 'culture' ? '' : ' open';
  let body: string;
  if (r.metric === 'uar') {
    const classes = r.classes
      .map(
        (c) =>
          `<tr><td>${escapeHtml(c.name)}</td><td class="num">${c.support}</td><td class="num">${c.predicted}</td><td class="num">${c.recall === null ? 'absent (skipped)' : fmt(c.recall)}</td></tr>`,
      )
      .join('');
    const names = r.classes.map((c) => escapeHtml(c.name));
    const matrix = r.confusion
      .map((row, i) => `<tr><th>${names[i] ?? i}</th>${row.map((v, j) => `<td class="num${i === j ? ' diag' : ''}">${v}</td>`).join('')}</tr>`)
      .join('');
    body =
      `<p>UAR ${fmt(r.value)}, accuracy ${fmt(r.accuracy)}, n = ${r.n}.</p>` +
      `<div class="pair"><table><thead><tr><th>Class</th><th>Support</th><th>Predicted</th><th>Recall</th></tr></thead><tbody>${classes}</tbody></table>` +
      `<table class="confusion"><caption>Confusion (rows: true, columns: predicted)</caption><thead><tr><th></th>${names.map((n) => `<th>${n}</th>`).join('')}</tr></thead><tbody>${matrix}</tbody></table></div>`;
  } else {
    const outputs = r.metric === 'mae' ? [r.output] : r.outputs;
    const rows = outputs
      .map((o) => {
        const collapsed = o.n > 1 && o.stdPrediction < 1e-3 ? ' class="warn" title="predictions are (nearly) constant"' : '';
        return `<tr${collapsed}><td>${escapeHtml(o.name)}</td><td class="num">${o.n}</td><td class="num">${fmt(o.ccc)}${o.cccDefined ? '' : '*'}</td><td class="num">${fmt(o.pearson)}</td><td class="num">${fmt(o.mae)}</td><td class="num">${fmt(o.meanPrediction)} / ${fmt(o.meanTarget)}</td><td class="num">${fmt(o.stdPrediction)} / ${fmt(o.stdTarget)}</td></tr>`;
      })
      .join('');
    body =
      `<p>${r.metric === 'mae' ? `MAE ${fmt(r.value)} years` : `mean CCC ${fmt(r.value)}`}, n = ${r.n}.${
        outputs.some((o) => !o.cccDefined) ? ' CCC marked * is undefined (fewer than two samples, or both sides constant) and counted as 0.' : ''
      }${outputs.some((o) => o.n > 1 && o.stdPrediction < 1e-3) ? ' Rows in red have (nearly) constant predictions.' : ''}</p>` +
      `<table><thead><tr><th>Output</th><th>n</th><th>CCC</th><th>Pearson</th><th>MAE</th><th>Mean pred / label</th><th>Std pred / label</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
  return `<details${open}><summary>${r.task}: ${metricName(r.task)} ${fmt(r.value)}</summary>${body}</details>`;
}

/** Styles shared by the report and the comparison page. */
export const PAGE_STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 12px;line-height:1.4}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px;margin:0}
.banner{background:#fff4d6;border:1px solid #e0b84a;padding:10px 14px;margin:16px 0;border-radius:4px;font-size:14px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.info th{width:120px}
caption{text-align:left;font-weight:600;padding:4px 0;font-size:13px}
tr.run td{background:#eef5ff;font-weight:600}
.src{color:#777;font-size:11px;font-weight:normal}.doubt{color:#b35;cursor:help}
ol.doubts{list-style:none;padding:0;margin:2px 0 12px;font-size:12px;color:#844;max-width:900px}
.note{color:#555;font-size:13px}
details{margin:8px 0}summary{cursor:pointer;font-weight:600;font-size:14px}details p{font-size:13px;margin:6px 0}
.pair{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
td.diag{background:#eaf6ea}tr.warn td{background:#fff0f0}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:10px;font-size:12px;overflow:auto;max-height:480px}
code{font-size:12.5px}
`;

const STATUS_TEXT: Record<Exclude<RunStatus, 'running'>, string> = {
  completed: 'Training finished',
  stopped: 'Training stopped early',
  interrupted: 'Training was interrupted (Ctrl-C); continue it with <code>vbt train --resume</code> on the run folder',
  failed: 'Training ended with an error before finishing; the page shows what was recorded until then',
};

function statusBox(status: RunStatus, reason: string | undefined, run: RunSeries, runInfo: RunInfo | undefined, reloadSeconds: number): string {
  const lastRecord = [...run.train, ...run.val].sort((a, b) => a.step - b.step).pop();
  const where = lastRecord !== undefined ? `stage ${escapeHtml(lastRecord.stage)}, step ${lastRecord.step}, ${run.val.length} validation${run.val.length === 1 ? '' : 's'}` : 'no step logged yet';
  const written = 'written <span id="written-ago">just now</span>';
  if (status === 'running') {
    return (
      `<div class="live"><strong>Training is going on</strong> (${where}). This page is rewritten at each validation; ${written}. ` +
      `<label><input type="checkbox" id="auto-reload" checked> reload every ${reloadSeconds} s</label></div>`
    );
  }
  const wall = runInfo !== undefined ? `, wall time ${escapeHtml(formatDuration(runTotals(runInfo).wallSeconds))}` : '';
  return `<div class="live ended"><strong>${STATUS_TEXT[status]}</strong>${reason !== undefined ? `: ${escapeHtml(reason)}` : ''} (${where}${wall}); ${written}.</div>`;
}

/** Build report.html as a string; see the module comment. */
export function buildReportHtml(input: ReportInput): string {
  const run = splitRecords(input.records);
  const best = bestValidation(run.val);
  const last = run.val[run.val.length - 1];
  const final = input.final ?? best?.metrics ?? last?.metrics;
  const lastSession = input.runInfo?.sessions[input.runInfo.sessions.length - 1];
  const status: RunStatus = input.status ?? lastSession?.status ?? 'completed';
  const statusReason = input.statusReason ?? lastSession?.reason;
  const finalLabel =
    input.finalLabel ??
    (input.final !== undefined
      ? 'final evaluation'
      : best !== undefined
        ? `best validation${status === 'running' ? ' so far' : ''}, step ${best.step}`
        : last !== undefined
          ? `last validation, step ${last.step}`
          : 'none');
  const synthetic = input.syntheticData ?? containsSynthetic(input.config);
  const title = input.title ?? 'vbt run report';
  const generated = input.generatedAt ?? new Date();
  const reloadSeconds = input.reloadSeconds ?? 10;

  const evaluated = final === undefined ? [] : TASKS.filter((t) => final.tasks[t] !== undefined);
  const showAvb = input.recipe === 'avb-mtl' || (input.recipe === undefined && evaluated.some((t) => t === 'culture' || t === 'two' || t === 'type'));
  const showExvo = input.recipe === 'exvo-burst2vec' || (input.recipe === undefined && evaluated.includes('age'));
  const wanted = (r: PaperResult): boolean => (input.paperRowIds !== undefined ? input.paperRowIds.includes(r.id) : r.inReport);

  const all = charts(run);
  const ids = chartIds(all.map((c) => c.spec.title));
  const data: (ChartData & { section: SectionChart['section'] })[] = all.map((c, i) => ({ ...chartData(ids[i]!, c.spec), section: c.section }));

  const parts: string[] = [];
  parts.push(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Without scripts, a page of a run still going on reloads itself this way.
    status === 'running' ? `<noscript><meta http-equiv="refresh" content="${Math.max(reloadSeconds, 30)}"></noscript>` : '',
    `<title>${escapeHtml(title)}${input.runName !== undefined ? ` — ${escapeHtml(input.runName)}` : ''}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    chartStyles(),
    '</head><body>',
    `<header><h1>${escapeHtml(title)}${input.runName !== undefined ? `: ${escapeHtml(input.runName)}` : ''}</h1>`,
    `<p class="meta">Written ${escapeHtml(generated.toISOString())} · ${run.train.length} training log steps · ${run.val.length} validations${
      final !== undefined ? ` · CCC variant: ${escapeHtml(final.cccVariant)}` : ''
    }</p></header>`,
    statusBox(status, statusReason, run, input.runInfo, reloadSeconds),
  );
  if (synthetic) {
    parts.push(
      '<div class="banner"><strong>Synthetic corpus.</strong> This run used the synthetic demo corpus that vbt generates for demonstrations and tests. ' +
        'Its numbers say whether the pipeline works, not how well a model reads vocal bursts, and they are not comparable to the papers’ values below, which were measured on the real A-VB and ExVo corpora.</div>',
    );
  }

  parts.push('<section id="final"><h2>Final metrics</h2>');
  if (final === undefined) {
    parts.push('<p class="note">No validation has been recorded yet.</p>');
  } else {
    parts.push(`<p class="note">From: ${escapeHtml(finalLabel)}.</p>`, summaryTable(final));
    if (showAvb) {
      parts.push(
        comparisonTable(
          'A-VB: this run against paper A (seed 000, recipe avb-mtl)',
          AVB_COLUMNS,
          final,
          finalLabel,
          PAPER_RESULTS.filter((r) => r.recipe === 'avb-mtl' && wanted(r)),
        ),
      );
    }
    if (showExvo) {
      parts.push(
        comparisonTable(
          'ExVo: this run against paper B (seed 001, recipe exvo-burst2vec)',
          EXVO_COLUMNS,
          final,
          finalLabel,
          PAPER_RESULTS.filter((r) => r.recipe === 'exvo-burst2vec' && wanted(r)),
        ),
      );
    }
    if (showAvb || showExvo) {
      parts.push(
        `<p class="note">Paper values were measured on the real, licensed corpora${
          synthetic ? '; this run’s corpus is synthetic, so the comparison only shows the scale of the published numbers' : ''
        }. The challenges’ scripts compute CCC with the “official” variant (n − 1 for the variances); this run uses the ${escapeHtml(
          final.cccVariant,
        )} variant, a difference below 1e-4 on validation sets of the challenges’ size. ` +
          'Marks (?n) flag an uncertain reading of the source, explained under the table.</p>',
      );
    }
  }
  parts.push('</section>');

  const training = data.filter((c) => c.section === 'training');
  const validation = data.filter((c) => c.section === 'validation');
  parts.push('<section id="training"><h2>Training curves</h2>');
  parts.push(training.length > 0 ? `${CHART_HINT}${chartGrid(training)}` : '<p class="note">No training records yet.</p>');
  parts.push('</section><section id="validation"><h2>Validation metrics</h2>');
  parts.push(validation.length > 0 ? chartGrid(validation) : '<p class="note">No validation records yet.</p>');
  parts.push('</section>');

  if (final !== undefined && evaluated.length > 0) {
    parts.push('<section id="details"><h2>Per-output and per-class metrics</h2>');
    for (const t of evaluated) parts.push(taskDetails(final.tasks[t] as TaskReport));
    parts.push('</section>');
  }

  if (input.runInfo !== undefined) parts.push(`<section id="run"><h2>Run</h2>${runInfoHtml(input.runInfo)}</section>`);
  parts.push(`<section id="config"><h2>Configuration</h2><pre>${escapeHtml(configJson(input.config))}</pre></section>`);
  parts.push(
    chartScripts({
      charts: data.map(({ section: _section, ...c }) => c),
      live: status === 'running' ? { reloadSeconds } : null,
      writtenAt: generated.toISOString(),
    }),
  );
  parts.push('</body></html>\n');
  return parts.join('\n');
}

/** Write report.html atomically (temporary file, then rename). */
export function writeReportHtml(path: string, input: ReportInput): void {
  writeFileAtomic(path, buildReportHtml(input));
}
