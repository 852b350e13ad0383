/**
 * Fixed task weights, total = Σ_t w_t·L_t over the tasks present in the
 * batch: what the trainer uses when uncertainty weighting is off. Same
 * interface as the learned weighting; it has no parameters.
 */
import { type Tensor, scope } from '../torch/index.js';
import { LossInputError } from './loss-input-error.js';
import { TaskWeighting } from './task-weighting.js';

/** A fixed linear combination of task losses. */
export class FixedWeighting extends TaskWeighting {
  readonly #weights: Readonly<Record<string, number>>;

  /**
   * @param weights the weight of each task (any finite number; the tasks are the keys)
   * @throws LossInputError on a bad task name or a non-finite weight
   */
  constructor(weights: Readonly<Record<string, number>>) {
    super('FixedWeighting', 'weights', Object.keys(weights));
    for (const [task, w] of Object.entries(weights)) {
      if (typeof w !== 'number' || !Number.isFinite(w)) throw new LossInputError('FixedWeighting', `weights.${task}`, `must be a finite number, got ${String(w)}`);
    }
    this.#weights = { ...weights };
  }

  /** Equal weights (1) for the given tasks. */
  static uniform(tasks: readonly string[]): FixedWeighting {
    return new FixedWeighting(Object.fromEntries(tasks.map((t) => [t, 1])));
  }

  protected override combinePresent(present: readonly (readonly [string, Tensor])[]): Tensor {
    return scope(() => {
      let total: Tensor | null = null;
      for (const [task, loss] of present) {
        const term = loss.mul(this.#weights[task] as number);
        total = total === null ? term : total.add(term);
      }
      return total as Tensor;
    });
  }

  /** The fixed weights. */
  override taskWeights(): Record<string, number> {
    return { ...this.#weights };
  }
}
