/** `vbt compare`: several runs on one page, sorted by the monitored score. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { MetricsReport } from '../../metrics/evaluation.js';
import { type ComparedRun, type MonitorSpec, sortRuns, writeComparisonHtml } from '../../report/compare-html.js';
import { type ComparedValRecord, type LoadedRun, bestValidationOf, readRunForComparison } from '../../report/compare-runs.js';
import { monitorValue } from '../../train/monitor.js';

/** Folder names, with more of the path where two runs share one. */
function labels(dirs: readonly string[]): string[] {
  const names = dirs.map((d) => path.basename(d));
  return dirs.map((d, i) => (names.filter((n) => n === names[i]).length > 1 ? path.relative(process.cwd(), d) || d : names[i]!));
}

/** The value of `monitor` at a validation: its own record when the run watched it, else computed from the record's metrics. */
function valueAt(v: ComparedValRecord, monitor: MonitorSpec): number {
  if (v.monitor.name === monitor.name) return v.monitor.value;
  return monitorValue(monitor.name, { report: v.metrics as unknown as MetricsReport, loss: v.loss ?? null, taskLosses: {} });
}

/** The runs as the page shows them, scored by `sortBy`. */
export function compareRuns(runs: readonly LoadedRun[], sortBy: MonitorSpec): ComparedRun[] {
  const names = labels(runs.map((r) => r.dir));
  return runs.map((run, i) => {
    const best = bestValidationOf(run);
    return { run, label: names[i]!, best, score: best !== undefined ? valueAt(best, sortBy) : Number.NaN, scoreCurve: run.val.map((v) => valueAt(v, sortBy)) };
  });
}

export function compareCommand(yargs: Argv): Argv {
  return yargs.command(
    'compare <runs..>',
    'Compare runs on one page: validation curves overlaid, final metrics sorted by the monitored score',
    (y) =>
      y
        .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'Run folders (written by vbt train)' })
        .option('out', { type: 'string', default: 'comparison.html', describe: 'The page to write' })
        .example('$0 compare runs/a runs/b', 'Write comparison.html comparing two runs')
        .example('$0 compare runs/* --out runs/all.html', 'Every run of a folder on one page'),
    (args) => {
      const dirs = (args.runs as string[] | undefined) ?? [];
      const loaded = dirs.map((d) => readRunForComparison(d));
      const first = loaded[0]!.config.train.monitor;
      const sortBy: MonitorSpec = { name: first.name, mode: first.mode };
      const runs = compareRuns(loaded, sortBy);
      const out = path.resolve(args.out);
      mkdirSync(path.dirname(out), { recursive: true });
      writeComparisonHtml(out, { runs, sortBy });
      const mixed = loaded.some((r) => r.config.train.monitor.name !== sortBy.name || r.config.train.monitor.mode !== sortBy.mode);
      console.log(`${runs.length} run${runs.length === 1 ? '' : 's'} by ${sortBy.name} (${sortBy.mode === 'min' ? 'lower' : 'higher'} is better)${mixed ? ', the first run’s monitor; the runs monitor different values' : ''}:`);
      sortRuns(runs, sortBy).forEach((r, i) => {
        console.log(`  ${String(i + 1).padStart(2)}. ${r.label.padEnd(24)} ${Number.isFinite(r.score) ? r.score.toFixed(4) : '–'}${r.best !== undefined ? ` (step ${r.best.step})` : ''}`);
      });
      console.log(`comparison: ${out}`);
    },
  );
}
