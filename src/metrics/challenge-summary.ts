/**
 * The two challenges' headline numbers, read off the per-task reports.
 * Values are null when the task was not evaluated.
 */
import type { Task } from '../tasks.js';
import { smtl } from './smtl.js';
import type { TaskReport } from './task-report.js';

/** ExVo 2022 multitask track: emotion CCC (task `high`), country UAR, age MAE and S_MTL. */
export interface ExVoSummary {
  /** Mean CCC over the ten emotions (our task `high`). */
  emotionCcc: number | null;
  /** Country UAR. */
  countryUar: number | null;
  /** Age MAE in years. */
  ageMae: number | null;
  /** Harmonic mean of the three; null unless all three exist. */
  smtl: number | null;
}

/** A-VB 2022: one number per track, plus country (not a challenge track, recipe A trains it). */
export interface AvbSummary {
  /** High: mean CCC over 10 emotions. */
  high: number | null;
  /** Culture: mean CCC over 40 country-specific emotions. */
  culture: number | null;
  /** Two: mean CCC of valence and arousal. */
  two: number | null;
  /** Type: UAR over 8 burst types. */
  type: number | null;
  /** Country: UAR over 4 countries. */
  country: number | null;
}

type TaskReports = Partial<Record<Task, TaskReport>>;

function valueOf(tasks: TaskReports, task: Task): number | null {
  return tasks[task]?.value ?? null;
}

/** The ExVo summary of a set of task reports. */
export function exvoSummary(tasks: TaskReports): ExVoSummary {
  const emotionCcc = valueOf(tasks, 'high');
  const countryUar = valueOf(tasks, 'country');
  const ageMae = valueOf(tasks, 'age');
  return {
    emotionCcc,
    countryUar,
    ageMae,
    smtl: emotionCcc !== null && countryUar !== null && ageMae !== null ? smtl(emotionCcc, countryUar, ageMae) : null,
  };
}

/** The A-VB summary of a set of task reports. */
export function avbSummary(tasks: TaskReports): AvbSummary {
  return {
    high: valueOf(tasks, 'high'),
    culture: valueOf(tasks, 'culture'),
    two: valueOf(tasks, 'two'),
    type: valueOf(tasks, 'type'),
    country: valueOf(tasks, 'country'),
  };
}
