/**
 * The interface through which the trainer turns per-task losses into one
 * loss to back-propagate: a {@link TaskWeighting} is a Module (so learned
 * weights are ordinary parameters for the optimizer, the checkpoint and
 * `to(device)`), with `combine` for the step and `taskWeights` for logs.
 *
 * Absent tasks: a batch need not carry every task (recipe B's batches hold
 * one task; in a mixed batch every label of a task may be missing). The
 * trainer leaves such a task out of the `losses` it passes (or passes null
 * or undefined for it). Its whole term, the loss and any regulariser, is
 * then left out of that batch's total, so its learned weight receives no
 * gradient at all (not even a zero one) and an optimizer that skips
 * parameters without a gradient (Adam, AdamW) leaves it unchanged.
 */
import { type Tensor, nn } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { shapeText } from './loss-inputs.js';

/** One scalar loss per task name; absent, null or undefined means "not in this batch". */
export type TaskLosses = Readonly<Record<string, Tensor | null | undefined>>;

/** Task names: letters, digits, '_' and '-' (they become parameter names). */
const TASK_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Check a task list for a combiner: non-empty, well-formed, no repeats.
 * @throws LossInputError naming `argument`
 */
export function checkTaskNames(fn: string, argument: string, tasks: readonly string[]): void {
  if (tasks.length === 0) throw new LossInputError(fn, argument, 'must name at least one task');
  const seen = new Set<string>();
  for (const task of tasks) {
    if (typeof task !== 'string' || !TASK_NAME.test(task)) {
      throw new LossInputError(fn, argument, `holds ${JSON.stringify(task)}, which is not a task name (letters, digits, '_' and '-')`);
    }
    if (seen.has(task)) throw new LossInputError(fn, argument, `names task '${task}' twice`);
    seen.add(task);
  }
}

/** Combines per-task losses into the loss to back-propagate. */
export abstract class TaskWeighting extends nn.Module {
  /** The tasks this combiner knows, in a fixed order. */
  readonly tasks: readonly string[];

  /**
   * @param fn the subclass, for error messages
   * @param argument the constructor argument the task names come from, for error messages
   * @param tasks the task names, validated by {@link checkTaskNames}
   */
  protected constructor(fn: string, argument: string, tasks: readonly string[]) {
    super();
    checkTaskNames(fn, argument, tasks);
    this.tasks = [...tasks];
  }

  /**
   * The total loss over the tasks present in `losses` (a scalar with
   * gradients). Tasks that are absent contribute nothing; see the module
   * comment.
   * @throws LossInputError on an unknown task, a non-scalar loss, or no task present
   */
  combine(losses: TaskLosses): Tensor {
    return this.combinePresent(this.presentTasks(losses));
  }

  /**
   * The factor that multiplies each task's loss in the total, as plain
   * numbers for logging (reads parameters from the device).
   */
  abstract taskWeights(): Record<string, number>;

  /** The total over the given (task, loss) pairs, all known and scalar, at least one. */
  protected abstract combinePresent(present: readonly (readonly [string, Tensor])[]): Tensor;

  /** The present (task, loss) pairs in task order, after checking names and shapes. */
  protected presentTasks(losses: TaskLosses): [string, Tensor][] {
    const fn = `${this.constructor.name}.combine`;
    for (const name of Object.keys(losses)) {
      if (!this.tasks.includes(name)) throw new LossInputError(fn, `losses.${name}`, `is not one of this combiner's tasks (${this.tasks.join(', ')})`);
    }
    const present: [string, Tensor][] = [];
    for (const task of this.tasks) {
      const loss = losses[task];
      if (loss === null || loss === undefined) continue;
      if (loss.ndim !== 0) throw new LossInputError(fn, `losses.${task}`, `must be a scalar (0-dimensional) loss, got shape ${shapeText(loss.shape)}`);
      present.push([task, loss]);
    }
    if (present.length === 0) throw new LossInputError(fn, 'losses', `has no task loss; expected some of ${this.tasks.join(', ')}`);
    return present;
  }
}
