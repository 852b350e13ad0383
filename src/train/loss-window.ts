/**
 * Training losses summed on the device between two log lines. Reading a loss
 * back to the host waits for the GPU, so the training loop adds detached loss
 * tensors here and reads them only when it logs (every `logEvery` steps).
 */
import type { Task } from '../tasks.js';
import { type Tensor, keep, noGrad, scope, stack } from '../torch/index.js';

export interface WindowSummary {
  loss: number;
  taskLosses: Partial<Record<Task, number>>;
  /** Means of further scalars the model logs (e.g. adversarial losses). */
  extra: Record<string, number>;
  batches: number;
  samplesPerSec: number;
  audioSecondsPerSec: number;
}

export class LossWindow implements Disposable {
  private loss: Tensor | null = null;
  private readonly tasks = new Map<string, { sum: Tensor; batches: number }>();
  private readonly extras = new Map<string, { sum: Tensor; batches: number }>();
  private batches = 0;
  private samples = 0;
  private audio = 0;
  private started = performance.now();

  /** Add one batch; takes ownership of the (detached, scalar) loss tensors. */
  add(
    loss: Tensor,
    taskLosses: Partial<Record<Task, Tensor>>,
    samples: number,
    audioSeconds: number,
    extra: Readonly<Record<string, Tensor>> = {},
  ): void {
    noGrad(() => {
      this.loss = this.accumulate(this.loss, loss);
      this.addAll(this.tasks, taskLosses as Record<string, Tensor>);
      this.addAll(this.extras, extra);
    });
    this.batches++;
    this.samples += samples;
    this.audio += audioSeconds;
  }

  /** Add a further scalar once (e.g. the gradient norm of an optimizer step); takes ownership. */
  addScalar(name: string, value: Tensor): void {
    noGrad(() => this.addAll(this.extras, { [name]: value }));
  }

  private addAll(into: Map<string, { sum: Tensor; batches: number }>, values: Readonly<Record<string, Tensor>>): void {
    for (const [name, l] of Object.entries(values)) {
      const entry = into.get(name);
      if (entry) {
        entry.sum = this.accumulate(entry.sum, l);
        entry.batches++;
      } else {
        into.set(name, { sum: this.accumulate(null, l), batches: 1 });
      }
    }
  }

  /** Means of a map's sums, from the values read back; the sums restart at zero. */
  private static means(from: Map<string, { sum: Tensor; batches: number }>, values: ArrayLike<number>, offset: number): Record<string, number> {
    const out: Record<string, number> = {};
    let i = offset;
    for (const [name, entry] of from) {
      if (entry.batches > 0) out[name] = values[i]! / entry.batches;
      i++;
      entry.sum.zero_();
      entry.batches = 0;
    }
    return out;
  }

  private accumulate(sum: Tensor | null, value: Tensor): Tensor {
    if (sum === null) {
      // float() may return a new handle; the scope frees it, keeping only the clone.
      const own = keep(scope(() => value.float().clone()));
      value.dispose();
      return own;
    }
    sum.add_(value);
    value.dispose();
    return sum;
  }

  get empty(): boolean {
    return this.batches === 0;
  }

  /**
   * Read the means, then start a new window. Every sum travels in one
   * tensor, so a log line waits for the device once. The sums are reused,
   * not freed.
   */
  read(): WindowSummary {
    const seconds = Math.max(1e-9, (performance.now() - this.started) / 1000);
    const n = Math.max(1, this.batches);
    const sums = [...(this.loss ? [this.loss] : []), ...[...this.tasks.values(), ...this.extras.values()].map((e) => e.sum)];
    const values = sums.length === 0 ? new Float32Array(0) : scope(() => stack(sums.map((t) => t.reshape([]))).toArray() as Float32Array);
    const first = this.loss ? 1 : 0;
    const summary: WindowSummary = {
      loss: this.loss ? values[0]! / n : Number.NaN,
      taskLosses: LossWindow.means(this.tasks, values, first) as Partial<Record<Task, number>>,
      extra: LossWindow.means(this.extras, values, first + this.tasks.size),
      batches: this.batches,
      samplesPerSec: this.samples / seconds,
      audioSecondsPerSec: this.audio / seconds,
    };
    this.loss?.zero_();
    this.batches = 0;
    this.samples = 0;
    this.audio = 0;
    this.started = performance.now();
    return summary;
  }

  dispose(): void {
    this.loss?.dispose();
    this.loss = null;
    for (const e of [...this.tasks.values(), ...this.extras.values()]) e.sum.dispose();
    this.tasks.clear();
    this.extras.clear();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
