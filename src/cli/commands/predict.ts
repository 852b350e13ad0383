/** `vbt predict`: raw predictions and challenge submission CSVs for a split. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import type { Split } from '../../tasks.js';
import { writeAvbSubmissions } from '../../predict/avb-submission.js';
import { EXVO_SUBMISSION_FILE, hasExvoTasks, writeExvoSubmission } from '../../predict/exvo-submission.js';
import { InferenceSession } from '../../predict/inference-session.js';
import { writeRawPredictions } from '../../predict/raw-predictions.js';
import { formatMetrics } from '../format-metrics.js';
import { type RunFlags, openOptions, withRunFlags } from '../run-options.js';

export function predictCommand(yargs: Argv): Argv {
  return yargs.command(
    'predict',
    'Write predictions of a trained run: raw (all outputs, class probabilities) and challenge submission CSVs',
    (y) =>
      withRunFlags(y, 'Test')
        .option('out', { type: 'string', describe: 'Output folder (default: <run>/predictions/<split>)' })
        .example('$0 predict --run runs/x', 'Submission files for the Test split')
        .example('$0 predict --run runs/x --split Val --out preds/', 'Validation predictions into preds/'),
    async (args) => {
      const flags = args as RunFlags & { out?: string };
      const session = await InferenceSession.open(flags.run, openOptions(flags));
      try {
        const result = await session.evaluate(flags.split as Split);
        const dir = flags.out ?? path.join(session.run.predictions, flags.split);
        mkdirSync(dir, { recursive: true });
        const raw = path.join(dir, 'predictions.csv');
        writeRawPredictions(raw, result.predictions!);
        const files = [raw, ...writeAvbSubmissions(dir, result.predictions!)];
        if (hasExvoTasks(result.predictions!)) {
          const exvo = path.join(dir, EXVO_SUBMISSION_FILE);
          writeExvoSubmission(exvo, result.predictions!);
          files.push(exvo);
        }
        console.log(`${result.predictions!.ids.length} clips of ${flags.split}, checkpoint ${session.checkpoint}:`);
        for (const f of files) console.log(`  ${f}`);
        if (Object.keys(result.report.tasks).length > 0) console.log(`metrics where labels exist:\n${formatMetrics(result.report)}`);
      } finally {
        await session.close();
      }
    },
  );
}
