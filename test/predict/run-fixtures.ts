/**
 * Run folders for prediction tests, made without training: a recipe's
 * config on a small synthetic corpus with a tiny backbone export, and a
 * checkpoint of randomly initialised heads (scaled up so that outputs spread
 * over their range, clamps and all). Prediction code cannot tell them from
 * trained runs, and each takes seconds instead of a training run's minutes.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { Backbone } from '../../src/model/backbone.js';
import { buildModel } from '../../src/model/build-model.js';
import { writeCheckpoint } from '../../src/run/checkpoint.js';
import { RunDir } from '../../src/run/run-dir.js';
import { initialTrainerState } from '../../src/run/trainer-state.js';
import { prepareCorpus } from '../../src/run/prepare.js';
import { manualSeed, noGrad } from '../../src/torch/index.js';

export interface FakeRunOptions {
  /** Folder holding runs/, the corpus and the cache. */
  readonly work: string;
  readonly name: string;
  /** 'demo' (recipe A, A-VB layout) or 'demo-exvo' (recipe B, ExVo layout). */
  readonly recipe: 'demo' | 'demo-exvo';
  /** The backbone export. */
  readonly backbone: string;
  /** --set style overrides on top of the recipe. */
  readonly overrides?: readonly (readonly [string, unknown])[];
  /** Clips of the synthetic corpus (default 30). */
  readonly clips?: number;
  /** Seed of the heads' initialisation (default 1). */
  readonly seed?: number;
  /** Multiply the heads' parameters by this (default 4). */
  readonly scale?: number;
}

/** Make the run folder; returns its path. */
export async function fakeRun(options: FakeRunOptions): Promise<string> {
  const layout = options.recipe === 'demo' ? 'avb' : 'exvo';
  const corpusDir = path.join(options.work, `corpus-${layout}`);
  const config: RunConfig = resolveConfig({
    recipe: options.recipe,
    overrides: [
      ['data.corpus', { kind: 'synthetic', layout, clips: options.clips ?? 30, seed: 3, dir: corpusDir }],
      ['data.cacheDir', path.join(options.work, 'cache')],
      ['data.numWorkers', 0],
      ['backbone.path', options.backbone],
      ['output.dir', path.join(options.work, 'runs')],
      ['output.name', options.name],
      ['train.device', 'cpu'],
      ...(options.overrides ?? []),
    ],
  });
  mkdirSync(path.join(options.work, 'runs'), { recursive: true });
  // The corpus is generated on first use, as training would.
  await prepareCorpus(config.data, config.model.tasks, () => {});
  const run = RunDir.create(path.join(options.work, 'runs'), options.name, { overwrite: true });
  run.writeJson('config.json', config);
  manualSeed(options.seed ?? 1);
  const model = buildModel(config.model, Backbone.load(options.backbone));
  try {
    const scale = options.scale ?? 4;
    noGrad(() => {
      for (const [name, p] of model.head.stateDict()) if (!name.startsWith('weighting.')) p.mul_(scale);
    });
    writeCheckpoint(run, ['best', 'last'], { heads: model.head.stateDict(), backbone: null, optimizer: null, state: initialTrainerState() });
  } finally {
    model.dispose();
  }
  return run.path;
}
