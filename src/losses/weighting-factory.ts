/**
 * Building a task weighting from a plain description, as a recipe holds it:
 * learned uncertainty (either published form) or fixed weights.
 */
import { FixedWeighting } from './fixed-weighting.js';
import { LossInputError } from './loss-input-error.js';
import type { TaskWeighting } from './task-weighting.js';
import { type UncertaintyWeightingOptions, UncertaintyWeighting } from './uncertainty-weighting.js';

/** A task weighting as a recipe describes it. */
export type TaskWeightingSpec =
  | ({ kind: 'uncertainty'; tasks: readonly string[] } & UncertaintyWeightingOptions)
  | { kind: 'fixed'; weights: Readonly<Record<string, number>> };

/**
 * The task weighting `spec` describes.
 * @throws LossInputError on an unknown kind or a bad task list, form or weight
 */
export function createTaskWeighting(spec: TaskWeightingSpec): TaskWeighting {
  switch (spec.kind) {
    case 'uncertainty': {
      const { kind: _kind, tasks, ...options } = spec;
      return new UncertaintyWeighting(tasks, options);
    }
    case 'fixed':
      return new FixedWeighting(spec.weights);
    default:
      throw new LossInputError('createTaskWeighting', 'spec.kind', `must be 'uncertainty' or 'fixed', got ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}
