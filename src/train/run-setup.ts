/**
 * Resolving the run a Trainer works on, before anything is loaded: a new run
 * from its config (checked, its folder name free), or an interrupted one
 * from its folder's config.json and checkpoints/last.
 */
import { ConfigError } from '../config/errors.js';
import { validateConfig } from '../config/load.js';
import { type RunConfig, RunConfigSchema } from '../config/schema.js';
import { readCheckpoint } from '../run/checkpoint.js';
import { RunDir } from '../run/run-dir.js';
import { initialTrainerState } from '../run/trainer-state.js';
import { checkMonitorName } from './monitor.js';
import type { OwnSettings, RunSetup } from './strategy.js';

/** "avb-mtl-2026-11-23T18-40-05" */
function defaultRunName(recipe: string): string {
  return `${recipe}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}`;
}

/** A new run (config given) or a resumed one (folder given). */
export function resolveRunSetup(options: OwnSettings): RunSetup {
  if (options.resume) {
    const runDir = RunDir.open(options.resume);
    const saved = runDir.readConfig();
    const config: RunConfig = { ...saved, train: { ...saved.train, ...options.resumeOverrides } };
    const last = readCheckpoint(runDir, 'last');
    if (!last) throw new ConfigError(`${runDir.path} has no checkpoints/last to resume from (it stopped before its first checkpoint): start it again instead`);
    if (last.state.finished) throw new ConfigError(`${runDir.path} already finished training; nothing to resume (use \`vbt eval\` or \`vbt predict\`)`);
    if (last.state.stage >= config.train.stages.length) {
      throw new ConfigError(`${last.dir}/trainer.json: stage ${last.state.stage} does not exist in this run's config (${config.train.stages.length} stages)`);
    }
    return { config, state: last.state, runDir, resumeBackbone: last.backbone };
  }
  if (!options.config) throw new ConfigError('Trainer.create: give a config or a run folder to resume');
  const parsed = RunConfigSchema.safeParse(options.config);
  const config = parsed.success ? parsed.data : validateConfig(options.config, 'Trainer.create');
  const monitorProblem = checkMonitorName(config.train.monitor.name);
  if (monitorProblem) throw new ConfigError(monitorProblem);
  RunDir.checkAvailable(config.output.dir, (config.output.name ??= defaultRunName(config.recipe)), { overwrite: config.output.overwrite });
  return { config, state: initialTrainerState(), runDir: undefined, resumeBackbone: null };
}
