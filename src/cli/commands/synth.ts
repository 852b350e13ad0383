/** `vbt synth`: write a synthetic corpus in the A-VB or ExVo layout. */
import type { Argv } from 'yargs';
import { writeSyntheticCorpus } from '../../synth/index.js';

export function synthCommand(yargs: Argv): Argv {
  return yargs.command(
    'synth <dir>',
    'Write a synthetic vocal-burst corpus (wav + CSVs) in the A-VB or ExVo layout',
    (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Folder to write (must be empty or absent)' })
        .option('layout', { type: 'string', choices: ['avb', 'exvo'], default: 'avb', describe: 'Corpus layout' })
        .option('clips', { type: 'number', default: 360, describe: 'Number of clips' })
        .option('seed', { type: 'number', default: 0, describe: 'Random seed (same seed, same files)' })
        .option('min-seconds', { type: 'number', describe: 'Shortest clip' })
        .option('max-seconds', { type: 'number', describe: 'Longest clip' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace the generator\'s files in a non-empty folder' })
        .example('$0 synth data/synth-avb', '360 clips in the A-VB layout')
        .example('$0 synth data/synth-exvo --layout exvo --clips 2000 --seed 7', 'A larger ExVo-layout corpus'),
    (args) => {
      const summary = writeSyntheticCorpus({
        dir: args.dir as string,
        layout: args.layout as 'avb' | 'exvo',
        clips: args.clips,
        seed: args.seed,
        ...(args['min-seconds'] !== undefined ? { minSeconds: args['min-seconds'] as number } : {}),
        ...(args['max-seconds'] !== undefined ? { maxSeconds: args['max-seconds'] as number } : {}),
        overwrite: args.overwrite,
      });
      const s = summary.splits;
      console.log(
        `wrote ${summary.clips} clips (${summary.speakers} speakers; Train ${s.Train.clips}, Val ${s.Val.clips}, Test ${s.Test.clips}) in the ${summary.layout} layout to ${summary.dir}`,
      );
    },
  );
}
