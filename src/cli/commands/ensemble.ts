/** `vbt ensemble`: average several runs' predictions of a split, write them, and score them against labels. */
import path from 'node:path';
import type { Argv } from 'yargs';
import { type EnsembleResult, runEnsemble } from '../../ensemble/index.js';
import { SPLITS, type Split, TASK_SPECS, type Task } from '../../tasks.js';
import type { MetricsReport } from '../../metrics/index.js';

interface EnsembleFlags {
  members: string[];
  split: Split;
  out?: string;
  data?: string;
  layout?: 'exvo' | 'avb';
  skipBad?: boolean;
  overwrite?: boolean;
  cccVariant?: 'population' | 'official';
  json?: boolean;
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '   –  ' : v.toFixed(3).padStart(6);
}

/** One row per task (and S_MTL for ExVo), one column per member and the ensemble. */
function metricsTable(result: EnsembleResult): string {
  const reports: (MetricsReport | null)[] = [...(result.memberScores ?? []).map((s) => s?.report ?? null), result.score?.report ?? null];
  const heads = [...result.memberFiles.map((_, i) => `run ${i + 1}`.padStart(6)), 'ensemble'];
  const lines = [`${'task'.padEnd(16)}${heads.join('  ')}`];
  for (const task of result.tasks) {
    const label = `${task} ${TASK_SPECS[task as Task].metric.toUpperCase()}`.padEnd(16);
    lines.push(label + reports.map((r) => fmt(r?.tasks[task]?.value)).join('  '));
  }
  if (reports.some((r) => r?.exvo.smtl !== null && r?.exvo.smtl !== undefined)) {
    lines.push('ExVo S_MTL'.padEnd(16) + reports.map((r) => fmt(r?.exvo.smtl)).join('  '));
  }
  return lines.join('\n');
}

export function ensembleCommand(yargs: Argv): Argv {
  return yargs.command(
    'ensemble <members..>',
    'Average the predictions of several runs (regressions: mean; classes: mean probability, then arg-max) and score them',
    (y) =>
      y
        .positional('members', { type: 'string', array: true, demandOption: true, describe: 'Run folders (with predictions/<split>/predictions.csv) or predictions.csv files' })
        .option('split', { type: 'string', choices: SPLITS, default: 'Val', describe: 'Split the predictions are of' })
        .option('out', { type: 'string', describe: 'Folder for the ensemble (default: runs/ensemble-<time>)' })
        .option('data', { type: 'string', describe: 'Corpus folder whose labels score the ensemble and each run' })
        .option('layout', { type: 'string', choices: ['exvo', 'avb'], describe: 'Layout of --data' })
        .option('skip-bad', { type: 'boolean', describe: 'Drop bad corpus rows instead of stopping' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace this split\'s ensemble files in --out' })
        .option('ccc-variant', { type: 'string', choices: ['population', 'official'], describe: 'CCC normalisers (default population)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the result as JSON' })
        .check((a) => {
          if (a.data !== undefined && a.layout === undefined) throw new Error('--data needs --layout exvo|avb');
          if (a.layout !== undefined && a.data === undefined) throw new Error('--layout needs --data');
          return true;
        })
        .example('$0 ensemble runs/wl runs/wl-noadv runs/hb runs/hl --data ~/ExVo --layout exvo', 'Ensemble A of the Burst2Vec paper on Val, scored')
        .example('$0 ensemble runs/wl runs/hl --split Test --out runs/ens-test', 'Average test predictions and write an ExVo submission'),
    (args) => {
      const flags = args as unknown as EnsembleFlags;
      const out = flags.out ?? path.join('runs', `ensemble-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}`);
      const result = runEnsemble({
        members: flags.members,
        split: flags.split,
        out,
        overwrite: flags.overwrite ?? false,
        ...(flags.data && flags.layout ? { corpus: { root: flags.data, layout: flags.layout, skipBad: flags.skipBad ?? false } } : {}),
        ...(flags.cccVariant ? { cccVariant: flags.cccVariant } : {}),
      });
      if (flags.json) {
        const { predictions: _omit, ...rest } = result;
        console.log(JSON.stringify(rest, null, 2));
        return;
      }
      console.log(`ensemble of ${result.memberFiles.length} runs, ${result.clips} ${result.split} clips, tasks ${result.tasks.join(', ')}`);
      result.memberFiles.forEach((f, i) => console.log(`  run ${i + 1}: ${f}`));
      if (result.droppedTasks.length > 0) console.log(`left out (not predicted by every run): ${result.droppedTasks.join(', ')}`);
      if (result.score) console.log(`\n${metricsTable(result)}`);
      else if (flags.data) console.log(`\nno ${result.split} clip has labels in ${flags.data}: nothing to score`);
      console.log(`\npredictions: ${result.files.raw}`);
      if (result.files.submission) console.log(`submission:  ${result.files.submission}`);
      console.log(`summary:     ${result.files.summary}`);
    },
  );
}
