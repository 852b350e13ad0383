/** Options shared by commands that open a finished run (eval, predict). */
import type { Argv } from 'yargs';
import { ConfigError } from '../config/errors.js';
import type { CorpusConfig } from '../config/schema.js';
import type { Split } from '../tasks.js';
import type { OpenOptions } from '../predict/inference-session.js';

export interface RunFlags {
  run: string;
  split: string;
  checkpoint: string;
  device?: string;
  data?: string;
  layout?: string;
  batchSize?: number;
}

export function withRunFlags<T>(y: Argv<T>, defaultSplit: Split): Argv<T & RunFlags> {
  return y
    .option('run', { type: 'string', demandOption: true, describe: 'Run folder written by `vbt train`' })
    .option('split', { type: 'string', choices: ['Train', 'Val', 'Test'], default: defaultSplit, describe: 'Split to use' })
    .option('checkpoint', { type: 'string', choices: ['best', 'last'], default: 'best', describe: 'Checkpoint to load' })
    .option('device', { type: 'string', describe: 'cpu, cuda, cuda:N or auto (default: the run\'s)' })
    .option('data', { type: 'string', describe: 'Another corpus folder with the same tasks (default: the run\'s corpus)' })
    .option('layout', { type: 'string', choices: ['avb', 'exvo', 'manifest'], describe: 'Layout of --data' })
    .option('batch-size', { type: 'number', describe: 'Clips per batch' }) as Argv<T & RunFlags>;
}

export function openOptions(flags: RunFlags): OpenOptions {
  let corpus: CorpusConfig | undefined;
  if (flags.data) {
    if (!flags.layout) throw new ConfigError('--data needs --layout avb|exvo|manifest');
    corpus = flags.layout === 'manifest' ? { kind: 'manifest', path: flags.data } : ({ kind: flags.layout, root: flags.data } as CorpusConfig);
  }
  return {
    checkpoint: flags.checkpoint as 'best' | 'last',
    ...(flags.device ? { device: flags.device as never } : {}),
    ...(corpus ? { corpus } : {}),
    ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
  };
}
