/** The `vbt` command line: one file per command under commands/. */
import yargs from 'yargs';
import { vbtVersion } from '../util/package-info.js';
import { compareCommand } from './commands/compare.js';
import { configCommand } from './commands/config.js';
import { ensembleCommand } from './commands/ensemble.js';
import { infoCommand } from './commands/info.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { serveCommand } from './commands/serve.js';
import { exportModelCommand } from './commands/export-model.js';
import { synthCommand } from './commands/synth.js';
import { trainCommand } from './commands/train.js';

/** Run the CLI with the given arguments (without `node vbt`). */
export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('vbt')
    .usage('vbt: train and run multitask models on vocal bursts\n\nUsage: $0 <command> [options]')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(vbtVersion())
    .alias('V', 'version')
    .wrap(Math.min(110, process.stdout.columns || 100));
  cli = trainCommand(cli);
  cli = evalCommand(cli);
  cli = predictCommand(cli);
  cli = serveCommand(cli);
  cli = exportModelCommand(cli);
  cli = synthCommand(cli);
  cli = exportCommand(cli);
  cli = infoCommand(cli);
  cli = ensembleCommand(cli);
  cli = compareCommand(cli);
  cli = configCommand(cli);
  try {
    await cli
      .fail((msg, err) => {
        if (err) throw err;
        console.error(`vbt: ${msg}\nRun 'vbt --help' for usage.`);
        process.exit(2);
      })
      .parseAsync();
  } catch (err) {
    // Expected failures (bad config, missing files, LibTorch errors) are one line; VBT_DEBUG=1 shows the stack.
    console.error(`vbt: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.VBT_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
    process.exitCode = 1;
  }
}
