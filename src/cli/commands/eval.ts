/** `vbt eval`: a checkpoint's metrics on a split. */
import type { Argv } from 'yargs';
import type { Split } from '../../tasks.js';
import { InferenceSession } from '../../predict/inference-session.js';
import { formatMetrics } from '../format-metrics.js';
import { type RunFlags, openOptions, withRunFlags } from '../run-options.js';

export function evalCommand(yargs: Argv): Argv {
  return yargs.command(
    'eval',
    'Evaluate a trained run\'s checkpoint on a split',
    (y) =>
      withRunFlags(y, 'Val')
        .option('json', { type: 'boolean', default: false, describe: 'Print the full metrics report as JSON' })
        .example('$0 eval --run runs/demo-2026-11-23T10-00-00', 'Metrics of the best checkpoint on Val')
        .example('$0 eval --run runs/x --checkpoint last --split Train', 'The last checkpoint on the training split'),
    async (args) => {
      const flags = args as RunFlags & { json: boolean };
      const session = await InferenceSession.open(flags.run, openOptions(flags));
      try {
        const result = await session.evaluate(flags.split as Split);
        const file = session.run.file(`eval-${flags.split}-${session.checkpoint}.json`);
        session.run.writeJson(`eval-${flags.split}-${session.checkpoint}.json`, { split: flags.split, checkpoint: session.checkpoint, loss: result.loss, metrics: result.report });
        if (flags.json) {
          console.log(JSON.stringify(result.report, null, 2));
        } else {
          console.log(`${flags.split}, checkpoint ${session.checkpoint}${result.loss !== null ? `, loss ${result.loss.toFixed(4)}` : ''}:`);
          console.log(formatMetrics(result.report));
          console.log(`written to ${file}`);
        }
      } finally {
        await session.close();
      }
    },
  );
}
