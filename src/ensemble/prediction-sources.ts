/**
 * Where an ensemble member's predictions are: a raw predictions file given
 * directly, or a run folder holding `predictions/<split>/predictions.csv`
 * (as `vbt predict` and `vbt ensemble` write them).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Split } from '../tasks.js';
import { EnsembleError } from './combine-predictions.js';

/** File name of a raw predictions file inside `predictions/<split>/`. */
export const RAW_PREDICTIONS_FILE = 'predictions.csv';

/** `predictions/<split>/predictions.csv` under a run folder. */
export function runPredictionsFile(runDir: string, split: Split): string {
  return path.join(runDir, 'predictions', split, RAW_PREDICTIONS_FILE);
}

/**
 * The raw predictions file a member names.
 * @throws EnsembleError when neither a file nor a run folder with predictions of `split`
 */
export function resolvePredictionsFile(source: string, split: Split): string {
  if (!existsSync(source)) throw new EnsembleError(`'${source}' does not exist (give a run folder or a predictions.csv file)`);
  if (statSync(source).isFile()) return source;
  const inRun = runPredictionsFile(source, split);
  if (existsSync(inRun)) return inRun;
  throw new EnsembleError(`run folder '${source}' has no ${path.relative(source, inRun)}: run \`vbt predict\` for the ${split} split first`);
}
