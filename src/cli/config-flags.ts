/** Command-line flags that set config fields: each maps to a dotted config path. */
import type { Argv } from 'yargs';
import { ConfigError } from '../config/errors.js';
import { readConfigFile, resolveConfig } from '../config/load.js';
import { parseValue } from '../config/merge.js';
import { RECIPES, recipeNames } from '../config/recipes/index.js';
import type { RunConfig } from '../config/schema.js';

export interface ConfigFlags {
  recipe?: string;
  config?: string;
  set?: string[];
  data?: string;
  layout?: string;
  backbone?: string;
  device?: string;
  precision?: string;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  name?: string;
  outDir?: string;
  overwrite?: boolean;
  workers?: number;
  threads?: number;
  cacheDir?: string;
  skipBad?: boolean;
  tasks?: string[];
  progress?: string;
}

/** Add the config flags to a command. */
export function withConfigFlags<T>(y: Argv<T>): Argv<T & ConfigFlags> {
  return y
    .option('recipe', { type: 'string', describe: `Named recipe: ${recipeNames().join(', ')}`, group: 'Config:' })
    .option('config', { type: 'string', describe: 'JSON config file laid over the recipe', group: 'Config:' })
    .option('set', { type: 'array', string: true, describe: 'Override any field: --set train.stages.1.lr=1e-5 (repeatable)', group: 'Config:' })
    .option('data', { type: 'string', describe: 'Corpus folder (A-VB or ExVo layout) or manifest file', group: 'Data:' })
    .option('layout', { type: 'string', choices: ['avb', 'exvo', 'manifest'], describe: 'Layout of --data (default: the recipe\'s)', group: 'Data:' })
    .option('skip-bad', { type: 'boolean', describe: 'Drop bad rows with a report instead of stopping', group: 'Data:' })
    .option('workers', { type: 'number', describe: 'Audio decoding worker threads (0: none)', group: 'Data:' })
    .option('cache-dir', { type: 'string', describe: 'Cache of decoded audio, backbones and synthetic corpora', group: 'Data:' })
    .option('batch-size', { type: 'number', describe: 'Clips per batch', group: 'Training:' })
    .option('tasks', { type: 'array', string: true, describe: 'Tasks to train (e.g. high culture type country)', group: 'Training:' })
    .option('backbone', { type: 'string', describe: 'Backbone export (.pt) from `vbt export`', group: 'Training:' })
    .option('device', { type: 'string', describe: 'cpu, cuda, cuda:N or auto', group: 'Training:' })
    .option('precision', { type: 'string', choices: ['auto', 'bf16', 'fp32'], describe: 'bf16 autocast (default on CUDA) or fp32', group: 'Training:' })
    .option('epochs', { type: 'number', describe: 'Maximum epochs of every stage', group: 'Training:' })
    .option('seed', { type: 'number', describe: 'Random seed', group: 'Training:' })
    .option('threads', { type: 'number', describe: 'CPU threads for LibTorch', group: 'Training:' })
    .option('progress', { type: 'string', choices: ['auto', 'bar', 'plain', 'none'], describe: 'Progress display', group: 'Output:' })
    .option('name', { type: 'string', describe: 'Run folder name (default: recipe and time)', group: 'Output:' })
    .option('out-dir', { type: 'string', describe: 'Parent folder of run folders (default runs)', group: 'Output:' })
    .option('overwrite', { type: 'boolean', describe: 'Replace an existing run folder of the same name', group: 'Output:' }) as Argv<T & ConfigFlags>;
}

/** The overrides the flags stand for, in a fixed order; `--set` comes last. */
export function flagOverrides(flags: ConfigFlags, recipeCorpusKind: string | undefined, stageCount: number): [string, unknown][] {
  const o: [string, unknown][] = [];
  if (flags.data !== undefined) {
    const layout = flags.layout ?? (recipeCorpusKind === 'synthetic' || recipeCorpusKind === undefined ? undefined : recipeCorpusKind);
    if (!layout) throw new ConfigError('--data needs --layout avb|exvo|manifest with this recipe');
    o.push(['data.corpus', layout === 'manifest' ? { kind: 'manifest', path: flags.data } : { kind: layout, root: flags.data }]);
  } else if (flags.layout !== undefined) {
    throw new ConfigError('--layout needs --data');
  }
  if (flags.skipBad !== undefined) o.push(['data.skipBad', flags.skipBad]);
  if (flags.workers !== undefined) o.push(['data.numWorkers', flags.workers]);
  if (flags.cacheDir !== undefined) o.push(['data.cacheDir', flags.cacheDir]);
  if (flags.batchSize !== undefined) o.push(['data.batchSize', flags.batchSize]);
  if (flags.tasks !== undefined) o.push(['model.tasks', flags.tasks]);
  if (flags.backbone !== undefined) o.push(['backbone.path', flags.backbone]);
  if (flags.device !== undefined) o.push(['train.device', flags.device]);
  if (flags.precision !== undefined) o.push(['train.precision', flags.precision]);
  if (flags.epochs !== undefined) for (let s = 0; s < stageCount; s++) o.push([`train.stages.${s}.epochs`, flags.epochs]);
  if (flags.seed !== undefined) o.push(['train.seed', flags.seed]);
  if (flags.threads !== undefined) o.push(['train.threads', flags.threads]);
  if (flags.progress !== undefined) o.push(['train.progress', flags.progress]);
  if (flags.name !== undefined) o.push(['output.name', flags.name]);
  if (flags.outDir !== undefined) o.push(['output.dir', flags.outDir]);
  if (flags.overwrite !== undefined) o.push(['output.overwrite', flags.overwrite]);
  for (const s of flags.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${s}: expected path=value, e.g. --set train.stages.1.lr=1e-5`);
    o.push([s.slice(0, eq), parseValue(s.slice(eq + 1))]);
  }
  return o;
}

/** Flags of data-parallel training (torchrun's names); not config fields: they say how the processes are started. */
export interface DistributedFlags {
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  distBackend?: 'auto' | 'gloo' | 'nccl';
  distTimeout?: number;
}

/** Add the data-parallel flags to a command. */
export function withDistributedFlags<T>(y: Argv<T>): Argv<T & DistributedFlags> {
  const group = 'Several GPUs or machines (also from RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT):';
  return y
    .option('nproc', { type: 'number', describe: 'Start this many worker processes on this machine (one per GPU)', group })
    .option('nnodes', { type: 'number', describe: 'Machines in the run (default 1); start `vbt train` on each', group })
    .option('node-rank', { type: 'number', describe: 'Index of this machine, 0 … nnodes−1 (default 0)', group })
    .option('master-addr', { type: 'string', describe: 'Address of the machine with --node-rank 0 (default 127.0.0.1)', group })
    .option('master-port', { type: 'number', describe: 'Rendezvous port on that machine (default: a free port on one machine, 29500 across machines)', group })
    .option('dist-backend', { type: 'string', choices: ['auto', 'gloo', 'nccl'], describe: 'Collective backend (default auto: nccl on CUDA, gloo on CPU)', group })
    .option('dist-timeout', { type: 'number', describe: 'Seconds any collective may wait for the other processes (default 600)', group }) as Argv<T & DistributedFlags>;
}

/** The run config the flags describe: their recipe (or the config file's, or 'demo'), the file, then the flags. */
export function configFromFlags(flags: ConfigFlags): RunConfig {
  const fileRecipe = flags.config ? (readConfigFile(flags.config).recipe as string | undefined) : undefined;
  const recipeName = flags.recipe ?? fileRecipe ?? 'demo';
  const recipe = RECIPES[recipeName];
  const overrides = flagOverrides(flags, recipe?.data.corpus.kind, recipe?.train.stages.length ?? 0);
  return resolveConfig({ recipe: recipeName, ...(flags.config ? { file: flags.config } : {}), overrides });
}
