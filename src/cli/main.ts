/** The `vbt` command line: one file per command under commands/. */
import yargs from 'yargs';
import { infoCommand } from './commands/info.js';
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
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100));
  cli = trainCommand(cli);
  cli = infoCommand(cli);
  try {
    await cli
      .fail((msg, err) => {
        if (err) throw err;
        console.error(`vbt: ${msg}\nRun 'vbt --help' for usage.`);
        process.exit(2);
      })
      .parseAsync();
  } catch (err) {
    console.error(`vbt: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
