/**
 * Combining several runs' raw predictions into one, as Burst2Vec's
 * ensembles do (Sec. 4.2): the mean of the regression outputs (emotion
 * intensities, age; for recipe A also culture and valence/arousal) and the
 * mean of the class probabilities (country; for recipe A also type), whose
 * arg-max is the ensemble's class. Averaging probabilities rather than
 * taking a majority vote lets a confident member outweigh two hesitant ones.
 */
import { TASKS, type Task } from '../tasks.js';
import type { ClipPredictions } from '../predict/raw-predictions.js';

/** What an ensemble produced. */
export interface EnsembledPredictions {
  /** The combined predictions, clips in the first member's order. */
  predictions: ClipPredictions;
  /** Tasks every member predicts (the ensemble's tasks). */
  tasks: Task[];
  /** Tasks only some members predict, left out. */
  droppedTasks: Task[];
}

/** Error for members that cannot be combined; names the member. */
export class EnsembleError extends Error {
  override name = 'EnsembleError';
}

function describe(ids: readonly string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}

/**
 * Average the predictions of `members` (at least one) clip by clip.
 * Members may list the clips in any order but must hold the same clips.
 * @param names how to call each member in errors (file names); default "member i"
 * @throws EnsembleError on different clip sets, duplicate ids, different output sizes, or no common task
 */
export function combinePredictions(members: readonly ClipPredictions[], names?: readonly string[]): EnsembledPredictions {
  const first = members[0];
  if (first === undefined) throw new EnsembleError('an ensemble needs at least one member');
  const nameOf = (m: number) => names?.[m] ?? `member ${m + 1}`;

  // Row of each clip id in every member.
  const rows = members.map((member, m) => {
    const index = new Map<string, number>();
    member.ids.forEach((id, r) => {
      if (index.has(id)) throw new EnsembleError(`${nameOf(m)} lists clip ${id} twice`);
      index.set(id, r);
    });
    return index;
  });
  members.forEach((member, m) => {
    if (m === 0) return;
    const missing = first.ids.filter((id) => !rows[m]!.has(id));
    const extra = member.ids.filter((id) => !rows[0]!.has(id));
    if (missing.length > 0 || extra.length > 0) {
      throw new EnsembleError(
        `${nameOf(m)} and ${nameOf(0)} predict different clips` +
          `${missing.length ? `; ${nameOf(m)} lacks ${describe(missing)}` : ''}` +
          `${extra.length ? `; ${nameOf(m)} has ${describe(extra)} that ${nameOf(0)} lacks` : ''} (same split?)`,
      );
    }
  });

  const tasks = TASKS.filter((t) => members.every((m) => m.byTask[t] !== undefined));
  const droppedTasks = TASKS.filter((t) => !tasks.includes(t) && members.some((m) => m.byTask[t] !== undefined));
  if (tasks.length === 0) throw new EnsembleError('the members have no task in common');

  const byTask: ClipPredictions['byTask'] = {};
  for (const task of tasks) {
    const size = first.byTask[task]!.size;
    members.forEach((m, i) => {
      if (m.byTask[task]!.size !== size) throw new EnsembleError(`${nameOf(i)} has ${m.byTask[task]!.size} ${task} outputs per clip, ${nameOf(0)} has ${size}`);
    });
    const values = new Array<number>(first.ids.length * size).fill(0);
    members.forEach((m, i) => {
      const source = m.byTask[task]!.values;
      first.ids.forEach((id, r) => {
        const from = rows[i]!.get(id)! * size;
        for (let k = 0; k < size; k++) values[r * size + k]! += source[from + k] as number;
      });
    });
    // Regression outputs and class probabilities alike: the mean over members.
    for (let v = 0; v < values.length; v++) values[v]! /= members.length;
    byTask[task] = { size, values };
  }
  return { predictions: { ids: [...first.ids], byTask }, tasks, droppedTasks };
}
