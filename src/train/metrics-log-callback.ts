/** The run's metrics.jsonl as a subscriber of the trainer's events: a line per logging step and per validation. */
import { MetricsLogWriter } from '../run/metrics-log.js';
import type { StepInfo, TrainerCallbacks, TrainerContext, ValidationInfo } from './callbacks.js';

export class MetricsLogCallback implements TrainerCallbacks, Disposable {
  private readonly writer: MetricsLogWriter;

  constructor(file: string) {
    this.writer = new MetricsLogWriter(file);
  }

  onStepEnd(_ctx: TrainerContext, info: StepInfo): void {
    if (info.record) this.writer.write(info.record);
  }

  onValidation(_ctx: TrainerContext, info: ValidationInfo): void {
    this.writer.write(info.record);
  }

  [Symbol.dispose](): void {
    this.writer.close();
  }
}
