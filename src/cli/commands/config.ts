/** `vbt config schema` and `vbt config show`: the run config's JSON Schema, and a resolved config. */
import type { Argv } from 'yargs';
import { runConfigJsonSchema } from '../../config/json-schema.js';
import { type ConfigFlags, configFromFlags, withConfigFlags } from '../config-flags.js';

export function configCommand(yargs: Argv): Argv {
  return yargs.command('config <action>', 'The run config: its JSON Schema, or what a recipe, file and flags resolve to', (y) =>
    y
      .command(
        'schema',
        'Print the JSON Schema of a config file (descriptions and defaults of every field), for editors and validators',
        (c) =>
          c
            .option('resolved', { type: 'boolean', default: false, describe: 'The schema of a resolved config (every default filled in) instead of a file' })
            .example('$0 config schema > vbt-config.schema.json', 'Then start a config file with "$schema": "./vbt-config.schema.json"'),
        (args) => {
          const resolved = (args as { resolved: boolean }).resolved;
          console.log(JSON.stringify(runConfigJsonSchema(resolved ? 'output' : 'input', { forFiles: !resolved }), null, 2));
        },
      )
      .command(
        'show',
        'Print the config a recipe, a config file and flags resolve to (what `vbt train` with the same arguments would run)',
        (c) =>
          withConfigFlags(c)
            .example('$0 config show --recipe avb-mtl --set train.stages.1.lr=1e-5', 'Recipe A with a lower fine-tuning rate')
            .example('$0 config show --config run.json', 'A config file laid over its recipe'),
        (args) => {
          console.log(JSON.stringify(configFromFlags(args as ConfigFlags), null, 2));
        },
      )
      .demandCommand(1, 'Name an action: schema or show.'),
  );
}
