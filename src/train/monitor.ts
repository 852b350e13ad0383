/** The value early stopping and checkpoint selection watch, from a validation. */
import { TASKS, type Task } from '../tasks.js';
import type { EvaluationResult } from '../run/evaluation.js';

/**
 * - 'val/loss': the weighted validation loss;
 * - 'score': mean over tasks of the challenge metric (CCC, UAR), age
 *   entering as 1/MAE in years (as in S_MTL); higher is better;
 * - 'exvo/smtl': the ExVo S_MTL;
 * - a task name: that task's metric (CCC, UAR, or MAE for age).
 * Undefined values are NaN, which never counts as an improvement.
 */
export function monitorValue(name: string, result: EvaluationResult): number {
  const { report } = result;
  if (name === 'val/loss') return result.loss ?? Number.NaN;
  if (name === 'exvo/smtl') return report.exvo.smtl ?? Number.NaN;
  if (name === 'score') {
    const values = Object.entries(report.tasks).map(([task, r]) => (task === 'age' ? 1 / r!.value : r!.value));
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  }
  if ((TASKS as readonly string[]).includes(name)) return report.tasks[name as Task]?.value ?? Number.NaN;
  throw new Error(`unknown monitor '${name}'`);
}

/** Check a monitor name when the run is configured. */
export function checkMonitorName(name: string): string | undefined {
  if (['val/loss', 'score', 'exvo/smtl', ...TASKS].includes(name)) return undefined;
  return `train.monitor.name '${name}' is not one of val/loss, score, exvo/smtl, ${TASKS.join(', ')}`;
}
