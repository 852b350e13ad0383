/**
 * The ExVo 2022 multitask submission file, from raw predictions (see
 * raw-predictions.ts): one row per clip,
 *
 *   File_ID,Country,Age,Awe,Excitement,Amusement,Awkwardness,Fear,Horror,Distress,Triumph,Sadness,Surprise
 *   [10119],2,27.31,0.41,...
 *
 * - File_ID bracketed as in the challenge's CSVs;
 * - Country as the integer class of the highest probability, in the
 *   alphabetical encoding of the schema (China 0, South Africa 1, United
 *   States 2, Venezuela 3);
 * - Age in years (the raw file holds years already);
 * - the ten emotion intensities (our task `high`) under their names, in the
 *   challenge's column order (EMOTIONS).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { EMOTIONS, TASK_SPECS, type Task } from '../tasks.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { ClipPredictions } from './raw-predictions.js';

/** File name of the ExVo submission next to a raw predictions file. */
export const EXVO_SUBMISSION_FILE = 'exvo-submission.csv';

/** The header of the submission file. */
export const EXVO_SUBMISSION_COLUMNS: readonly string[] = ['File_ID', 'Country', 'Age', ...EMOTIONS];

/** The tasks a submission needs. */
const NEEDED: readonly Task[] = ['high', 'age', 'country'];

/** Whether the predictions hold every task of an ExVo submission. */
export function hasExvoTasks(p: ClipPredictions): boolean {
  return NEEDED.every((t) => p.byTask[t] !== undefined);
}

/** "[10119]" for "10119"; an id that already carries brackets keeps them. */
export function bracketedId(id: string): string {
  return /^\[.*\]$/.test(id) ? id : `[${id}]`;
}

/** Index of the largest of `size` values starting at `offset` (the first on ties). */
function argmax(values: readonly number[], offset: number, size: number): number {
  let best = 0;
  for (let k = 1; k < size; k++) if ((values[offset + k] as number) > (values[offset + best] as number)) best = k;
  return best;
}

/**
 * Serialise predictions as an ExVo submission.
 * @throws Error naming the missing tasks when high, age or country is absent
 */
export function formatExvoSubmission(p: ClipPredictions): string {
  const missing = NEEDED.filter((t) => p.byTask[t] === undefined);
  if (missing.length > 0) throw new Error(`an ExVo submission needs predictions of high (emotions), age and country; missing: ${missing.join(', ')}`);
  const high = p.byTask.high!;
  const age = p.byTask.age!;
  const country = p.byTask.country!;
  const sizes: [Task, number][] = [['high', high.size], ['age', age.size], ['country', country.size]];
  for (const [task, size] of sizes) {
    if (size !== TASK_SPECS[task].size) throw new Error(`${task} predictions have ${size} values per clip, expected ${TASK_SPECS[task].size}`);
  }
  const lines = [EXVO_SUBMISSION_COLUMNS.map((c) => (c.includes(',') ? `"${c}"` : c)).join(',')];
  p.ids.forEach((id, row) => {
    const cells = [bracketedId(id), String(argmax(country.values, row * country.size, country.size)), String(age.values[row])];
    for (let k = 0; k < high.size; k++) cells.push(String(high.values[row * high.size + k]));
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** Write an ExVo submission file (atomically; the folder is created). */
export function writeExvoSubmission(file: string, p: ClipPredictions): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, formatExvoSubmission(p));
}
