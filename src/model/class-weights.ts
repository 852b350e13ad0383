/**
 * Per-task class weights of the cross-entropy losses, held as buffers of the
 * model's head: they move to the device with it and are freed with it. Not
 * persistent (not in checkpoints): they are derived from the training
 * split's class frequencies whenever a run is assembled.
 */
import type { Task } from '../tasks.js';
import { type Tensor, nn, tensor } from '../torch/index.js';

export class ClassWeights extends nn.Module {
  constructor(weights: Partial<Record<Task, Float32Array>>) {
    super();
    for (const [task, w] of Object.entries(weights) as [Task, Float32Array][]) this.registerBuffer(task, tensor(w), { persistent: false });
  }

  /** The weights of `task` (on the head's device), or null when it has none. */
  of(task: Task): Tensor | null {
    return this.buffer(task) ?? null;
  }
}

/** The weights of the classification tasks among `tasks`. */
export function pickClassWeights(all: Partial<Record<Task, Float32Array>> | undefined, tasks: readonly Task[]): Partial<Record<Task, Float32Array>> {
  const out: Partial<Record<Task, Float32Array>> = {};
  for (const t of tasks) if (all?.[t]) out[t] = all[t];
  return out;
}
