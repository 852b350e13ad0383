/** Predictions of a set of clips, as evaluation collects them and prediction files hold them. */
import type { Task } from '../tasks.js';

/** Predictions of every clip of a split: values row-major [n × size] per task. */
export interface ClipPredictions {
  ids: string[];
  byTask: Partial<Record<Task, { size: number; values: number[] }>>;
}
